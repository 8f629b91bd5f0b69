"""Tables: each information system's backup policy, its recovery drills and their evidence files.

Notice item 5 (制定数据存储传输、备份恢复的安全策略): the policy says how often the system is
backed up, where the copies are, how they are encrypted and how long they are kept; a drill
records a real restore — when, what, and the RTO and RPO achieved. Systems belong to orgs and
are referenced by foreign key only (cross-domain reads live in ``backup.flows``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eduguard.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class Frequency(enum.StrEnum):
    hourly = "hourly"  # 每小时（或持续复制）
    daily = "daily"  # 每天
    weekly = "weekly"  # 每周
    monthly = "monthly"  # 每月


class DrillOutcome(enum.StrEnum):
    success = "success"  # 恢复成功，数据完整
    partial = "partial"  # 部分恢复（有数据或功能未恢复）
    failed = "failed"  # 恢复失败


class BackupPolicy(IdMixin, TimestampMixin, Base):
    """How one information system is backed up."""

    __tablename__ = "backup_policies"

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), unique=True)
    frequency: Mapped[Frequency] = mapped_column(Enum(Frequency, native_enum=False, length=20))
    location: Mapped[str] = mapped_column(Text)  # where the copies are kept
    offsite: Mapped[bool] = mapped_column(Boolean, default=False)  # 异地或离线副本
    encryption: Mapped[str] = mapped_column(Text, default="")  # "" = copies not encrypted
    retention_days: Mapped[int] = mapped_column(Integer)  # how long a backup copy is kept
    rto_target_minutes: Mapped[int | None] = mapped_column(Integer)
    rpo_target_minutes: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class RecoveryDrill(IdMixin, Base):
    """One recovery drill: a backup actually restored, with the RTO and RPO achieved."""

    __tablename__ = "backup_drills"

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    drilled_on: Mapped[date] = mapped_column(Date, index=True)
    scope: Mapped[str] = mapped_column(Text)  # what was restored, from which backup
    outcome: Mapped[DrillOutcome] = mapped_column(Enum(DrillOutcome, native_enum=False, length=20))
    rto_minutes: Mapped[int] = mapped_column(Integer)  # achieved: outage to service restored
    rpo_minutes: Mapped[int] = mapped_column(Integer)  # achieved: data lost, in minutes
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    evidence: Mapped[list[DrillEvidence]] = relationship(
        back_populates="drill", order_by="DrillEvidence.id", lazy="selectin"
    )


class DrillEvidence(IdMixin, Base):
    """A file proving a drill (restore log, screenshot, signed record), stored
    content-addressed under ``uploads/backup`` with its SHA-256."""

    __tablename__ = "backup_drill_evidence"

    drill_id: Mapped[int] = mapped_column(ForeignKey("backup_drills.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    drill: Mapped[RecoveryDrill] = relationship(back_populates="evidence")
