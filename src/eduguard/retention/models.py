"""Tables: a retention rule or a recorded exemption per catalog dataset, and holds that block
disposition until released with a reason.

Datasets, fields and purposes belong to other domains; they are referenced by foreign key only
(cross-domain queries live in ``retention.flows``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eduguard.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow
from eduguard.db.sealed import sealed


class Trigger(enum.StrEnum):
    """What starts the retention period."""

    date_column = "date_column"  # 数据中的日期列（毕业日期、离职日期、成绩录入时间）
    event = "event"  # 事件（学年结束、合同终止、撤回同意）
    row_age = "row_age"  # 记录本身的时间（创建/写入时间列）


class PeriodUnit(enum.StrEnum):
    days = "days"
    months = "months"
    years = "years"


class Disposition(enum.StrEnum):
    delete = "delete"  # 删除
    anonymise = "anonymise"  # 匿名化
    archive = "archive"  # 归档（停止除存储和必要保护之外的处理，PIPL 第四十七条第二款）


class HoldKind(enum.StrEnum):
    complaint = "complaint"  # 投诉处理
    incident = "incident"  # 安全事件调查
    litigation = "litigation"  # 诉讼
    audit = "audit"  # 审计
    supervisor = "supervisor"  # 监管部门要求


class RetentionRule(IdMixin, TimestampMixin, Base):
    """How long one dataset's rows are kept and what happens to them after."""

    __tablename__ = "retention_rules"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_datasets.id"), unique=True)
    purpose_id: Mapped[int | None] = mapped_column(ForeignKey("processing_purposes.id"))
    trigger: Mapped[Trigger] = mapped_column(Enum(Trigger, native_enum=False, length=20))
    trigger_column: Mapped[str | None] = mapped_column(String(300))  # date_column, row_age
    event_name: Mapped[str | None] = mapped_column(String(200))  # event: what it is
    event_date: Mapped[date | None] = mapped_column(Date)  # event: when it happened
    period_value: Mapped[int] = mapped_column(Integer)
    period_unit: Mapped[PeriodUnit] = mapped_column(Enum(PeriodUnit, native_enum=False, length=10))
    minimum_value: Mapped[int | None] = mapped_column(
        Integer
    )  # legal minimum, where a law sets one
    minimum_unit: Mapped[PeriodUnit | None] = mapped_column(
        Enum(PeriodUnit, native_enum=False, length=10)
    )
    legal_basis: Mapped[str] = mapped_column(Text, default="")  # the law or rule relied on
    disposition: Mapped[Disposition] = mapped_column(
        Enum(Disposition, native_enum=False, length=20)
    )
    key_column: Mapped[str | None] = mapped_column(String(300))  # the row key for the manifest
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class RetentionExemption(IdMixin, Base):
    """A dataset that has no rule, and why (e.g. 学籍档案永久保存)."""

    __tablename__ = "retention_exemptions"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_datasets.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RetentionHold(IdMixin, Base):
    """A hold on a dataset — no disposition while it is open (released_at is None) — or on
    one subject of it: ``subject_column`` names the column that identifies the subject and
    ``subject_hash`` is the keyed HMAC-SM3 of its value (never the value itself); that
    subject's rows are left out of every disposition while the dataset's other rows proceed."""

    __tablename__ = "retention_holds"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_datasets.id"), index=True)
    subject_column: Mapped[str | None] = mapped_column(String(300))
    subject_hash: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[HoldKind] = mapped_column(Enum(HoldKind, native_enum=False, length=20))
    reference: Mapped[str] = mapped_column(String(200), default="")  # case or letter number
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    released_by: Mapped[str | None] = mapped_column(String(64))
    release_reason: Mapped[str | None] = mapped_column(Text)


class RunStatus(enum.StrEnum):
    planned = "planned"  # 已生成计划（干运行），待提交审批
    approval = "approval"  # 审批中
    approved = "approved"  # 已批准，待执行
    running = "running"  # 执行中（中断后可续做）
    completed = "completed"  # 已完成，证明已出具
    rejected = "rejected"  # 审批驳回或撤回
    cancelled = "cancelled"  # 已取消（计划过期或数据集被保全）


class ManifestState(enum.StrEnum):
    pending = "pending"  # 已记录、尚未在源库提交
    done = "done"  # 已在源库处置


