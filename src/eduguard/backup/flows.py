"""Backup policies and recovery drills across domains: the information system and its unit
(orgs, the caller's scope), the audit log, evidence files under ``uploads/backup``. The only
module of the policy/drill side of ``backup`` that imports other domains; the compliance rule
reads :func:`postures` (issue #20 part 7)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from eduguard import files, labels
from eduguard.audit import capture as audit_capture
from eduguard.backup import service
from eduguard.backup.models import BackupPolicy, DrillEvidence, RecoveryDrill
from eduguard.backup.schemas import DrillIn, DrillRead, PolicyIn, PolicyRead, SystemBackup
from eduguard.backup.service import Posture
from eduguard.errors import ValidationFailed
from eduguard.orgs import documents
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import InformationSystem

MAX_EVIDENCE_BYTES = 10 << 20
EVIDENCE_SUFFIXES = documents.ALLOWED_SUFFIXES | documents.TEXT_SUFFIXES
UPLOAD_FOLDER = "backup"

labels.register(
    "backup_frequency",
    {
        "hourly": ("每小时（或持续复制）", "Hourly (or continuous)"),
        "daily": ("每天", "Daily"),
        "weekly": ("每周", "Weekly"),
        "monthly": ("每月", "Monthly"),
    },
)
labels.register(
    "drill_outcome",
    {
        "success": ("恢复成功", "Restored"),
        "partial": ("部分恢复", "Partly restored"),
        "failed": ("恢复失败", "Failed"),
    },
)
labels.register(
    "backup_status",
    {
        "ok": ("有备份策略，一年内已演练", "Policy and a drill within 12 months"),
        "no_policy": ("缺少备份策略", "No backup policy"),
        "no_drill": ("尚无成功的恢复演练", "No recovery drill"),
        "drill_overdue": ("恢复演练已超过 12 个月", "Recovery drill overdue"),
        "drill_failed": ("最近一次恢复演练失败", "Last recovery drill failed"),
    },
)

# Every change is an audit event in the same transaction (column names only).
audit_capture.register("backup_policies", "backup_policy", frozenset({"revision", "updated_by"}))
audit_capture.register("backup_drills", "recovery_drill")
audit_capture.register("backup_drill_evidence", "drill_evidence")


def _system(session: Session, system_id: int, scope: str) -> InformationSystem:
    return orgs_service.get_system(session, system_id, scope=scope)


def drill_read(drill: RecoveryDrill, policy: BackupPolicy | None) -> DrillRead:
    read = DrillRead.model_validate(drill)
    if policy is not None and policy.rto_target_minutes is not None:
        read.rto_met = drill.rto_minutes <= policy.rto_target_minutes
    if policy is not None and policy.rpo_target_minutes is not None:
        read.rpo_met = drill.rpo_minutes <= policy.rpo_target_minutes
    return read


def system_backup(session: Session, system: InformationSystem, today: date) -> SystemBackup:
    policy = service.get_policy(session, system.id)
    drills = service.list_drills(session, system.id)
    found = service.posture(policy, drills)
    return SystemBackup(
        system_id=system.id,
        system=system.name,
        unit_id=system.unit_id,
        policy=PolicyRead.model_validate(policy) if policy else None,
        drills=[drill_read(d, policy) for d in drills],
        last_drill_on=found.last_drill_on,
        next_drill_due=found.due(),
        status=found.status(today),
    )


def read_system(session: Session, system_id: int, *, scope: str, today: date) -> SystemBackup:
    return system_backup(session, _system(session, system_id, scope), today)


def overview(session: Session, unit_id: int, *, scope: str, today: date) -> list[SystemBackup]:
    """Every active system of the unit and the units below it."""
    unit = orgs_service.get_unit(session, unit_id, scope=scope)
    systems = orgs_service.list_systems(session, scope=unit.path, limit=10_000)
    return [system_backup(session, s, today) for s in systems]


def save_policy(
    session: Session, system_id: int, data: PolicyIn, *, scope: str, by: str
) -> BackupPolicy:
    system = _system(session, system_id, scope)
    policy, _changed = service.save_policy(session, system.id, data, by=by)
    return policy


def record_drill(
    session: Session, system_id: int, data: DrillIn, *, scope: str, by: str, today: date
) -> RecoveryDrill:
    system = _system(session, system_id, scope)
    return service.record_drill(session, system.id, data, by=by, today=today)


def get_drill(session: Session, drill_id: int, *, scope: str) -> RecoveryDrill:
    drill = service.get_drill(session, drill_id)
    _system(session, drill.system_id, scope)  # out of scope reads as not found
    return drill


def check_evidence(filename: str, content: bytes) -> tuple[str, str]:
    """The stored name and suffix of a drill's evidence file, or a Chinese refusal."""
    return documents.check_upload(
        filename,
        content,
        what="演练证明文件",
        code="evidence",
        suffixes=EVIDENCE_SUFFIXES,
        max_bytes=MAX_EVIDENCE_BYTES,
    )


def attach_evidence(
    session: Session,
    drill_id: int,
    filename: str,
    content: bytes,
    *,
    scope: str,
    by: str,
    uploads_dir: Path,
) -> DrillEvidence:
    """Store an evidence file content-addressed (temp file + rename: a rolled-back
    transaction leaves at most an unreferenced file, never a half-written one)."""
    drill = get_drill(session, drill_id, scope=scope)
    safe, suffix = check_evidence(filename, content)
    stored = files.store(uploads_dir, UPLOAD_FOLDER, content, suffix)
    relative, digest = stored.relative, stored.sha256
    return service.add_evidence(
        session, drill, name=safe, path=relative, sha256=digest, size=len(content), by=by
    )


def evidence_file(
    session: Session, evidence_id: int, *, scope: str, uploads_dir: Path
) -> tuple[DrillEvidence, Path]:
    evidence = service.get_evidence(session, evidence_id)
    get_drill(session, evidence.drill_id, scope=scope)
    path = uploads_dir / evidence.path
    if not path.is_file():
        raise ValidationFailed("evidence_missing", "演练证明文件已不在存储目录中")
    return evidence, path


def postures(session: Session, system_ids: Sequence[int]) -> dict[int, Posture]:
    """For the compliance snapshot: per system, its policy and last good drill."""
    return service.postures(session, system_ids)
