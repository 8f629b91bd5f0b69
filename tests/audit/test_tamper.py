"""An attacker with the database edits, deletes, inserts, reorders or cuts the log with SQL
(after switching the triggers off); verify names the first bad event every time.

Every case runs three times: through the row-batch checker, and through the C loop split into
two id ranges (so a problem inside the second range, or at the link between the ranges, is
found there too) checked on two threads, and in two child processes (the mode used when the C
loop's SQLite is another copy than Python's)."""

from __future__ import annotations

import functools

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import checkpoints, fastverify, tail, verify
from eduguard.audit.chain import GENESIS_HASH, canonical_row, event_hash
from eduguard.audit.checkpoints import CheckpointPolicy
from eduguard.audit.models import AuditEvent

from .conftest import drop_protection, restore_protection, write_events


@pytest.fixture(params=["rows", "threads", "processes"], autouse=True)
def verify_path(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> str:
    """Make ``verify.verify`` take the C loop with two ranges, on threads or in processes."""
    if request.param != "rows":
        # The compiled C loop must be there: without it these runs would check rows again.
        assert fastverify.available(engine.dialect.name)
        monkeypatch.setattr(verify, "verify", functools.partial(verify.verify, workers=2))
        monkeypatch.setattr(
            fastverify,
            "verify_ranges",
            functools.partial(fastverify.verify_ranges, processes=request.param == "processes"),
        )
    return str(request.param)


@pytest.fixture
def attacked(engine: Engine) -> Engine:
    drop_protection(engine)
    yield engine  # type: ignore[misc]
    restore_protection(engine)


def check(factory: sessionmaker[Session], policy: CheckpointPolicy) -> verify.VerifyResult:
    with factory() as session:
        return verify.verify(
            session.connection(), keys_dir=policy.keys_dir, sink=policy.sink, batch_size=7
        )


def sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement), params)


def test_an_untouched_log_verifies(
    installed: sessionmaker[Session], policy: CheckpointPolicy
) -> None:
    write_events(installed, 40)
    result = check(installed, policy)
    assert result.ok, result.problem
    assert (result.events_checked, result.first_event_id, result.last_event_id) == (40, 1, 40)
    assert result.checkpoints_checked == 0


def test_an_empty_log_verifies(installed: sessionmaker[Session], policy: CheckpointPolicy) -> None:
    result = check(installed, policy)
    assert result.ok and result.events_checked == 0


def test_edited_field_is_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 30)
    sql(attacked, "UPDATE audit_events SET username = 'someone.else' WHERE id = 17")
    result = check(installed, policy)
    assert not result.ok and result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("edited", 17)
    assert "事件 17" in result.problem.message_zh


def test_edited_result_is_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 12)
    sql(attacked, "UPDATE audit_events SET result = 'ok', row_count = 0 WHERE id = 3")
    result = check(installed, policy)
    assert result.problem is not None and result.problem.event_id == 3


def test_deleted_row_is_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 30)
    sql(attacked, "DELETE FROM audit_events WHERE id = 9")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("deleted", 9)


def test_deleted_head_of_log_is_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 10)
    sql(attacked, "DELETE FROM audit_events WHERE id <= 4")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("deleted", 1)


def _forged(after_id: int, prev_hash: str, new_id: int) -> dict[str, object]:
    from datetime import UTC, datetime

    row: dict[str, object] = {
        "id": new_id,
        "time": datetime(2026, 1, 1, tzinfo=UTC),
        "username": "ghost",
        "user_id": None,
        "roles": "",
        "unit_id": None,
        "unit_path": "/",
        "client_address": None,
        "action": "unit.create",
        "object_type": "unit",
        "object_id": str(after_id),
        "fields": "name",
        "row_count": 1,
        "result": "ok",
        "reason": None,
        "prev_hash": prev_hash,
    }
    return row


def test_inserted_forged_row_with_a_guessed_hash_is_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 10)
    sql(
        attacked,
        "INSERT INTO audit_events (id, time, username, roles, unit_path, action, fields, "
        "result, prev_hash, hash) SELECT 11, time, 'ghost', '', '/', 'unit.delete', '', 'ok', "
        "hash, :fake FROM audit_events WHERE id = 10",
        fake="ab" * 32,
    )
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("edited", 11)


