"""Purging: the only way audit rows leave the database.

Refuses anything younger than the retention period (≥ 180 days, notice item 6), verifies the
chain first (a tampered log is evidence, not garbage), deletes a *prefix* of the chain, and
writes a signed purge anchor (the last purged event's id and hash) so the remaining chain still
verifies from its new start. The purge is itself an audited event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from eduguard.audit import checkpoints, service, verify
from eduguard.audit.models import AuditEvent, AuditPurgeMarker
from eduguard.config import MIN_AUDIT_RETENTION_DAYS
from eduguard.db.base import utcnow
from eduguard.errors import Conflict, ValidationFailed


@dataclass(frozen=True)
class PurgeResult:
    deleted: int
    last_purged_id: int | None
    cutoff: datetime


def retention_cutoff(retention_days: int, now: datetime | None = None) -> datetime:
    if retention_days < MIN_AUDIT_RETENTION_DAYS:
        raise ValidationFailed(
            "audit_retention_too_short",
            f"审计日志保留期不得少于 {MIN_AUDIT_RETENTION_DAYS} 天",
            f"audit retention cannot be shorter than {MIN_AUDIT_RETENTION_DAYS} days",
        )
    return (now or utcnow()) - timedelta(days=retention_days)


def purge(
    session: Session,
    *,
    before: datetime,
    retention_days: int,
    policy: checkpoints.CheckpointPolicy,
    now: datetime | None = None,
) -> PurgeResult:
    """Delete events older than ``before`` (which must be at least the retention period ago)."""
    if before.tzinfo is None:
        before = before.replace(tzinfo=UTC)
    before = before.astimezone(UTC)
    cutoff = retention_cutoff(retention_days, now)
    if before > cutoff:
        raise ValidationFailed(
            "audit_purge_too_recent",
            f"只能清理 {cutoff:%Y-%m-%d} 之前的审计事件（保留期 {retention_days} 天）",
            f"only events before {cutoff:%Y-%m-%d} may be purged (retention {retention_days} days)",
            details={"earliest_allowed_before": cutoff.isoformat()},
        )
    connection = session.connection()
    service.lock_chain(connection)
    checked = verify.verify(connection, keys_dir=policy.keys_dir, sink=policy.sink)
    if not checked.ok:
        assert checked.problem is not None
        raise Conflict(
            "audit_tampered",
            f"审计日志校验失败，拒绝清理（{checked.problem.message_zh}）",
            f"the audit log fails verification; purge refused ({checked.problem.message_en})",
        )
    # The purged part is a prefix: every event before the first one at or after ``before``.
    # (Ids are assigned at commit, so times are only nearly monotonic in id.)
    first_kept = connection.execute(
        select(func.min(AuditEvent.id)).where(AuditEvent.time >= before)
    ).scalar_one_or_none()
    bound = select(func.max(AuditEvent.id))
    if first_kept is not None:
        bound = bound.where(AuditEvent.id < first_kept)
    last_purged = connection.execute(bound).scalar_one_or_none()
    if last_purged is None:
        service.record(
            session,
            action="audit.purge",
            object_type="audit_event",
            row_count=0,
            fields=(),
            reason=f"清理 {before:%Y-%m-%d} 之前的审计事件：没有可清理的事件",
        )
        return PurgeResult(0, None, cutoff)
    last_hash = connection.execute(
        select(AuditEvent.hash).where(AuditEvent.id == last_purged)
    ).scalar_one()
    checkpoints.write_checkpoint(
        session,
        connection,
        policy,
        kind="purge",
        last_event_id=int(last_purged),
        last_hash=str(last_hash),
    )
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL eduguard.audit_purge = 'on'"))
        deleted = connection.execute(delete(AuditEvent).where(AuditEvent.id <= last_purged))
        connection.execute(text("SET LOCAL eduguard.audit_purge = 'off'"))
    else:
        connection.execute(insert(AuditPurgeMarker).values(id=1))
        deleted = connection.execute(delete(AuditEvent).where(AuditEvent.id <= last_purged))
        connection.execute(delete(AuditPurgeMarker))
    count = int(deleted.rowcount)
    service.record(
        session,
        action="audit.purge",
        object_type="audit_event",
        object_id=f"..{last_purged}",
        row_count=count,
        reason=f"清理 {before:%Y-%m-%d} 之前的审计事件（保留期 {retention_days} 天）",
    )
    return PurgeResult(count, int(last_purged), cutoff)
