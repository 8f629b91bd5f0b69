"""Tables: data sources, scan runs, catalog versions, datasets, fields, changes and alerts.

Systems and units belong to ``orgs``; they are referenced by foreign key only, so this domain
imports no other domain's models (cross-domain queries live in ``catalog.flows``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eduguard.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow
from eduguard.db.sealed import sealed

Count = BigInteger().with_variant(Integer(), "sqlite")
TRGM = "public.gin_trgm_ops"  # pg_trgm, installed in schema public by migration 0007


def contains_index(name: str, column: str) -> Index:
    """An index for ``LIKE '%term%'`` on ``column``: a trigram GIN index on PostgreSQL (a
    plain one elsewhere, where it does not help contains-searches but keeps one schema)."""
    return Index(name, column, postgresql_using="gin", postgresql_ops={column: TRGM})


class SourceKind(enum.StrEnum):
    database = "database"
    files = "files"


class RunStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"  # by a user, or its source was archived


class ReviewStatus(enum.StrEnum):
    proposed = "proposed"  # 待审核
    confirmed = "confirmed"  # 已确认
    corrected = "corrected"  # 已更正
    rereview = "rereview"  # 已审核，但扫描给出的建议变了：需复核


class ChangeKind(enum.StrEnum):
    dataset_added = "dataset_added"
    dataset_removed = "dataset_removed"
    field_added = "field_added"
    field_removed = "field_removed"
    types_changed = "types_changed"


class DataSource(IdMixin, TimestampMixin, Base):
    """Where a system's data is: a database URL (without its password) or a file/folder path.
    A password is kept in ``secret``, sealed (SM4-GCM with a data key) and bound to the row."""

    __tablename__ = "catalog_sources"

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SourceKind] = mapped_column(Enum(SourceKind, native_enum=False, length=20))
    location: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str | None] = mapped_column(
        Text, info=sealed(legacy_context="catalog_sources:{id}:password")
    )
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Scan on a schedule: the worker queues a run when the last one was requested this many
    # days ago (None: on demand only).
    scan_every_days: Mapped[int | None] = mapped_column(Integer)


class ScanRun(IdMixin, Base):
    """One requested scan of one source: queued, run by the worker, its result kept."""

    __tablename__ = "catalog_scan_runs"

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("catalog_sources.id"), index=True)
    status: Mapped[RunStatus] = mapped_column(
        Enum(RunStatus, native_enum=False, length=20), default=RunStatus.queued, index=True
    )
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Last sign of life from the worker running it (progress writes); a run whose worker died
    # is recognised by a stale heartbeat and failed, so it can be scanned again.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sample: Mapped[int | None] = mapped_column(Integer)
    tables_total: Mapped[int | None] = mapped_column(Integer)
    tables_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_read: Mapped[int] = mapped_column(Count, default=0)
    current_table: Mapped[str | None] = mapped_column(String(300))
    datasets_count: Mapped[int] = mapped_column(Integer, default=0)
    fields_count: Mapped[int] = mapped_column(Integer, default=0)
    changes_count: Mapped[int] = mapped_column(Integer, default=0)
    findings_count: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    report_gz: Mapped[bytes | None] = mapped_column(LargeBinary)  # gzip of the report JSON
    version_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_versions.id"))


class CatalogVersion(IdMixin, Base):
    """A system's catalog as one applied scan run left it."""

    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("system_id", "number", name="uq_catalog_versions_number"),)

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[int] = mapped_column(ForeignKey("catalog_sources.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Dataset(IdMixin, TimestampMixin, Base):
    """A table, sheet or file of a system's source."""

    __tablename__ = "catalog_datasets"
    __table_args__ = (
        UniqueConstraint("source_id", "name", name="uq_catalog_datasets_source_name"),
        contains_index("ix_catalog_datasets_name_trgm", "name"),
    )

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("catalog_sources.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    comment: Mapped[str | None] = mapped_column(String(500))
    row_count: Mapped[int | None] = mapped_column(Count)
    rows_sampled: Mapped[int] = mapped_column(Count, default=0)
    subjects: Mapped[int | None] = mapped_column(Count)
    level: Mapped[str] = mapped_column(String(20), default="general-1")
    minors: Mapped[bool] = mapped_column(Boolean, default=False)
    # the scan's important-data proposals for the whole table, one a line (for review only)
    important_proposals: Mapped[str | None] = mapped_column(Text)
    retention_period: Mapped[str | None] = mapped_column(String(100))  # set by people
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    last_version_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_versions.id"))

    fields: Mapped[list[Field]] = relationship(
        back_populates="dataset", order_by="Field.id", lazy="selectin"
    )


class Field(IdMixin, TimestampMixin, Base):
    """A column (data item) with the scan's proposal and, once reviewed, the person's answer.

    The effective classification is the reviewed one when there is one; a re-scan updates the
    proposal only, and flags a reviewed field whose proposal changed for re-review."""

    __tablename__ = "catalog_fields"
    __table_args__ = (
        UniqueConstraint("dataset_id", "name", name="uq_catalog_fields_name"),
        contains_index("ix_catalog_fields_name_trgm", "name"),
        contains_index("ix_catalog_fields_comment_trgm", "comment"),
        contains_index("ix_catalog_fields_proposed_types_trgm", "proposed_pi_types"),
        contains_index("ix_catalog_fields_reviewed_types_trgm", "reviewed_pi_types"),
        Index("ix_catalog_fields_proposed_level", "proposed_level"),
        Index("ix_catalog_fields_reviewed_level", "reviewed_level"),
    )

    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_datasets.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    comment: Mapped[str | None] = mapped_column(String(500))
    proposed_pi_types: Mapped[str] = mapped_column(String(500), default="")  # comma-separated
    proposed_category: Mapped[str | None] = mapped_column(String(200))
    proposed_level: Mapped[str] = mapped_column(String(20), default="general-1")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    minors: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    evidence: Mapped[str] = mapped_column(Text, default="")  # one reason a line
    review_status: Mapped[ReviewStatus] = mapped_column(
        Enum(ReviewStatus, native_enum=False, length=20), default=ReviewStatus.proposed, index=True
    )
    reviewed_pi_types: Mapped[str | None] = mapped_column(String(500))
    reviewed_category: Mapped[str | None] = mapped_column(String(200))
    reviewed_level: Mapped[str | None] = mapped_column(String(20))
    review_reason: Mapped[str | None] = mapped_column(String(1000))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    present: Mapped[bool] = mapped_column(Boolean, default=True)

    dataset: Mapped[Dataset] = relationship(back_populates="fields", lazy="joined")

    @property
    def reviewed(self) -> bool:
        return self.review_status != ReviewStatus.proposed

    @property
    def pi_types(self) -> list[str]:
        raw = self.reviewed_pi_types if self.reviewed_pi_types is not None else None
        text = raw if self.reviewed and raw is not None else self.proposed_pi_types
        return [code for code in text.split(",") if code]

    @property
    def category(self) -> str | None:
        if self.reviewed and self.reviewed_category is not None:
            return self.reviewed_category
        return self.proposed_category

    @property
    def level(self) -> str:
        if self.reviewed and self.reviewed_level is not None:
            return self.reviewed_level
        return self.proposed_level


class CatalogChange(IdMixin, Base):
    """What one version changed against the catalog before it."""

    __tablename__ = "catalog_changes"

    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id"), index=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(Enum(ChangeKind, native_enum=False, length=30))
    dataset_name: Mapped[str] = mapped_column(String(300))
    field_name: Mapped[str | None] = mapped_column(String(300))
    before: Mapped[str | None] = mapped_column(String(500))  # type codes, never values
    after: Mapped[str | None] = mapped_column(String(500))
    finding: Mapped[bool] = mapped_column(Boolean, default=False)


class CatalogAlert(IdMixin, Base):
    """A finding for the security administrator: identifiers or sensitive types appeared."""

    __tablename__ = "catalog_alerts"

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id"))
    change_id: Mapped[int] = mapped_column(ForeignKey("catalog_changes.id"))
    severity: Mapped[str] = mapped_column(String(20), default="high")
    message: Mapped[str] = mapped_column(String(1000))
    audience: Mapped[str] = mapped_column(String(40), default="security_admin")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FieldSketch(IdMixin, TimestampMixin, Base):
    """A field's identifying values as a bottom-k sketch of keyed hashes (HMAC-SM3, key outside
    the database): compared across systems to find the same people collected twice."""

    __tablename__ = "catalog_field_sketches"

    field_id: Mapped[int] = mapped_column(ForeignKey("catalog_fields.id"), unique=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(16))  # fingerprint of the key, not the key
    k: Mapped[int] = mapped_column(Integer)
    exact: Mapped[bool] = mapped_column(Boolean)  # every distinct value read is in the sketch
    distinct_values: Mapped[int] = mapped_column(Count)  # distinct values read (KMV estimate)
    rows_read: Mapped[int] = mapped_column(Count, default=0)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)  # ascending big-endian uint64


class SystemStats(Base):
    """One system's catalog counts, refreshed by SQL after every change to its catalog, so the
    dashboard rolls units up over systems instead of over millions of fields."""

    __tablename__ = "catalog_system_stats"

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), primary_key=True)
    datasets: Mapped[int] = mapped_column(Integer, default=0)
    datasets_personal: Mapped[int] = mapped_column(Integer, default=0)
    datasets_no_retention: Mapped[int] = mapped_column(Integer, default=0)  # personal ones
    fields: Mapped[int] = mapped_column(Integer, default=0)
    personal: Mapped[int] = mapped_column(Integer, default=0)
    sensitive: Mapped[int] = mapped_column(Integer, default=0)
    minors: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)  # proposals awaiting review
    rereview: Mapped[int] = mapped_column(Integer, default=0)
    reviewed: Mapped[int] = mapped_column(Integer, default=0)
    sensitive_unreviewed: Mapped[int] = mapped_column(Integer, default=0)
    level_core: Mapped[int] = mapped_column(Integer, default=0)
    level_important: Mapped[int] = mapped_column(Integer, default=0)
    level_general_4: Mapped[int] = mapped_column(Integer, default=0)
    level_general_3: Mapped[int] = mapped_column(Integer, default=0)
    level_general_2: Mapped[int] = mapped_column(Integer, default=0)
    level_general_1: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkerHeartbeat(Base):
    """A background worker's last sign of life (``eduguard worker`` or the web server's own,
    in-process one): the console warns when work is queued and no worker was seen lately."""

    __tablename__ = "catalog_worker_heartbeats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid:kind
    kind: Mapped[str] = mapped_column(String(20))  # inline (the web server) or external
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