def test_row_inserted_in_the_middle_and_renumbered_is_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    """The attacker makes room at id 6 (shifting later ids) and inserts a correctly hashed row
    there: the next event's prev_hash no longer matches."""
    write_events(installed, 10)
    if attacked.dialect.name == "postgresql":
        sql(attacked, "UPDATE audit_events SET id = id + 1000 WHERE id >= 6")
        sql(attacked, "UPDATE audit_events SET id = id - 999 WHERE id >= 1000")
    else:
        sql(attacked, "UPDATE audit_events SET id = -id WHERE id >= 6")
        sql(attacked, "UPDATE audit_events SET id = -id + 1 WHERE id < 0")
    with installed() as session:
        prev = session.execute(text("SELECT hash FROM audit_events WHERE id = 5")).scalar_one()
    row = _forged(5, prev, 6)
    row["hash"] = event_hash(canonical_row(row))
    with attacked.begin() as connection:
        connection.execute(insert(AuditEvent), [row])
    result = check(installed, policy)
    assert result.problem is not None
    # Event 6 is a valid link after 5; the old event 6, now 7, no longer links to it.
    assert (result.problem.code, result.problem.event_id) == ("chain_broken", 7)


def test_swapped_rows_are_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 20)
    sql(attacked, "UPDATE audit_events SET id = -1 WHERE id = 8")
    sql(attacked, "UPDATE audit_events SET id = 8 WHERE id = 9")
    sql(attacked, "UPDATE audit_events SET id = 9 WHERE id = -1")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("chain_broken", 8)


def test_tail_cut_after_a_checkpoint_is_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 25)
    with installed() as session, session.begin():
        made = checkpoints.checkpoint_now(session, policy)
    assert made is not None and made["last_event_id"] == 25
    sql(attacked, "DELETE FROM audit_events WHERE id > 21")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("truncated", 22)


def test_tail_cut_with_its_checkpoint_rows_is_caught_by_the_sink(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 25)
    with installed() as session, session.begin():
        checkpoints.checkpoint_now(session, policy)
    assert policy.sink is not None and policy.sink.exists()
    sql(attacked, "DELETE FROM audit_events WHERE id > 20")
    sql(attacked, "DELETE FROM audit_checkpoints")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("truncated", 21)


def test_recomputed_chain_disagrees_with_the_signed_checkpoint(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    """A careful attacker rewrites event 30 and recomputes every later hash: only the signed
    checkpoint (key outside the database) catches it."""
    write_events(installed, 40)
    with installed() as session, session.begin():
        checkpoints.checkpoint_now(session, policy)
    with installed() as session:
        rows = [
            dict(r._mapping)
            for r in session.execute(
                select(AuditEvent.__table__).where(AuditEvent.id >= 30).order_by(AuditEvent.id)
            )
        ]
    prev = rows[0]["prev_hash"]
    for row in rows:
        if row["id"] == 30:
            row["username"] = "nobody"
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(canonical_row(row))
        sql(
            attacked,
            "UPDATE audit_events SET username = :username, prev_hash = :prev_hash, "
            "hash = :hash WHERE id = :id",
            **row,
        )
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("checkpoint_mismatch", 40)


def test_forged_checkpoint_is_refused(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 5)
    with installed() as session, session.begin():
        checkpoints.checkpoint_now(session, policy)
    sql(attacked, "UPDATE audit_checkpoints SET last_event_id = 3")
    result = check(installed, policy)
    assert result.problem is not None and result.problem.code == "checkpoint_forged"


def _rewrite_as_format_1(factory: sessionmaker[Session], engine: Engine) -> None:
    """Make the log what a pre-0009 install left: every event hashed in format 1."""
    with factory() as session:
        rows = [
            dict(r._mapping)
            for r in session.execute(select(AuditEvent.__table__).order_by(AuditEvent.id))
        ]
    prev = GENESIS_HASH
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(canonical_row(row), 1)
        sql(
            engine,
            "UPDATE audit_events SET chain_format = 1, prev_hash = :prev_hash, hash = :hash "
            "WHERE id = :id",
            **row,
        )


def test_a_log_older_than_format_2_verifies_and_goes_on_in_format_2(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 12)
    _rewrite_as_format_1(installed, attacked)
    write_events(installed, 9)
    with installed() as session:
        formats = session.execute(
            text("SELECT chain_format, count(*) FROM audit_events GROUP BY chain_format")
        ).all()
    assert sorted(tuple(row) for row in formats) == [(1, 12), (2, 9)]
    result = check(installed, policy)
    assert result.ok, result.problem
    assert result.events_checked == 21


@pytest.mark.parametrize(("event_id", "relabel"), [(5, 2), (15, 1), (15, 3)])
def test_an_event_relabelled_to_another_format_is_named(
    installed: sessionmaker[Session],
    policy: CheckpointPolicy,
    attacked: Engine,
    event_id: int,
    relabel: int,
) -> None:
    write_events(installed, 10)
    _rewrite_as_format_1(installed, attacked)
    write_events(installed, 10)
    sql(
        attacked, "UPDATE audit_events SET chain_format = :f WHERE id = :id", f=relabel, id=event_id
    )
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("edited", event_id)


def test_an_edited_format_1_event_is_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 10)
    _rewrite_as_format_1(installed, attacked)
    write_events(installed, 5)
    sql(attacked, "UPDATE audit_events SET reason = 'nothing to see' WHERE id = 4")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("edited", 4)


