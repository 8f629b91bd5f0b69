"""Tables: collection plans (what a system plans to collect, with the artefacts a review needs),
their fields (as classified), and the fields approved for a system.

Systems, reviews and purposes belong to other domains; they are referenced by foreign key only.
Sample values read from a 采集表 serve the classification and are never stored.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eduguard.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class Acquisition(enum.StrEnum):
    collect = "collect"  # 直接收集
    share = "share"  # 通过共享或核验获取（一数一源）


class CollectionPlan(IdMixin, TimestampMixin, Base):
    """One planned collection (a new system, or new/changed fields of one) under review."""

    __tablename__ = "collection_plans"

    review_id: Mapped[int] = mapped_column(ForeignKey("review_requests.id"), unique=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    system_type: Mapped[str] = mapped_column(String(40))  # a key of baselines.toml
    purpose: Mapped[str] = mapped_column(Text, default="")
    source_name: Mapped[str] = mapped_column(String(300))  # the file read, or "console"
    source_kind: Mapped[str] = mapped_column(String(20))
    expected_subjects: Mapped[int] = mapped_column(Integer, default=0)
    children: Mapped[bool] = mapped_column(Boolean, default=False)  # subjects under 14
    storage_location: Mapped[str] = mapped_column(String(20), default="domestic")
    cross_border_ref: Mapped[str] = mapped_column(String(200), default="")
    # sensitive PI (item 11): the argument and the 领导班子 collective decision
    necessity_argument: Mapped[str] = mapped_column(Text, default="")
    ethics_argument: Mapped[str] = mapped_column(Text, default="")
    meeting_date: Mapped[date | None] = mapped_column(Date)
    meeting_attendees: Mapped[str] = mapped_column(Text, default="")  # one a line
    minutes_name: Mapped[str | None] = mapped_column(String(255))
    minutes_path: Mapped[str | None] = mapped_column(String(255))  # relative to the uploads dir
    minutes_sha256: Mapped[str | None] = mapped_column(String(64))
    retention: Mapped[str] = mapped_column(Text, default="{}")  # JSON: field group → period
    created_by: Mapped[str] = mapped_column(String(64), default="")
    # the purpose of the system's processing register the collection serves (None: approval
    # creates a draft purpose), and what the approval wrote there (JSON, "" before approval)
    purpose_id: Mapped[int | None] = mapped_column(ForeignKey("processing_purposes.id"), index=True)
    register_write: Mapped[str] = mapped_column(Text, default="")

    fields: Mapped[list[PlanField]] = relationship(
        cascade="all, delete-orphan", order_by="PlanField.id", lazy="selectin"
    )


class PlanField(IdMixin, Base):
    """A planned field as the discovery engine classified and graded it, with its evidence."""

    __tablename__ = "collection_plan_fields"

    plan_id: Mapped[int] = mapped_column(ForeignKey("collection_plans.id"), index=True)
    group: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(300))
    label: Mapped[str | None] = mapped_column(String(500))
    choices: Mapped[str] = mapped_column(Text, default="")  # one a line (validation list, enum)
    pi_types: Mapped[str] = mapped_column(String(500), default="")  # comma-separated codes
    category: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20), default="general-1")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    minors: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float] = mapped_column(default=0.0)
    evidence: Mapped[str] = mapped_column(Text, default="")  # one reason a line
    optional: Mapped[bool] = mapped_column(Boolean, default=False)
    justification: Mapped[str] = mapped_column(Text, default="")
    acquisition: Mapped[Acquisition] = mapped_column(
        Enum(Acquisition, native_enum=False, length=20), default=Acquisition.collect
    )

    @property
    def types(self) -> list[str]:
        return [code for code in self.pi_types.split(",") if code]


class ApprovedField(IdMixin, Base):
    """A field a system may collect: written when its collection review is approved. The
    processing register and ``eduguard collection check`` read these."""

    __tablename__ = "collection_approved_fields"

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("collection_plans.id"), index=True)
    group: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(300))
    label: Mapped[str | None] = mapped_column(String(500))
    pi_types: Mapped[str] = mapped_column(String(500), default="")
    level: Mapped[str] = mapped_column(String(20), default="general-1")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    optional: Mapped[bool] = mapped_column(Boolean, default=False)
    acquisition: Mapped[Acquisition] = mapped_column(
        Enum(Acquisition, native_enum=False, length=20), default=Acquisition.collect
    )
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
