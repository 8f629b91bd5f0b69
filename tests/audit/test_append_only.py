"""The database itself refuses to change or remove audit rows; purging honours the retention
period and leaves a chain that still verifies."""

from __future__ import annotations

import os
import stat
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import checkpoints, keys, retention, service, verify
from eduguard.audit.checkpoints import CheckpointPolicy
from eduguard.audit.models import AuditEvent
from eduguard.config import Settings
from eduguard.errors import ValidationFailed

from .conftest import write_events


def _fails(engine: Engine, statement: str) -> str:
    with pytest.raises(DBAPIError) as caught, engine.begin() as connection:
        connection.execute(text(statement))
    return str(caught.value)


def test_update_and_delete_are_refused(
    engine: Engine, installed: sessionmaker[Session], policy: CheckpointPolicy
) -> None:
    write_events(installed, 3)
    with installed() as session, session.begin():
        checkpoints.checkpoint_now(session, policy)
    assert "append-only" in _fails(engine, "UPDATE audit_events SET username = 'x' WHERE id = 2")
    assert "append-only" in _fails(engine, "DELETE FROM audit_events WHERE id = 3")
    assert "append-only" in _fails(engine, "UPDATE audit_checkpoints SET last_event_id = 1")
    assert "append-only" in _fails(engine, "DELETE FROM audit_checkpoints")
    with installed() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 3


def test_postgresql_flag_alone_does_not_let_a_plain_update_through(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL session flag")
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL eduguard.audit_purge = 'on'"))
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text("UPDATE audit_events SET username = 'x'"))


