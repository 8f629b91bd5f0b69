"""Signing the tail of the log on a short interval, so cutting or rewriting it is caught.

Checkpoints written on append (every N events or M minutes) leave the newest events unsigned
until the next write after the interval: an attacker with the database could delete or
recompute that tail unseen. Here a checkpoint of the chain head is made every
``EDUGUARD_AUDIT_CHECKPOINT_SECONDS`` (default 60) whenever events were appended since the last
checkpoint, and exported to the sink at once (after commit). Two callers: a background thread
in the web server (:class:`Checkpointer`, started in the app's lifespan) and the worker loop
(:func:`tick`, rate-limited per session factory). Both may run: the chain lock serialises them
and a head that already has its checkpoint is skipped.

The residual window, stated in docs/audit.md: events newer than the last *exported* checkpoint
(at most one interval old, plus the time the last writer took) are protected by the chain only.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import checkpoints
from eduguard.audit.models import AuditCheckpoint, AuditEvent

log = logging.getLogger(__name__)

POLICY_ATTRIBUTE = "_eduguard_audit_tail_policy"
_LAST_TICK_ATTRIBUTE = "_eduguard_audit_tail_last_tick"


def has_unsigned_events(session: Session) -> bool:
    """A cheap read (no lock): are there events after the newest checkpoint?"""
    head = session.scalar(select(func.max(AuditEvent.id)))
    if head is None:
        return False
    signed = session.scalar(select(func.max(AuditCheckpoint.last_event_id)))
    return signed is None or int(head) > int(signed)


def checkpoint_tail(
    factory: sessionmaker[Session], policy: checkpoints.CheckpointPolicy
) -> dict[str, Any] | None:
    """A signed checkpoint of the chain head if events were appended since the last one
    (exported to the sink when the transaction commits); None when there was nothing new."""
    with factory() as session:
        if not has_unsigned_events(session):
            return None
    with factory() as session, session.begin():
        return checkpoints.checkpoint_now(session, policy)


def remember_policy(factory: sessionmaker[Session], policy: checkpoints.CheckpointPolicy) -> None:
    """Make ``policy`` the one :func:`tick` uses for ``factory`` (done by ``capture.install``)."""
    setattr(factory, POLICY_ATTRIBUTE, policy)


def _safely(factory: sessionmaker[Session], policy: checkpoints.CheckpointPolicy) -> None:
    try:
        checkpoint_tail(factory, policy)
    except Exception as error:  # a locked database or a missing key must not stop the caller
        # The type only: a database error's text can carry connection details.
        log.warning(
            "audit tail checkpoint failed (%s); retried next interval", type(error).__name__
        )


def tick(factory: sessionmaker[Session]) -> None:
    """For loops that run anyway (the worker): checkpoint the tail when the policy's interval
    has passed since this factory's last tick. No-op without an installed policy."""
    policy: checkpoints.CheckpointPolicy | None = getattr(factory, POLICY_ATTRIBUTE, None)
    if policy is None:
        return
    now = time.monotonic()
    last: float | None = getattr(factory, _LAST_TICK_ATTRIBUTE, None)
    if last is not None and now - last < policy.interval_seconds:
        return
    setattr(factory, _LAST_TICK_ATTRIBUTE, now)
    _safely(factory, policy)


class Checkpointer:
    """A daemon thread that checkpoints the tail every ``policy.interval_seconds``; a context
    manager (the web app's lifespan): started on enter, stopped and joined on exit."""

    def __init__(
        self, factory: sessionmaker[Session], policy: checkpoints.CheckpointPolicy
    ) -> None:
        self.factory = factory
        self.policy = policy
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="eduguard-audit-checkpointer", daemon=True
        )

    def _run(self) -> None:
        while not self._stop.wait(self.policy.interval_seconds):
            _safely(self.factory, self.policy)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def __enter__(self) -> Checkpointer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
