"""Events are written in the caller's transaction: committed changes always have their events,
rolled-back ones never do; automatic capture records column names, never values."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import fastverify, service, verify
from eduguard.audit.chain import GENESIS_HASH
from eduguard.audit.checkpoints import CheckpointPolicy
from eduguard.audit.models import AuditEvent
from eduguard.audit.service import Actor
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import UnitCreate, UnitUpdate

from .conftest import AUDITOR


def events(factory: sessionmaker[Session]) -> list[AuditEvent]:
    with factory() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_committed_change_has_exactly_its_events(installed: sessionmaker[Session]) -> None:
    with installed() as session, session.begin():
        service.bind_actor(session, AUDITOR)
        unit = orgs_service.create_unit(
            session, UnitCreate(name="示例市教育局", kind=UnitKind.city)
        )
        unit_id = unit.id
    with installed() as session, session.begin():
        service.bind_actor(session, AUDITOR)
        orgs_service.update_unit(session, unit_id, UnitUpdate(security_contact="张老师"))
    recorded = events(installed)
    assert [(e.action, e.object_type, e.object_id) for e in recorded] == [
        ("unit.create", "unit", str(unit_id)),
        ("unit.update", "unit", str(unit_id)),
    ]
    created, updated = recorded
    assert {"name", "kind", "path"} <= set(created.field_list)
    assert updated.field_list == ["security_contact"]
    # Names only: no value of the change appears anywhere in the event.
    for audit_event in recorded:
        assert "张老师" not in repr(vars(audit_event))
        assert "示例市教育局" not in repr(vars(audit_event))
    assert created.username == "t.auditor" and created.roles == "audit_admin"
    assert created.client_address == "192.0.2.10"
    assert created.reason == AUDITOR.reason
    assert [e.id for e in recorded] == [1, 2]
    assert updated.prev_hash == created.hash


def test_rolled_back_change_leaves_no_event(installed: sessionmaker[Session]) -> None:
    def failing_request() -> None:
        with installed() as session, session.begin():
            service.bind_actor(session, AUDITOR)
            orgs_service.create_unit(session, UnitCreate(name="回滚单位", kind=UnitKind.county))
            service.record(session, action="catalog.export", row_count=10)
            session.flush()
            raise RuntimeError("the request fails after the change")

    with pytest.raises(RuntimeError, match="fails after"):
        failing_request()
    with installed() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        assert orgs_service.list_units(session) == []


def test_savepoint_rollback_drops_only_its_events(installed: sessionmaker[Session]) -> None:
    with installed() as session, session.begin():
        service.record(session, action="system.read", object_type="system", object_id=1)
        nested = session.begin_nested()
        service.record(session, action="system.read", object_type="system", object_id=2)
        orgs_service.create_unit(session, UnitCreate(name="嵌套单位", kind=UnitKind.county))
        nested.rollback()
        service.record(session, action="system.read", object_type="system", object_id=3)
    assert [(e.action, e.object_id) for e in events(installed)] == [
        ("system.read", "1"),
        ("system.read", "3"),
    ]


def test_record_returns_the_event_with_its_chain_after_commit(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session, session.begin():
        first = service.record(
            session,
            action="auth.login_failed",
            result="denied",
            reason="密码错误",
            actor=Actor(username="someone", client_address="198.51.100.7"),
        )
        second = service.record(session, action="config.update", fields=["session_hours"])
    assert (first.id, second.id) == (1, 2)
    assert second.prev_hash == first.hash != ""
    assert second.username == "system"  # no actor bound: still recorded, never lost
    with pytest.raises(ValueError, match="result"):
        service.record(session_factory(), action="x", result="maybe")  # type: ignore[arg-type]


def test_many_events_in_one_transaction_chain_in_one_go(
    installed: sessionmaker[Session], policy: CheckpointPolicy
) -> None:
    with installed() as session, session.begin():
        for number in range(500):
            service.record(session, action="catalog.read", object_id=number)
    with installed() as session:
        checked = verify.verify(session.connection(), keys_dir=policy.keys_dir, sink=policy.sink)
    assert checked.ok, checked.problem
    assert checked.events_checked == 500


@pytest.mark.parametrize(
    "text",
    [
        'quote " backslash \\ slash /',
        "控制字符\x01\x08\x0c\n\r\t\x1f\x7f结束",
        "NUL\x00inside",
        "line sep \u2028 para sep \u2029 emoji 😀 ½",
        "",
        # Escapes on either side of the C loop's 8-byte steps, and long clean runs.
        '"' + "a" * 7 + '"' + "b" * 8 + "\\" + "c" * 15 + "\x01" + "d" * 16 + "\n" + "汉字" * 9,
        "x" * 63 + "\x1f",
    ],
)
def test_tricky_strings_verify_on_every_backend(
    engine: Engine, session_factory: sessionmaker[Session], policy: CheckpointPolicy, text: str
) -> None:
    """The database (row path) and the C loop (fast path) build the canonical JSON during
    verify: their string quoting must agree with Python's for every character an event can
    hold."""
    with session_factory() as session, session.begin():
        service.record(
            session,
            action="config.update",
            object_type=text[:10] or None,
            object_id=text,
            fields=[text or "f"],
            reason=text,
            actor=Actor(username=text or "u", client_address=text, unit_path="/" + text),
        )
    with session_factory() as session:
        checked = verify.verify(session.connection(), keys_dir=policy.keys_dir, sink=policy.sink)
    assert checked.ok, checked.problem
    assert checked.events_checked == 1
    # The C worker finds the same row clean by itself (no fallback to the row path).
    source = fastverify.source_for(engine.url)
    assert source is not None
    ranges = fastverify.verify_ranges(source, [(0, 1)], [(1, GENESIS_HASH)], {})
    assert ranges is not None
    assert (ranges[0].count, ranges[0].bad) == (1, False)


def test_a_denial_outlives_the_rolled_back_request(
    session_factory: sessionmaker[Session],
) -> None:
    def denied_request() -> None:
        with session_factory() as session, session.begin():
            service.bind_actor(session, Actor(username="t.sysadmin", roles=("system_admin",)))
            # The request has already written (SQLite: it holds the database's write lock).
            orgs_service.create_unit(session, UnitCreate(name="写入后被拒", kind=UnitKind.county))
            session.flush()
            service.record_separately(
                session_factory,
                session=session,
                action="access.denied",
                result="denied",
                reason="角色（系统管理员）无“查阅审计日志”权限",
            )
            raise PermissionError("403")

    with pytest.raises(PermissionError, match="403"):
        denied_request()
    recorded = events(session_factory)
    assert [(e.action, e.result, e.username) for e in recorded] == [
        ("access.denied", "denied", "t.sysadmin")
    ]
    with session_factory() as session:
        assert orgs_service.list_units(session) == []


def test_a_separate_event_without_a_request_session_commits_at_once(
    session_factory: sessionmaker[Session],
) -> None:
    written = service.record_separately(
        session_factory,
        action="auth.login_failed",
        result="denied",
        actor=Actor(username="nobody", client_address="203.0.113.9"),
    )
    assert written is not None and written.id == 1
    assert [e.action for e in events(session_factory)] == ["auth.login_failed"]


def test_time_never_decreases_along_the_chain(session_factory: sessionmaker[Session]) -> None:
    """A transaction that recorded first but commits last gets the later id and a time no
    earlier than its predecessor's, so time order is id order (searches rely on it)."""
    first = session_factory()
    first.begin()
    early = service.record(first, action="system.read", object_id="early")
    with session_factory() as second, second.begin():
        late = service.record(second, action="system.read", object_id="late")
    first.commit()
    first.close()
    assert (late.id, early.id) == (1, 2)
    assert early.time >= late.time
    stored = events(session_factory)
    assert [e.object_id for e in stored] == ["late", "early"]
    assert stored[0].time <= stored[1].time


