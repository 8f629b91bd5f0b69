"""The ``tasks`` table: one row per unit of background work (a message to deliver, a tick).

A payload holds ids and codes only — never a personal value (:func:`service.check_payload`);
the handler reads what it needs from the database when it runs.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from eduguard.db.base import Base, IdMixin, UTCDateTime, utcnow


class TaskStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"  # gave up after max_attempts (or a permanent error)


class Task(IdMixin, Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_status_run_at", "status", "run_at"),)

    kind: Mapped[str] = mapped_column(String(64))  # the handler's name, e.g. notify.deliver
    # A recurring task (clocks.tick) is one row re-armed after each run: key is unique.
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[TaskStatus] = mapped_column(
        Enum(TaskStatus, native_enum=False, length=16), default=TaskStatus.queued
    )
    run_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    backoff_seconds: Mapped[int] = mapped_column(Integer, default=60)  # doubled per attempt
    every_seconds: Mapped[int | None] = mapped_column(Integer)  # recurring: re-armed this often
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(64))  # a code, never a message
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
