"""Sources, queued scans executed by the worker, versions and findings — on both databases."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit.models import AuditEvent
from eduguard.catalog import flows, service
from eduguard.catalog.models import (
    CatalogAlert,
    CatalogChange,
    ChangeKind,
    Dataset,
    DataSource,
    Field,
    RunStatus,
    ScanRun,
)
from eduguard.catalog.schemas import SourceCreate
from eduguard.catalog.service import LocationPolicy
from eduguard.crypto import DecryptionFailed

from .conftest import World, make_school_db

ALL = "/"


def _add_source(factory: sessionmaker[Session], system_id: int, location: str) -> int:
    with factory() as session, session.begin():
        source = flows.add_source(
            session,
            system_id,
            SourceCreate(name="学籍库", location=location),
            scope=ALL,
            policy=LocationPolicy((Path(tempfile.gettempdir()),)),
        )
        return source.id


def _scan(factory: sessionmaker[Session], system_id: int) -> list[int]:
    with factory() as session, session.begin():
        runs = flows.request_scan(session, system_id, scope=ALL, requested_by="tester")
        return [run.id for run in runs]


def _fields(session: Session, system_id: int) -> dict[tuple[str, str], Field]:
    return {
        (f.dataset.name, f.name): f
        for f in service.list_fields(session, systems=None, system_id=system_id)
    }


def test_the_worker_scans_a_sqlite_source_into_the_catalog(
    audited_factory: sessionmaker[Session],
    world: World,
    run_worker: Callable[[], int],
    tmp_path: Path,
) -> None:
    db = make_school_db(tmp_path / "school.db")
    _add_source(audited_factory, world.system, f"sqlite:///{db}")
    (run_id,) = _scan(audited_factory, world.system)
    with audited_factory() as session:
        assert session.get(ScanRun, run_id).status == RunStatus.queued  # nothing runs in-request
    assert run_worker() == 1
    with audited_factory() as session:
        run = session.get(ScanRun, run_id)
        assert run.status == RunStatus.succeeded, run.error_message
        assert (run.tables_total, run.tables_done) == (2, 2)
        assert run.rows_read == 128
        assert run.datasets_count == 2
        assert service.run_report(run)["tables"][0]["name"] in {"xs_jbxx", "bj"}
        fields = _fields(session, world.system)
        assert fields["xs_jbxx", "xm"].pi_types == ["PERSON_NAME"]
        assert fields["xs_jbxx", "lxdh"].pi_types == ["MOBILE_PHONE"]
        assert fields["bj", "bjmc"].pi_types == []
        student_table = session.scalar(select(Dataset).where(Dataset.name == "xs_jbxx"))
        assert student_table.row_count == 120
        # The first version is the baseline: nothing is "new" yet.
        assert session.scalars(select(CatalogChange)).all() == []
        applied = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "catalog.apply")
        ).all()
        assert len(applied) == 1 and applied[0].username == "worker"


def test_a_password_is_stored_encrypted_and_never_shown(
    audited_factory: sessionmaker[Session], world: World
) -> None:
    password = "Sch00l-DB-pass-synthetic"
    url = f"postgresql://reader:{password}@db.school.example:5432/xj"
    source_id = _add_source(audited_factory, world.system, url)
    with audited_factory() as session:
        raw = session.execute(text("SELECT location, secret FROM catalog_sources")).one()
        assert password not in raw.location and password not in (raw.secret or "")
        assert raw.secret.startswith("sm4gcm:v2:")
        source = session.get(DataSource, source_id)
        assert service.connect_location(source) == url
        shown = service.source_out(source)
        assert shown["location"] == "postgresql://reader:***@db.school.example:5432/xj"
        assert password not in str(shown)
    # The ciphertext is bound to its source: copied to another row it does not decrypt.
    with audited_factory() as session, session.begin():
        other = DataSource(
            system_id=world.system, name="copy", kind=source.kind, location=source.location
        )
        session.add(other)
        session.flush()
        session.execute(
            text("UPDATE catalog_sources SET secret = :secret WHERE id = :id"),
            {"secret": raw.secret, "id": other.id},
        )
        other_id = other.id
    with audited_factory() as session, pytest.raises(DecryptionFailed):
        session.get(DataSource, other_id)


def test_a_new_id_number_column_is_a_version_change_and_an_alert(
    audited_factory: sessionmaker[Session],
    world: World,
    run_worker: Callable[[], int],
    tmp_path: Path,
) -> None:
    db = make_school_db(tmp_path / "school.db")
    _add_source(audited_factory, world.system, f"sqlite:///{db}")
    _scan(audited_factory, world.system)
    run_worker()
    make_school_db(db, with_id_column=True)
    (second,) = _scan(audited_factory, world.system)
    run_worker()
    with audited_factory() as session:
        run = session.get(ScanRun, second)
        assert run.status == RunStatus.succeeded
        changes = session.scalars(
            select(CatalogChange).where(CatalogChange.version_id == run.version_id)
        ).all()
        assert [(c.kind, c.dataset_name, c.field_name, c.after, c.finding) for c in changes] == [
            (ChangeKind.field_added, "xs_jbxx", "sfzjh", "CN_RESIDENT_ID", True)
        ]
        (alert,) = session.scalars(select(CatalogAlert)).all()
        assert alert.audience == "security_admin" and alert.status == "open"
        assert "sfzjh" in alert.message and "学籍管理系统" in alert.message
        assert run.findings_count == 1
    # Dropping it again is a removal, and no new alert.
    make_school_db(db)
    (third,) = _scan(audited_factory, world.system)
    run_worker()
    with audited_factory() as session:
        run = session.get(ScanRun, third)
        kinds = [
            (c.kind, c.field_name)
            for c in session.scalars(
                select(CatalogChange).where(CatalogChange.version_id == run.version_id)
            )
        ]
        assert kinds == [(ChangeKind.field_removed, "sfzjh")]
        assert len(session.scalars(select(CatalogAlert)).all()) == 1
        assert ("xs_jbxx", "sfzjh") not in _fields(session, world.system)


def test_a_refused_connection_fails_the_run_and_leaves_the_catalog(
    audited_factory: sessionmaker[Session],
    world: World,
    run_worker: Callable[[], int],
    tmp_path: Path,
) -> None:
    db = make_school_db(tmp_path / "school.db")
    _add_source(audited_factory, world.system, f"sqlite:///{db}")
    _scan(audited_factory, world.system)
    run_worker()
    with audited_factory() as session:
        before = sorted(_fields(session, world.system))
    with audited_factory() as session, session.begin():
        source = session.scalars(select(DataSource)).one()
        source.location = "postgresql://reader@127.0.0.1:1/nowhere"
        source.secret = None
        source.kind = service.SourceKind.database
    (failed,) = _scan(audited_factory, world.system)
    run_worker()
    with audited_factory() as session:
        run = session.get(ScanRun, failed)
        assert run.status == RunStatus.failed
        assert run.error_code == "db_connect_failed"
        assert run.error_message == "无法连接数据源"
        assert run.version_id is None
        assert sorted(_fields(session, world.system)) == before


def test_a_correction_survives_rescans_and_a_changed_proposal_asks_for_rereview(
    audited_factory: sessionmaker[Session],
    world: World,
    run_worker: Callable[[], int],
    tmp_path: Path,
) -> None:
    from eduguard.catalog.schemas import FieldReview

    db = make_school_db(tmp_path / "school.db")
    _add_source(audited_factory, world.system, f"sqlite:///{db}")
    _scan(audited_factory, world.system)
    run_worker()
    with audited_factory() as session, session.begin():
        field = _fields(session, world.system)["bj", "bjmc"]
        assert field.pi_types == []
        flows.review(
            session,
            field.id,
            FieldReview(
                decision="correct",
                reason="班级名称与学生名单关联，按个人信息管理",
                pi_types=["EDUCATION_RECORD"],
                level="general-3",
            ),
            scope=ALL,
            reviewer="owner",
        )
    _scan(audited_factory, world.system)
    run_worker()
    with audited_factory() as session:
        field = _fields(session, world.system)["bj", "bjmc"]
        assert field.review_status.value == "corrected"  # same proposal: nothing to re-review
        assert (field.pi_types, field.level) == (["EDUCATION_RECORD"], "general-3")
        assert field.proposed_pi_types == ""
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "catalog.review.correct")
        ).all()
        assert [(e.object_id, e.username) for e in events] == [(str(field.id), "system")]
    # The class table now holds phone numbers: the proposal changes, the answer stays in force
    # and the field is flagged for re-review.
    import sqlite3

    connection = sqlite3.connect(db)
    connection.execute("UPDATE bj SET bjmc = '1380013800' || substr(bjbh, 2, 1)")
    connection.commit()
    connection.close()
    _scan(audited_factory, world.system)
    run_worker()
    with audited_factory() as session:
        field = _fields(session, world.system)["bj", "bjmc"]
        assert field.proposed_pi_types == "MOBILE_PHONE"
        assert field.review_status.value == "rereview"
        assert (field.pi_types, field.level) == (["EDUCATION_RECORD"], "general-3")


def test_a_queued_run_is_claimed_by_one_worker_only(
    audited_factory: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    db = make_school_db(tmp_path / "school.db")
    _add_source(audited_factory, world.system, f"sqlite:///{db}")
    (first,) = _scan(audited_factory, world.system)
    (second,) = _scan(audited_factory, world.system)
    postgres = audited_factory.kw["bind"].dialect.name == "postgresql"
    holder = audited_factory()
    try:
        holder.begin()
        taken = service.claim_next(holder)
        assert taken is not None and taken.id == first
        if not postgres:  # SQLite has one writer: the claim is decided when it commits
            holder.commit()
        with audited_factory() as other, other.begin():
            if not postgres:
                assert service.claim(other, first) is None  # already running
            # PostgreSQL: the first run's row is locked by the open claim and skipped.
            nxt = service.claim_next(other)
            assert nxt is not None and nxt.id == second
        if postgres:
            holder.commit()
    finally:
        holder.close()
    with audited_factory() as session:
        statuses = {r.id: r.status for r in session.scalars(select(ScanRun))}
        assert statuses == {first: RunStatus.running, second: RunStatus.running}
        assert service.claim(session, first) is None
