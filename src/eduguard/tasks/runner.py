"""Running one task: claim it (short transaction), run its handler (which opens its own
transactions — a message is sent outside any), then settle it (another short one).

Handlers are registered by kind by each domain's ``jobs.py`` (``HANDLERS``) and collected by
:mod:`eduguard.worker.registry`; a worker claims only the kinds it has a handler for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from eduguard.config import Settings
from eduguard.db.engine import transaction
from eduguard.errors import failure_report
from eduguard.tasks import service
from eduguard.tasks.models import TaskStatus

logger = logging.getLogger("eduguard.tasks")
DEFAULT_LEASE = timedelta(minutes=15)  # a task running longer is presumed abandoned


class TaskRetry(Exception):
    """Raised by a handler: this attempt failed with ``code`` (a short code, never a personal
    value); try again after the backoff, or give up at once when ``permanent``."""

    def __init__(self, code: str, *, permanent: bool = False) -> None:
        super().__init__(code)
        self.code, self.permanent = code, permanent


@dataclass(frozen=True)
class TaskContext:
    factory: sessionmaker[Session]
    settings: Settings
    task_id: int
    kind: str
    payload: Mapping[str, Any]
    attempt: int
    max_attempts: int


@dataclass(frozen=True)
class Handler:
    """What runs a task of ``kind``. ``give_up(session, context, code)`` runs in the
    transaction that marks the task failed for good (e.g. the message becomes 发送失败).
    ``every_seconds``: a recurring task the worker keeps scheduled (one row per kind)."""

    kind: str
    run: Callable[[TaskContext], None]
    give_up: Callable[[Session, TaskContext, str], None] | None = None
    every_seconds: int | None = None


def _settle(
    factory: sessionmaker[Session],
    handler: Handler,
    context: TaskContext,
    worker: str,
    code: str,
    permanent: bool,
) -> None:
    with transaction(factory) as session:
        outcome = service.fail(session, context.task_id, worker, code, permanent=permanent)
        if outcome is not None and outcome.status == TaskStatus.failed and handler.give_up:
            handler.give_up(session, context, code)


def run_next(
    factory: sessionmaker[Session],
    handlers: Mapping[str, Handler],
    settings: Settings,
    worker: str,
) -> int | None:
    """Claim, run and settle the task due first; its id, or None when none is due. A handler
    that raises never stops the worker: the attempt is recorded as failed."""
    with transaction(factory) as session:
        task = service.claim_next(session, handlers.keys(), worker)
        if task is None:
            return None
        context = TaskContext(
            factory,
            settings,
            task.id,
            task.kind,
            dict(task.payload or {}),
            task.attempts,
            task.max_attempts,
        )
    handler = handlers[context.kind]
    try:
        handler.run(context)
    except TaskRetry as retry:
        logger.warning("task %s (%s) failed: %s", context.task_id, context.kind, retry.code)
        _settle(factory, handler, context, worker, retry.code, retry.permanent)
        return context.task_id
    except Exception as exc:  # a bug fails the attempt, not the worker
        error_id, summary = failure_report(exc)
        logger.error("task %s (%s) error %s: %s", context.task_id, context.kind, error_id, summary)
        _settle(factory, handler, context, worker, f"error:{error_id}", False)
        return context.task_id
    with transaction(factory) as session:
        service.succeed(session, context.task_id, worker)
    return context.task_id


def housekeeping(
    factory: sessionmaker[Session],
    handlers: Mapping[str, Handler],
    settings: Settings,
    *,
    lease: timedelta = DEFAULT_LEASE,
) -> int:
    """Schedule the recurring tasks; take back tasks whose worker died. How many were taken."""
    with transaction(factory) as session:
        for handler in handlers.values():
            if handler.every_seconds:
                service.ensure_recurring(session, handler.kind, handler.every_seconds)
        settled = service.take_back_stale(session, lease=lease)
        for task, outcome in settled:
            found = handlers.get(task.kind)
            if outcome.status == TaskStatus.failed and found is not None and found.give_up:
                context = TaskContext(
                    factory,
                    settings,
                    task.id,
                    task.kind,
                    dict(task.payload or {}),
                    task.attempts,
                    task.max_attempts,
                )
                found.give_up(session, context, "worker_lost")
        return len(settled)
