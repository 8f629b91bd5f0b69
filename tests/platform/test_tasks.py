"""The one task queue: enqueued with its cause, claimed once, retried with backoff, given up."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from eduguard.config import Settings
from eduguard.db.base import utcnow
from eduguard.tasks import runner, service
from eduguard.tasks.models import Task, TaskStatus
from eduguard.tasks.runner import Handler, TaskContext, TaskRetry


def test_payload_holds_ids_and_codes_only(session: Session) -> None:
    service.enqueue(session, "demo.kind", {"delivery_id": 12, "mode": "full", "flag": True})
    for bad in (
        {"name": "张三"},
        {"phone": 13800138000},
        {"email": "someone@school.example"},
        {"note": "free text with spaces"},
        {"ids": [1, 2]},
        {"Bad-Key": 1},
    ):
        with pytest.raises(service.PayloadRejected):
            service.enqueue(session, "demo.kind", bad)
    session.rollback()


def test_enqueued_in_the_callers_transaction(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        session.begin()
        service.enqueue(session, "demo.kind", {"object_id": 1})
        session.rollback()  # the cause failed: its task is gone with it
    with session_factory() as session:
        assert session.scalars(select(Task)).all() == []


def _handlers(run: object, give_up: object = None) -> dict[str, Handler]:
    return {"demo.kind": Handler("demo.kind", run, give_up=give_up)}  # type: ignore[arg-type]


def test_failed_attempts_back_off_then_give_up(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    given_up: list[tuple[int, str]] = []

    def run(context: TaskContext) -> None:
        raise TaskRetry("remote_down")

    def give_up(session: Session, context: TaskContext, code: str) -> None:
        given_up.append((context.task_id, code))

    with session_factory() as session, session.begin():
        task_id = service.enqueue(
            session, "demo.kind", {"object_id": 7}, max_attempts=3, backoff_seconds=30
        ).id
    handlers = _handlers(run, give_up)
    delays = []
    for attempt in (1, 2, 3):
        before = utcnow()
        assert runner.run_next(session_factory, handlers, settings, "w1") == task_id
        with session_factory() as session:
            task = session.get(Task, task_id)
            assert task is not None and task.attempts == attempt
            assert task.last_error == "remote_down"
            if attempt < 3:
                assert task.status == TaskStatus.queued
                delays.append(task.run_at - before)
        # not due yet: nothing to claim until the backoff has passed
        assert runner.run_next(session_factory, handlers, settings, "w1") is None
        with session_factory() as session, session.begin():  # time travel: the backoff passed
            session.execute(update(Task).values(run_at=utcnow() - timedelta(seconds=1)))
    assert timedelta(seconds=29) < delays[0] <= timedelta(seconds=31)
    assert timedelta(seconds=59) < delays[1] <= timedelta(seconds=61)  # doubled
    with session_factory() as session:
        task = session.get(Task, task_id)
        assert task is not None and task.status == TaskStatus.failed
    assert given_up == [(task_id, "remote_down")]


def test_a_recurring_task_is_one_row_rearmed(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    runs: list[int] = []
    handlers = {
        "demo.tick": Handler("demo.tick", lambda c: runs.append(c.task_id), every_seconds=60)
    }
    runner.housekeeping(session_factory, handlers, settings)
    runner.housekeeping(session_factory, handlers, settings)  # a second worker starting
    assert runner.run_next(session_factory, handlers, settings, "w1") is not None
    assert runner.run_next(session_factory, handlers, settings, "w1") is None  # next in 60 s
    with session_factory() as session:
        (task,) = session.scalars(select(Task)).all()
        assert task.status == TaskStatus.queued and task.attempts == 0
        assert task.run_at > utcnow() + timedelta(seconds=50)
    assert len(runs) == 1


def test_a_dead_workers_task_is_taken_back(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory() as session, session.begin():
        service.enqueue(session, "demo.kind", {"object_id": 1})
    with session_factory() as session, session.begin():
        claimed = service.claim_next(session, {"demo.kind"}, "dead-worker")
        assert claimed is not None
        claimed.claimed_at = utcnow() - timedelta(hours=1)
    handlers = _handlers(lambda c: None)
    assert runner.housekeeping(session_factory, handlers, settings) == 1
    assert runner.run_next(session_factory, handlers, settings, "w2") is None  # backing off
    with session_factory() as session, session.begin():
        session.execute(update(Task).values(run_at=utcnow() - timedelta(seconds=1)))
    assert runner.run_next(session_factory, handlers, settings, "w2") is not None
    with session_factory() as session, session.begin():
        (task,) = session.scalars(select(Task)).all()
        assert task.status == TaskStatus.succeeded and task.attempts == 2
        # the dead worker, back to life, cannot settle a task it no longer holds
        assert service.succeed(session, task.id, "dead-worker") is False


def test_two_workers_never_claim_the_same_task(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory() as session, session.begin():
        ids = {service.enqueue(session, "demo.kind", {"object_id": n}).id for n in range(1, 41)}
    seen: dict[str, list[int]] = {"a": [], "b": []}
    lock = threading.Lock()
    start = threading.Barrier(2)

    def work(name: str) -> None:
        def run(context: TaskContext) -> None:
            with lock:
                seen[name].append(context.task_id)

        handlers = _handlers(run)
        start.wait()
        while runner.run_next(session_factory, handlers, settings, f"worker-{name}") is not None:
            pass

    threads = [threading.Thread(target=work, args=(n,)) for n in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    ran = seen["a"] + seen["b"]
    assert sorted(ran) == sorted(ids)  # every task ran, none twice
    assert not set(seen["a"]) & set(seen["b"])
    with session_factory() as session:
        tasks = session.scalars(select(Task)).all()
        assert {t.status for t in tasks} == {TaskStatus.succeeded}
        assert {t.attempts for t in tasks} == {1}
