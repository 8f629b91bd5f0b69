"""Enqueue, claim and settle tasks. Services flush, never commit: a task enqueued with the
change that causes it commits (or rolls back) with that change.

Claiming: PostgreSQL ``FOR UPDATE SKIP LOCKED`` (two workers never take the same row, nor
wait for each other); SQLite, one writer at a time, a guarded update ``… WHERE status =
'queued'`` that exactly one worker wins. A failed attempt is tried again after
``backoff_seconds × 2^(attempts-1)`` (at most :data:`MAX_BACKOFF`) until ``max_attempts``;
a recurring task is never given up: it is re-armed for its next turn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eduguard.db.base import utcnow
from eduguard.tasks.models import Task, TaskStatus

MAX_BACKOFF = timedelta(hours=6)
MAX_PAYLOAD_BYTES = 1000
MAX_ID = 10**10  # ids never get there; an 11-digit phone or an 18-digit ID number does
KEY_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
CODE_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,63}")
ERROR_CODE = re.compile(r"[^A-Za-z0-9_.:-]")


class PayloadRejected(ValueError):
    """A payload that could carry a personal value (a programming error, not a user's)."""


def check_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Allow ids and codes only: keys ``snake_case``; values ``None``, booleans, integers
    below :data:`MAX_ID` and code strings (a letter first, then letters, digits, ``_.:-``).
    A name, an address, a phone or ID number, free text: :class:`PayloadRejected`."""
    checked: dict[str, Any] = {}
    for key, value in payload.items():
        if not isinstance(key, str) or not KEY_NAME.fullmatch(key):
            raise PayloadRejected(f"task payload key {key!r} is not a snake_case name")
        if value is None or isinstance(value, bool):
            pass
        elif isinstance(value, int):
            if abs(value) >= MAX_ID:
                raise PayloadRejected(f"task payload {key}: integers are ids, below {MAX_ID}")
        elif isinstance(value, str):
            if not CODE_VALUE.fullmatch(value):
                raise PayloadRejected(f"task payload {key}: strings are codes, not free text")
        else:
            raise PayloadRejected(f"task payload {key}: {type(value).__name__} is not allowed")
        checked[key] = value
    if len(json.dumps(checked)) > MAX_PAYLOAD_BYTES:
        raise PayloadRejected("task payload too large")
    return checked


def enqueue(
    session: Session,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    max_attempts: int = 5,
    backoff_seconds: int = 60,
    key: str | None = None,
) -> Task:
    """Add a task in the caller's transaction. With ``key``, a task still queued under that key
    is reused (moved earlier if ``run_at`` is sooner) instead of adding a second."""
    if not 1 <= max_attempts <= 100 or backoff_seconds < 0:
        raise ValueError("max_attempts must be 1..100 and backoff_seconds ≥ 0")
    checked = check_payload(payload or {})
    when = run_at or utcnow()
    if key is not None:
        existing = session.scalar(select(Task).where(Task.key == key))
        if existing is not None and existing.status in (TaskStatus.queued, TaskStatus.running):
            if existing.status == TaskStatus.queued and when < existing.run_at:
                existing.run_at = when
            session.flush()
            return existing
        if existing is not None:  # finished: the key is free again
            existing.key = None
            session.flush()
    task = Task(
        kind=kind,
        key=key,
        payload=checked,
        run_at=when,
        max_attempts=max_attempts,
        backoff_seconds=backoff_seconds,
        status=TaskStatus.queued,
        attempts=0,
    )
    session.add(task)
    session.flush()
    return task


def ensure_recurring(session: Session, kind: str, every_seconds: int) -> None:
    """Make sure the recurring task ``kind`` exists (one row, key = kind). Safe when two
    workers start at once: the loser of the insert finds the winner's row."""
    existing = session.scalar(select(Task).where(Task.key == kind))
    if existing is not None:
        if existing.every_seconds != every_seconds:
            existing.every_seconds = every_seconds
        if existing.status in (TaskStatus.succeeded, TaskStatus.failed):
            existing.status, existing.run_at, existing.attempts = TaskStatus.queued, utcnow(), 0
        session.flush()
        return
    try:
        with session.begin_nested():
            session.add(
                Task(
                    kind=kind,
                    key=kind,
                    payload={},
                    run_at=utcnow(),
                    every_seconds=every_seconds,
                    max_attempts=3,
                    backoff_seconds=10,
                    status=TaskStatus.queued,
                    attempts=0,
                )
            )
    except IntegrityError:  # another worker added it meanwhile
        pass


def claim_next(
    session: Session, kinds: Collection[str], worker: str, *, now: datetime | None = None
) -> Task | None:
    """Take the task due first among ``kinds`` (the handlers this worker has) and mark it
    running by ``worker``; None when nothing is due."""
    if not kinds:
        return None
    now = now or utcnow()
    due = (
        select(Task)
        .where(Task.status == TaskStatus.queued, Task.run_at <= now, Task.kind.in_(kinds))
        .order_by(Task.run_at, Task.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        task = session.scalar(due.limit(1).with_for_update(skip_locked=True))
        if task is None:
            return None
        task.status, task.claimed_by, task.claimed_at = TaskStatus.running, worker, now
        task.attempts += 1
        session.flush()
        return task
    ids = select(Task.id).where(
        Task.status == TaskStatus.queued, Task.run_at <= now, Task.kind.in_(kinds)
    )
    for candidate in session.scalars(ids.order_by(Task.run_at, Task.id).limit(5)).all():
        won = session.execute(
            update(Task)
            .where(Task.id == candidate, Task.status == TaskStatus.queued)
            .values(
                status=TaskStatus.running,
                claimed_by=worker,
                claimed_at=now,
                attempts=Task.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) == 1:
            task = session.get(Task, candidate)
            if task is not None:
                session.refresh(task)
                return task
    return None


def _owned(session: Session, task_id: int, worker: str) -> Task | None:
    """The task if ``worker`` still holds it (a stale claim taken back is not overwritten)."""
    task = session.get(Task, task_id, with_for_update=True, populate_existing=True)
    if task is None or task.status != TaskStatus.running or task.claimed_by != worker:
        return None
    return task


def _rearm(task: Task, now: datetime, error: str | None) -> None:
    assert task.every_seconds is not None
    task.status, task.run_at, task.attempts = (
        TaskStatus.queued,
        now + timedelta(seconds=task.every_seconds),
        0,
    )
    task.claimed_by = task.claimed_at = None
    task.last_error = error


def succeed(session: Session, task_id: int, worker: str, *, now: datetime | None = None) -> bool:
    """Record a successful run (a recurring task is re-armed). False if the claim was lost."""
    now = now or utcnow()
    task = _owned(session, task_id, worker)
    if task is None:
        return False
    if task.every_seconds:
        _rearm(task, now, None)
    else:
        task.status, task.finished_at, task.last_error = TaskStatus.succeeded, now, None
        task.claimed_by, task.key = None, None
    session.flush()
    return True


@dataclass(frozen=True)
class Outcome:
    status: TaskStatus  # queued (tried again later) or failed (given up)
    run_at: datetime | None


def backoff(task: Task) -> timedelta:
    delay = timedelta(seconds=task.backoff_seconds * 2 ** max(task.attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def _settle_failure(task: Task, code: str, now: datetime, permanent: bool) -> Outcome:
    code = ERROR_CODE.sub("_", code)[:64] or "error"
    if not permanent and task.attempts < task.max_attempts:
        task.status, task.run_at, task.last_error = TaskStatus.queued, now + backoff(task), code
        task.claimed_by = task.claimed_at = None
        return Outcome(TaskStatus.queued, task.run_at)
    if task.every_seconds:  # a tick must never stop for good
        _rearm(task, now, code)
        return Outcome(TaskStatus.queued, task.run_at)
    task.status, task.finished_at, task.last_error = TaskStatus.failed, now, code
    task.claimed_by, task.key = None, None
    return Outcome(TaskStatus.failed, None)


def fail(
    session: Session,
    task_id: int,
    worker: str,
    code: str,
    *,
    permanent: bool = False,
    now: datetime | None = None,
) -> Outcome | None:
    """Record a failed attempt: queued again after the backoff, or failed once
    ``max_attempts`` are spent (or ``permanent``). None if the claim was lost."""
    task = _owned(session, task_id, worker)
    if task is None:
        return None
    outcome = _settle_failure(task, code, now or utcnow(), permanent)
    session.flush()
    return outcome


def take_back_stale(
    session: Session, *, lease: timedelta, now: datetime | None = None
) -> list[tuple[Task, Outcome]]:
    """Tasks left running longer than ``lease`` (their worker died): each counts as a failed
    attempt (``worker_lost``) and is queued again or given up."""
    now = now or utcnow()
    stale = session.scalars(
        select(Task)
        .where(Task.status == TaskStatus.running, Task.claimed_at < now - lease)
        .order_by(Task.id)
        .limit(100)
    ).all()
    settled = [(task, _settle_failure(task, "worker_lost", now, False)) for task in stale]
    session.flush()
    return settled


def queued_due(session: Session, *, now: datetime | None = None) -> int:
    """Tasks waiting for a worker (due now or earlier)."""
    now = now or utcnow()
    query = select(func.count()).where(Task.status == TaskStatus.queued, Task.run_at <= now)
    return session.scalar(query) or 0


def get(session: Session, task_id: int) -> Task | None:
    return session.get(Task, task_id)
