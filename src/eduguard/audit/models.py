"""Tables: audit events (hash-chained), signed checkpoints and purge anchors, purge marker.

The rows are append-only: migration 0002 installs triggers that refuse UPDATE and DELETE (and
TRUNCATE on PostgreSQL). Only :func:`eduguard.audit.retention.purge` may delete, and only rows
older than the retention period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from eduguard.db.base import Base

# INTEGER PRIMARY KEY on SQLite is the rowid (fast); BIGINT on PostgreSQL (10M+ rows per year).
EventId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    """One recorded operation. ``id`` is assigned by the writer under the chain lock: it is
    contiguous (1, 2, 3 …), so a deleted row leaves a visible gap."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_time_id", "time", "id"),
        Index("ix_audit_events_username_id", "username", "id"),
        Index("ix_audit_events_action_id", "action", "id"),
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index(
            "ix_audit_events_unit_path_id",
            "unit_path",
            "id",
            postgresql_ops={"unit_path": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=False)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    username: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(Integer)
    roles: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[int | None] = mapped_column(Integer)
    unit_path: Mapped[str] = mapped_column(String(400), default="/")
    client_address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    fields: Mapped[str] = mapped_column(Text, default="")
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[str] = mapped_column(String(10), default="ok")
    reason: Mapped[str | None] = mapped_column(String(500))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # How ``hash`` was computed (``chain`` module): 1 for events written before migration
    # 0009, 2 since. Inside the hash, so it cannot be relabelled unnoticed.
    chain_format: Mapped[int] = mapped_column(SmallInteger, default=2, server_default=text("1"))

    @property
    def field_list(self) -> list[str]:
        return [name for name in self.fields.split(",") if name]

    @property
    def role_list(self) -> list[str]:
        return [name for name in self.roles.split(",") if name]


class AuditCheckpoint(Base):
    """A signed statement "event ``last_event_id`` had hash ``last_hash``", made every N events
    or M minutes (``kind='checkpoint'``), or by a purge (``kind='purge'``: the anchor the
    remaining chain starts from). Signed with Ed25519 by a key kept outside the database."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="checkpoint")
    last_event_id: Mapped[int] = mapped_column(BigInteger, index=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))


class AuditPurgeMarker(Base):
    """SQLite only: the delete triggers let a row through while a marker row exists, and only
    the purge function writes one (inside its own transaction, removed before commit)."""

    __tablename__ = "audit_purge_marker"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