def test_concurrent_writers_keep_one_valid_chain(
    session_factory: sessionmaker[Session], policy: CheckpointPolicy
) -> None:
    """Appends from several connections at once serialise on the chain lock: contiguous ids,
    every prev_hash linking to its predecessor."""
    from concurrent.futures import ThreadPoolExecutor

    def writer(number: int) -> None:
        for transaction in range(15):
            with session_factory() as session, session.begin():
                for item in range(4):
                    service.record(
                        session, action="system.read", object_id=f"{number}-{transaction}-{item}"
                    )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(writer, range(4)))
    with session_factory() as session:
        checked = verify.verify(session.connection(), keys_dir=policy.keys_dir, sink=policy.sink)
        ids = list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
    assert checked.ok, checked.problem
    assert ids == list(range(1, 4 * 15 * 4 + 1))


def test_without_the_compiled_loop_verify_checks_row_by_row(
    installed: sessionmaker[Session], policy: CheckpointPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install whose C compiler was missing (the extension is optional) still verifies."""
    from .conftest import write_events

    write_events(installed, 30)
    monkeypatch.setattr(fastverify, "available", lambda dialect="sqlite": False)

    def no_workers(*args: object) -> None:
        raise AssertionError("no worker may start without the compiled loop")

    monkeypatch.setattr(fastverify, "verify_ranges", no_workers)
    with installed() as session:
        result = verify.verify(
            session.connection(), keys_dir=policy.keys_dir, sink=policy.sink, workers=2
        )
    assert result.ok, result.problem
    assert result.events_checked == 30


def test_the_c_loop_formats_postgresql_times_as_python_does(
    engine: Engine, session_factory: sessionmaker[Session], policy: CheckpointPolicy
) -> None:
    """Times come to the C loop as microseconds on PostgreSQL and as text on SQLite: events
    across a leap day, a year boundary and the last microsecond of a second all verify."""
    from datetime import UTC, datetime

    moments = [
        datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 0, 0, 0, tzinfo=UTC),
        datetime(2100, 3, 1, 12, 0, 0, 500_000, tzinfo=UTC),
    ]
    records = [
        service.EventRecord(
            time=moment,
            username="t.auditor",
            user_id=None,
            roles="audit_admin",
            unit_id=None,
            unit_path="/",
            client_address=None,
            action="config.update",
            object_type=None,
            object_id=None,
            fields="",
            row_count=None,
            result="ok",
            reason=None,
        )
        for moment in moments
    ]
    with session_factory() as session, session.begin():
        service.append(session.connection(), records)
    source = fastverify.source_for(engine.url)
    assert source is not None
    outcome = fastverify.verify_range(source, 0, 10, 1, GENESIS_HASH, [])
    assert (outcome.count, outcome.bad) == (len(moments), False)
