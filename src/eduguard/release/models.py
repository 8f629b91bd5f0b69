"""Table: release requests. The approval itself is a ``reviews`` request (``review_id``)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eduguard.db.base import Base, IdMixin, TimestampMixin, UTCDateTime


class JobStatus(enum.StrEnum):
    waiting = "waiting"  # 待批准
    queued = "queued"  # 已批准，待生成
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class ReleaseRequest(IdMixin, TimestampMixin, Base):
    """What is asked for (dataset, fields, de-identification) and what the job produced."""

    __tablename__ = "release_requests"

    review_id: Mapped[int] = mapped_column(ForeignKey("review_requests.id"), unique=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_datasets.id"), index=True)
    dataset_name: Mapped[str] = mapped_column(String(300))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(Text)
    ethics_note: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[str] = mapped_column(Text)  # approved field names, one a line
    quasi_identifiers: Mapped[str] = mapped_column(Text, default="")  # one a line
    k: Mapped[int | None] = mapped_column(Integer)
    l_diversity: Mapped[int] = mapped_column(Integer, default=1)
    sensitive_attribute: Mapped[str | None] = mapped_column(String(300))
    output_format: Mapped[str] = mapped_column(String(10), default="csv")
    job_status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=20), default=JobStatus.waiting, index=True
    )
    job_error: Mapped[str | None] = mapped_column(String(1000))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    output_file: Mapped[str | None] = mapped_column(String(500))  # relative to the releases dir
    report_file: Mapped[str | None] = mapped_column(String(500))
    rows_exported: Mapped[int | None] = mapped_column(Integer)
    downloads: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def field_list(self) -> list[str]:
        return [name for name in self.fields.splitlines() if name]

    @property
    def quasi_list(self) -> list[str]:
        return [name for name in self.quasi_identifiers.splitlines() if name]