@pytest.mark.parametrize("column", ["username", "row_count", "reason"])
def test_a_value_replaced_by_a_blob_is_named(
    installed: sessionmaker[Session],
    policy: CheckpointPolicy,
    attacked: Engine,
    column: str,
) -> None:
    """SQLite stores a blob in any column; the event is reported as edited, not a crash."""
    if attacked.dialect.name != "sqlite":
        pytest.skip("PostgreSQL columns are typed: a blob cannot be stored in them")
    write_events(installed, 12)
    sql(attacked, f"UPDATE audit_events SET {column} = CAST('x' AS BLOB) WHERE id = 7")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("edited", 7)


# The tail: what the short-interval checkpoint (audit/tail.py, by the server and the worker)
# signs and exports at once can no longer be cut, rewritten or have its rows deleted unseen.


def _recompute_from(factory: sessionmaker[Session], engine: Engine, first: int) -> None:
    """Rewrite event ``first`` and recompute every later hash (a careful attacker)."""
    with factory() as session:
        rows = [
            dict(r._mapping)
            for r in session.execute(
                select(AuditEvent.__table__).where(AuditEvent.id >= first).order_by(AuditEvent.id)
            )
        ]
    prev = rows[0]["prev_hash"]
    for row in rows:
        if row["id"] == first:
            row["username"] = "nobody"
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(canonical_row(row))
        sql(
            engine,
            "UPDATE audit_events SET username = :username, prev_hash = :prev_hash, "
            "hash = :hash WHERE id = :id",
            **row,
        )


def test_the_tail_is_signed_and_exported_without_waiting_for_n_events(
    installed: sessionmaker[Session], policy: CheckpointPolicy
) -> None:
    write_events(installed, 25)
    assert checkpoints.read_sink(policy.sink) == []  # 10,000 events / 60 minutes: none yet
    made = tail.checkpoint_tail(installed, policy)
    assert made is not None and made["last_event_id"] == 25
    assert [line["last_event_id"] for line in checkpoints.read_sink(policy.sink)] == [25]
    assert tail.checkpoint_tail(installed, policy) is None  # nothing new: no second checkpoint
    result = check(installed, policy)
    assert result.ok, result.problem


def test_last_events_deleted_after_the_tail_checkpoint_are_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 25)
    tail.checkpoint_tail(installed, policy)
    sql(attacked, "DELETE FROM audit_events WHERE id > 23")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("truncated", 24)


def test_every_event_after_the_previous_checkpoint_deleted_is_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    """Checkpoints at 20 and 27: cutting back to the first one (and its rows) is caught."""
    write_events(installed, 20)
    tail.checkpoint_tail(installed, policy)
    write_events(installed, 7)
    tail.checkpoint_tail(installed, policy)
    sql(attacked, "DELETE FROM audit_events WHERE id > 20")
    sql(attacked, "DELETE FROM audit_checkpoints WHERE last_event_id > 20")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("truncated", 21)


def test_tail_rewritten_with_the_chain_recomputed_is_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 18)
    tail.checkpoint_tail(installed, policy)
    _recompute_from(installed, attacked, 17)
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("checkpoint_mismatch", 18)


def test_tail_rewritten_and_its_checkpoint_rows_deleted_is_caught_by_the_sink(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    write_events(installed, 18)
    tail.checkpoint_tail(installed, policy)
    _recompute_from(installed, attacked, 12)
    sql(attacked, "DELETE FROM audit_checkpoints")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("checkpoint_mismatch", 18)


def test_deleted_checkpoint_rows_are_named(
    installed: sessionmaker[Session], policy: CheckpointPolicy, attacked: Engine
) -> None:
    """The events are untouched, only the checkpoint table is emptied: still reported."""
    write_events(installed, 9)
    tail.checkpoint_tail(installed, policy)
    write_events(installed, 4)
    tail.checkpoint_tail(installed, policy)
    sql(attacked, "DELETE FROM audit_checkpoints WHERE last_event_id = 9")
    result = check(installed, policy)
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("checkpoint_deleted", 9)
    assert "检查点记录被删除" in result.problem.message_zh
