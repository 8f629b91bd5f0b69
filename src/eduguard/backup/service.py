"""The backup domain's own logic: a system's policy, its drills, when the next drill is due.
Services flush, never commit; the system's scope is checked by ``backup.flows``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.backup.models import (
    BackupPolicy,
    DrillEvidence,
    DrillOutcome,
    RecoveryDrill,
)
from eduguard.backup.schemas import DrillIn, PolicyIn
from eduguard.errors import NotFound, ValidationFailed

DRILL_INTERVAL_DAYS = 365  # a recovery drill at least every twelve months
FREQUENCY_LABELS = {"hourly": "每小时", "daily": "每天", "weekly": "每周", "monthly": "每月"}
OUTCOME_LABELS = {"success": "恢复成功", "partial": "部分恢复", "failed": "恢复失败"}


def get_policy(session: Session, system_id: int) -> BackupPolicy | None:
    return session.scalar(select(BackupPolicy).where(BackupPolicy.system_id == system_id))


def save_policy(
    session: Session, system_id: int, data: PolicyIn, *, by: str
) -> tuple[BackupPolicy, list[str]]:
    """Create or change the policy (``revision`` counts changes); the names of what changed."""
    policy = get_policy(session, system_id)
    values = data.model_dump()
    if policy is None:
        policy = BackupPolicy(system_id=system_id, revision=1, updated_by=by, **values)
        session.add(policy)
        changed = list(values)
    else:
        changed = [name for name, value in values.items() if getattr(policy, name) != value]
        for name in changed:
            setattr(policy, name, values[name])
        if changed:
            policy.revision += 1
            policy.updated_by = by
    session.flush()
    return policy, changed


def list_drills(session: Session, system_id: int) -> list[RecoveryDrill]:
    return list(
        session.scalars(
            select(RecoveryDrill)
            .where(RecoveryDrill.system_id == system_id)
            .order_by(RecoveryDrill.drilled_on.desc(), RecoveryDrill.id.desc())
        )
    )


def get_drill(session: Session, drill_id: int) -> RecoveryDrill:
    drill = session.get(RecoveryDrill, drill_id)
    if drill is None:
        raise NotFound("drill_not_found", f"恢复演练记录不存在：{drill_id}", "drill not found")
    return drill


def record_drill(
    session: Session, system_id: int, data: DrillIn, *, by: str, today: date
) -> RecoveryDrill:
    """Record a drill that has taken place (a date after today is refused)."""
    if data.drilled_on > today:
        raise ValidationFailed(
            "drill_in_future",
            f"演练日期 {data.drilled_on.isoformat()} 晚于今天：只能登记已进行的恢复演练",
            "a drill can be recorded only once it has taken place",
        )
    drill = RecoveryDrill(system_id=system_id, recorded_by=by, **data.model_dump())
    session.add(drill)
    session.flush()
    return drill


def add_evidence(
    session: Session, drill: RecoveryDrill, *, name: str, path: str, sha256: str, size: int, by: str
) -> DrillEvidence:
    evidence = DrillEvidence(
        drill_id=drill.id, name=name, path=path, sha256=sha256, size=size, uploaded_by=by
    )
    session.add(evidence)
    session.flush()
    session.refresh(drill, ["evidence"])
    return evidence


def get_evidence(session: Session, evidence_id: int) -> DrillEvidence:
    evidence = session.get(DrillEvidence, evidence_id)
    if evidence is None:
        raise NotFound("evidence_not_found", f"演练证明文件不存在：{evidence_id}", "not found")
    return evidence


@dataclass(frozen=True)
class Posture:
    """Whether a system has a policy and a recent drill that did not fail."""

    policy: bool
    last_drill_on: date | None  # newest drill that did not fail
    last_failed_on: date | None  # newest failed drill after it, if any
    drills: int

    def due(self) -> date | None:
        if self.last_drill_on is None:
            return None
        return self.last_drill_on + timedelta(days=DRILL_INTERVAL_DAYS)

    def status(self, today: date) -> str:
        if not self.policy:
            return "no_policy"
        if self.last_drill_on is None:
            return "no_drill"
        due = self.due()
        if due is not None and today > due:
            return "drill_overdue"
        return "drill_failed" if self.last_failed_on is not None else "ok"


def posture(policy: BackupPolicy | None, drills: Sequence[RecoveryDrill]) -> Posture:
    good = [d.drilled_on for d in drills if d.outcome != DrillOutcome.failed]
    last = max(good, default=None)
    failed = [
        d.drilled_on
        for d in drills
        if d.outcome == DrillOutcome.failed and (last is None or d.drilled_on > last)
    ]
    return Posture(policy is not None, last, max(failed, default=None), len(drills))


def postures(session: Session, system_ids: Sequence[int]) -> dict[int, Posture]:
    """Per system: what the compliance rule reads (one query per table)."""
    if not system_ids:
        return {}
    ids = list(system_ids)
    policies = {
        p.system_id: p
        for p in session.scalars(select(BackupPolicy).where(BackupPolicy.system_id.in_(ids)))
    }
    drills: dict[int, list[RecoveryDrill]] = {sid: [] for sid in ids}
    for drill in session.scalars(select(RecoveryDrill).where(RecoveryDrill.system_id.in_(ids))):
        drills[drill.system_id].append(drill)
    return {sid: posture(policies.get(sid), drills[sid]) for sid in ids}