def test_postgresql_application_role_with_insert_and_select_only(
    engine: Engine, installed: sessionmaker[Session], db_url: str
) -> None:
    """The documented grants: the application's role may INSERT and SELECT, nothing else."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL roles")
    write_events(installed, 2)
    role = f"eg_app_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    schema = engine.url.query["options"].split("=", 1)[1]  # type: ignore[union-attr]
    with engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
        connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}'))
        connection.execute(text(f"GRANT SELECT, INSERT ON audit_events TO {role}"))
        connection.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM {role}"))
    app_url = engine.url.set(username=role, password=password)
    app_engine = create_engine(app_url)
    try:
        with app_engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2
        for statement in (
            "UPDATE audit_events SET username = 'x'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
        ):
            with (  # noqa: PT012 - the flag and the statement share one transaction
                pytest.raises(DBAPIError, match="permission denied"),
                app_engine.begin() as c,
            ):
                c.execute(text("SET LOCAL eduguard.audit_purge = 'on'"))
                c.execute(text(statement))
    finally:
        app_engine.dispose()
        with engine.begin() as connection:
            connection.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}'))
            connection.execute(text(f'REVOKE ALL ON SCHEMA "{schema}" FROM {role}'))
            connection.execute(text(f"DROP ROLE {role}"))


def test_retention_can_never_be_set_below_180_days(tmp_path: object) -> None:
    with pytest.raises(ValidationError, match="180"):
        Settings(audit_retention_days=179)
    assert Settings(audit_retention_days=365).audit_retention_days == 365
    with pytest.raises(ValidationFailed):
        retention.retention_cutoff(30)


def _write_at(
    factory: sessionmaker[Session], moment: datetime, count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "utcnow", lambda: moment)
    write_events(factory, count)
    monkeypatch.undo()


def test_purge_refuses_anything_younger_than_retention(
    installed: sessionmaker[Session], policy: CheckpointPolicy
) -> None:
    write_events(installed, 3)
    recent = datetime.now(UTC) - timedelta(days=179)
    with pytest.raises(ValidationFailed) as refused, installed() as session, session.begin():
        retention.purge(session, before=recent, retention_days=180, policy=policy)
    assert refused.value.code == "audit_purge_too_recent"
    with installed() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 3


def test_purge_keeps_the_rest_verifiable_and_is_audited(
    engine: Engine,
    installed: sessionmaker[Session],
    policy: CheckpointPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = datetime.now(UTC) - timedelta(days=400)
    _write_at(installed, old, 15, monkeypatch)
    write_events(installed, 5)
    with installed() as session, session.begin():
        purged = retention.purge(
            session,
            before=datetime.now(UTC) - timedelta(days=200),
            retention_days=180,
            policy=policy,
        )
    assert (purged.deleted, purged.last_purged_id) == (15, 15)
    with installed() as session:
        ids = list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        checked = verify.verify(session.connection(), keys_dir=policy.keys_dir, sink=policy.sink)
    assert ids == list(range(16, 22))
    assert last is not None and last.action == "audit.purge" and last.row_count == 15
    assert checked.ok, checked.problem
    assert checked.first_event_id == 16
    # The purge flag did not outlive the purge: ordinary deletes still fail.
    assert "append-only" in _fails(engine, "DELETE FROM audit_events WHERE id = 16")
    # And deleting more of the head without a new anchor is caught.
    from .conftest import drop_protection, restore_protection

    drop_protection(engine)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_events WHERE id = 16"))
        with installed() as session:
            tampered = verify.verify(
                session.connection(), keys_dir=policy.keys_dir, sink=policy.sink
            )
        assert tampered.problem is not None and tampered.problem.event_id == 16
    finally:
        restore_protection(engine)


def test_purging_everything_continues_the_chain_from_the_anchor(
    installed: sessionmaker[Session], policy: CheckpointPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_at(installed, datetime.now(UTC) - timedelta(days=300), 4, monkeypatch)
    with installed() as session, session.begin():
        retention.purge(
            session,
            before=datetime.now(UTC) - timedelta(days=181),
            retention_days=180,
            policy=policy,
        )
    write_events(installed, 2)
    with installed() as session:
        checked = verify.verify(session.connection(), keys_dir=policy.keys_dir, sink=policy.sink)
    assert checked.ok, checked.problem
    assert (checked.first_event_id, checked.last_event_id) == (5, 7)


def test_automatic_checkpoints_are_signed_exported_and_keyed_outside_the_database(
    installed: sessionmaker[Session], settings: Settings
) -> None:
    policy = CheckpointPolicy(
        keys_dir=settings.keys_dir,
        every_events=10,
        every_minutes=60,
        sink=settings.audit_checkpoint_sink_path,
    )
    from eduguard.audit import capture

    capture.install(installed, policy)
    write_events(installed, 35, per_commit=5)
    key_file = settings.keys_dir / keys.PRIVATE_KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert (settings.keys_dir / keys.PUBLIC_KEY_FILE).exists()
    lines = checkpoints.read_sink(policy.sink)
    assert [line["last_event_id"] for line in lines] == [10, 20, 30]
    public = keys.public_key(settings.keys_dir)
    assert public is not None
    assert all(checkpoints.signature_ok(public, line) for line in lines)
    forged = dict(lines[0], last_event_id=11)
    assert not checkpoints.signature_ok(public, forged)


def test_a_rolled_back_transaction_never_reaches_the_sink(
    installed: sessionmaker[Session], settings: Settings
) -> None:
    policy = CheckpointPolicy(
        keys_dir=settings.keys_dir, every_events=1, sink=settings.audit_checkpoint_sink_path
    )
    with pytest.raises(RuntimeError), installed() as session, session.begin():  # noqa: PT012
        service.record(session, action="system.read")
        session.flush()
        checkpoints.write_checkpoint(
            session, session.connection(), policy, last_event_id=1, last_hash="0" * 64
        )
        raise RuntimeError("fails before commit")
    assert checkpoints.read_sink(policy.sink) == []


def test_a_checkpoint_is_due_after_m_minutes_even_below_n_events(
    installed: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eduguard.audit import capture

    policy = CheckpointPolicy(
        keys_dir=settings.keys_dir,
        every_events=1000,
        every_minutes=30,
        sink=settings.audit_checkpoint_sink_path,
    )
    capture.install(installed, policy)
    write_events(installed, 3)
    assert checkpoints.read_sink(policy.sink) == []
    later = datetime.now(UTC) + timedelta(minutes=31)
    monkeypatch.setattr(checkpoints, "utcnow", lambda: later)
    write_events(installed, 1)
    assert [line["last_event_id"] for line in checkpoints.read_sink(policy.sink)] == [4]
