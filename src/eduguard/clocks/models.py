"""Clock rows: one per legal deadline, its reminders (each written once), its escalation."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eduguard.clocks.workdays import ClockUnit
from eduguard.db.base import Base, IdMixin, UTCDateTime, utcnow


class ClockStatus(enum.StrEnum):
    open = "open"
    closed = "closed"


class Clock(IdMixin, Base):
    __tablename__ = "clocks"
    __table_args__ = (
        Index("ix_clocks_status_due_at", "status", "due_at"),
        Index("ix_clocks_subject", "subject_type", "subject_id"),
        Index("ix_clocks_unit_status", "unit_id", "status"),
    )

    kind: Mapped[str] = mapped_column(String(64))  # e.g. incident.initial_report
    title: Mapped[str] = mapped_column(String(200))  # names the object, never a person
    subject_type: Mapped[str] = mapped_column(String(40))  # incident, request, grant …
    subject_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit: Mapped[ClockUnit] = mapped_column(Enum(ClockUnit, native_enum=False, length=16))
    amount: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    calendar_exact: Mapped[bool] = mapped_column(Boolean, default=True)
    owner_role: Mapped[str] = mapped_column(String(30))  # reminded before the due time
    escalate_role: Mapped[str] = mapped_column(String(30))  # told once it is overdue
    escalate_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    status: Mapped[ClockStatus] = mapped_column(
        Enum(ClockStatus, native_enum=False, length=16), default=ClockStatus.open
    )
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(64))
    close_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    reminders: Mapped[list[ClockReminder]] = relationship(
        back_populates="clock", order_by="ClockReminder.remind_at", cascade="all, delete-orphan"
    )


class ClockReminder(IdMixin, Base):
    __tablename__ = "clock_reminders"
    __table_args__ = (
        UniqueConstraint("clock_id", "remind_at", name="uq_clock_reminders_clock_time"),
        Index("ix_clock_reminders_due", "sent_at", "remind_at"),
    )

    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id", ondelete="CASCADE"))
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # written once only
    message_id: Mapped[int | None] = mapped_column(Integer)

    clock: Mapped[Clock] = relationship(back_populates="reminders")
