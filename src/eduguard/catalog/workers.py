"""Background workers' heartbeats: who executes queued scans, and whether one was seen lately.

Every worker loop (``eduguard worker`` and the web server's in-process one) writes its row
at most every :data:`BEAT_SECONDS`; a running scan's progress writes count too. The console
shows a banner when work is queued and no worker has been seen for :data:`SILENT_SECONDS`.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from eduguard.catalog.models import RunStatus, ScanRun, WorkerHeartbeat
from eduguard.db.base import utcnow

BEAT_SECONDS = 15.0
SILENT_SECONDS = 90
FORGET_AFTER = timedelta(days=7)  # rows of workers long gone are removed


def worker_name(kind: str) -> str:
    return f"{socket.gethostname()[:150]}:{os.getpid()}:{kind}"[:200]


def beat(session: Session, name: str, kind: str, *, now: datetime | None = None) -> None:
    """Record that the worker ``name`` is alive (and forget workers silent for a week)."""
    now = now or utcnow()
    row = session.get(WorkerHeartbeat, name)
    if row is None:
        session.add(WorkerHeartbeat(name=name, kind=kind, seen_at=now))
    else:
        row.seen_at = now
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - FORGET_AFTER))


def last_seen(session: Session) -> datetime | None:
    """The latest sign of life of any worker: a heartbeat or a running scan's progress."""
    beats = session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    progress = session.scalar(
        select(func.max(ScanRun.heartbeat_at)).where(ScanRun.status == RunStatus.running)
    )
    seen = [t for t in (beats, progress) if t is not None]
    return max(seen) if seen else None


def queued_scans(session: Session) -> int:
    return session.scalar(select(func.count()).where(ScanRun.status == RunStatus.queued)) or 0


def silent(session: Session, *, now: datetime | None = None) -> bool:
    """True when no worker was seen for :data:`SILENT_SECONDS`."""
    seen = last_seen(session)
    now = now or utcnow()
    return seen is None or now - seen > timedelta(seconds=SILENT_SECONDS)