class WriteCredential(IdMixin, Base):
    """The credential a disposition writes to a source with, registered for dispositions only
    (the scan credential stays read-only). The password is sealed (SM4-GCM, bound to the row);
    a SQLite file needs none."""

    __tablename__ = "retention_write_credentials"

    source_id: Mapped[int] = mapped_column(ForeignKey("catalog_sources.id"), unique=True)
    username: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str | None] = mapped_column(Text, info=sealed())
    registered_by: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DispositionRun(IdMixin, TimestampMixin, Base):
    """One disposition of one dataset: planned from the real source (dry run), approved by two
    people through reviews/, executed in batches, certified."""

    __tablename__ = "retention_runs"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_datasets.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("retention_rules.id"))
    rule_revision: Mapped[int] = mapped_column(Integer)
    disposition: Mapped[Disposition] = mapped_column(
        Enum(Disposition, native_enum=False, length=20)
    )
    cutoff: Mapped[date] = mapped_column(Date)
    status: Mapped[RunStatus] = mapped_column(
        Enum(RunStatus, native_enum=False, length=20), default=RunStatus.planned, index=True
    )
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review_requests.id"))
    table_name: Mapped[str] = mapped_column(String(300))
    key_column: Mapped[str] = mapped_column(String(300))
    date_column: Mapped[str | None] = mapped_column(String(300))  # None: every row (event)
    selection_sql: Mapped[str] = mapped_column(Text)  # the row selection shown to reviewers
    pi_columns: Mapped[str] = mapped_column(Text, default="")  # comma-separated (anonymise)
    rows_before: Mapped[int] = mapped_column(Integer, default=0)
    selected: Mapped[int] = mapped_column(Integer, default=0)
    # rows the date rule selects but subject holds keep (left out of ``selected``)
    held_rows: Mapped[int] = mapped_column(Integer, default=0)
    # the selected rows by subject class at the plan (JSON: under_14 / minor / adult / unknown),
    # from a birth-date or ID-number column; None when the dataset has neither
    subject_classes: Mapped[str | None] = mapped_column(Text)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    rows_after: Mapped[int | None] = mapped_column(Integer)
    remaining_after: Mapped[int | None] = mapped_column(Integer)  # the verification query
    batches: Mapped[int] = mapped_column(Integer, default=0)
    salt: Mapped[str] = mapped_column(String(64))  # the manifest's HMAC key (hex)
    planned_by: Mapped[str] = mapped_column(String(64))
    executor: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    longest_batch_ms: Mapped[int] = mapped_column(Integer, default=0)
    # Who is executing it ("host:pid") and until when: one executor at a time; a dead one's
    # lease is taken over when it expires (or at once when its process is gone on this host).
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    certificate: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    certificate_sm3: Mapped[str | None] = mapped_column(String(64))


class ManifestEntry(IdMixin, Base):
    """One selected row of a run: HMAC-SM3 of its key under the run's salt (never the key or
    any value) and the batch it went in. Written once and never updated: whether the source
    has committed it is its batch's state (``ManifestBatch``), so a batch is marked done by
    one row, not by rewriting thousands."""

    __tablename__ = "retention_manifest"
    __table_args__ = (
        # also what a run's manifest is read by (its leading column)
        UniqueConstraint("run_id", "key_hash", name="uq_retention_manifest_key"),
        # a pending batch's hashes are read by (run, batch) when a killed run is resumed
        Index("ix_retention_manifest_run_batch", "run_id", "batch"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("retention_runs.id"))
    key_hash: Mapped[str] = mapped_column(String(64))
    batch: Mapped[int] = mapped_column(Integer)


class ManifestBatch(Base):
    """One batch of a run: written ahead (``pending``) with its manifest rows, ``done`` once
    the source has committed it; the rows it holds."""

    __tablename__ = "retention_batches"

    run_id: Mapped[int] = mapped_column(ForeignKey("retention_runs.id"), primary_key=True)
    batch: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[ManifestState] = mapped_column(
        Enum(ManifestState, native_enum=False, length=10), default=ManifestState.pending
    )
    rows: Mapped[int] = mapped_column(Integer, default=0)


class ArchivedRow(IdMixin, Base):
    """A row moved out of its source by an archive disposition of an earlier version (one
    sealed row each); still read, no longer written: archives are ``ArchiveChunk`` now."""

    __tablename__ = "retention_archive"
    __table_args__ = (UniqueConstraint("run_id", "key_hash", name="uq_retention_archive_key"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("retention_runs.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text, info=sealed())
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ArchiveChunk(IdMixin, Base):
    """The rows one batch of an archive disposition moved out of its source: a JSON list of
    ``{"key_hash", "row"}`` sealed as one value (SM4-GCM bound to this row), readable only by
    the auditor and by the owner's explicit, audited request. One seal a batch, not a row:
    sealing each row cost more than the disposition itself."""

    __tablename__ = "retention_archive_chunks"
    __table_args__ = (UniqueConstraint("run_id", "batch", name="uq_retention_archive_chunks_run"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("retention_runs.id"))
    batch: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text, info=sealed())
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
