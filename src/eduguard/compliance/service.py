"""Facts, findings and tasks in the compliance tables. Flushes, never commits.

This module knows no other domain: unit scopes arrive as a select of unit ids (or a list),
accounts as ids already checked by ``compliance.flows``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from eduguard.compliance.checks import FACTS, UNIT_FACTS
from eduguard.compliance.models import (
    Finding,
    FindingStatus,
    RemediationTask,
    SystemFacts,
    TaskStatus,
    UnitFacts,
)
from eduguard.compliance.rules import Rule, RuleSet
from eduguard.compliance.schemas import FactsUpdate, TaskUpdate, UnitFactsUpdate
from eduguard.db.base import utcnow
from eduguard.errors import NotFound, ValidationFailed

UnitIds = Select[Any] | Collection[int] | None  # None: every unit
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


# ---------------------------------------------------------------- facts


def get_facts(session: Session, system_id: int) -> SystemFacts | None:
    return session.scalar(select(SystemFacts).where(SystemFacts.system_id == system_id))


def facts_of(session: Session, system_ids: Collection[int]) -> dict[int, SystemFacts]:
    if not system_ids:
        return {}
    rows = session.scalars(select(SystemFacts).where(SystemFacts.system_id.in_(system_ids)))
    return {row.system_id: row for row in rows}


def _assign(
    row: SystemFacts | UnitFacts,
    data: FactsUpdate | UnitFactsUpdate,
    known: dict[str, tuple[str, str]],
    by: str,
) -> None:
    for name, value in data.model_dump(exclude_unset=True).items():
        kind = known[name][1] if name in known else "text"
        if kind == "bool":
            value = bool(value)
        elif name == "notes":
            value = value or ""
        elif isinstance(value, str):
            value = value or None
        setattr(row, name, value)
    row.updated_by = by[:64]


def save_facts(session: Session, system_id: int, data: FactsUpdate, *, by: str) -> SystemFacts:
    """Set the given facts of a system (create its row on first use); audited by capture."""
    facts = get_facts(session, system_id)
    if facts is None:
        facts = SystemFacts(system_id=system_id)
        session.add(facts)
    _assign(facts, data, FACTS, by)
    session.flush()
    return facts


def get_unit_facts(session: Session, unit_id: int) -> UnitFacts | None:
    return session.scalar(select(UnitFacts).where(UnitFacts.unit_id == unit_id))


def unit_facts_of(session: Session, unit_ids: Collection[int]) -> dict[int, UnitFacts]:
    if not unit_ids:
        return {}
    rows = session.scalars(select(UnitFacts).where(UnitFacts.unit_id.in_(unit_ids)))
    return {row.unit_id: row for row in rows}


def save_unit_facts(session: Session, unit_id: int, data: UnitFactsUpdate, *, by: str) -> UnitFacts:
    """Set the given facts of a unit (create its row on first use); audited by capture."""
    facts = get_unit_facts(session, unit_id)
    if facts is None:
        facts = UnitFacts(unit_id=unit_id)
        session.add(facts)
    _assign(facts, data, UNIT_FACTS, by)
    session.flush()
    return facts


# ---------------------------------------------------------------- findings


@dataclass
class Failure:
    """One rule failing for one subject in this evaluation."""

    rule: Rule
    subject_key: str
    unit_id: int
    evidence: str
    system_id: int | None = None
    dataset_id: int | None = None
    dataset_name: str | None = None
    fields: list[str] = field(default_factory=list)
    owner_user_id: int | None = None
    severity: str | None = None  # the rule's, unless escalated for this subject


@dataclass
class SyncCounts:
    new: int = 0
    reopened: int = 0
    resolved: int = 0
    still_open: int = 0


def _set(target: object, name: str, value: object) -> None:
    """Assign only a changed value (an unchanged finding issues no UPDATE, no audit event)."""
    if getattr(target, name) != value:
        setattr(target, name, value)


def _in_units(query: Select[Any], unit_ids: UnitIds) -> Select[Any]:
    if unit_ids is None:
        return query
    return query.where(Finding.unit_id.in_(unit_ids))


def sync(
    session: Session,
    ruleset: RuleSet,
    failures: Sequence[Failure],
    *,
    unit_ids: Collection[int] | None,
    today: date,
) -> SyncCounts:
    """Make the findings of ``ruleset``'s rules in ``unit_ids`` match ``failures``: new
    failures become findings with a remediation task; findings that fail again stay (a
    resolved one reopens); open findings no longer failing are resolved with their tasks."""
    now = utcnow()
    counts = SyncCounts()
    rule_ids = [rule.id for rule in ruleset.rules]
    existing = {
        (f.rule_id, f.subject_key): f
        for f in session.scalars(
            _in_units(select(Finding).where(Finding.rule_id.in_(rule_ids)), unit_ids)
        )
    }
    # A subject that moved into the scope from another unit keeps its finding (and task).
    subjects = sorted({failure.subject_key for failure in failures})
    for start in range(0, len(subjects), 500):
        for f in session.scalars(
            select(Finding).where(
                Finding.rule_id.in_(rule_ids),
                Finding.subject_key.in_(subjects[start : start + 500]),
            )
        ):
            existing.setdefault((f.rule_id, f.subject_key), f)
    scope = None if unit_ids is None else set(unit_ids)
    in_scope = {key for key, f in existing.items() if scope is None or f.unit_id in scope}
    seen: set[tuple[str, str]] = set()
    needs_task: list[tuple[Finding, Failure]] = []
    touched: list[Finding] = []
    for failure in failures:
        key = (failure.rule.id, failure.subject_key)
        seen.add(key)
        rule = failure.rule
        finding = existing.get(key)
        if finding is None:
            finding = Finding(
                rule_id=rule.id,
                subject_key=failure.subject_key,
                first_seen_at=now,
                last_seen_at=now,
                status=FindingStatus.open,
            )
            session.add(finding)
            needs_task.append((finding, failure))
            counts.new += 1
        else:
            touched.append(finding)
            if finding.status == FindingStatus.resolved:
                finding.status = FindingStatus.open
                finding.resolved_at = None
                counts.reopened += 1
            else:
                counts.still_open += 1
            task = finding.task
            if task is None:
                needs_task.append((finding, failure))
            else:
                if task.status == TaskStatus.resolved:
                    task.status = TaskStatus.open
                    task.due_date = max(task.due_date, today + timedelta(days=rule.due_in_days))
                if task.owner_user_id is None and failure.owner_user_id is not None:
                    task.owner_user_id = failure.owner_user_id
        _set(finding, "rules_version", ruleset.version)
        _set(finding, "title_zh", rule.title_zh[:300])
        _set(finding, "title_en", rule.title_en[:300])
        _set(finding, "clauses", "\n".join(rule.clauses)[:1000])
        _set(finding, "severity", failure.severity or rule.severity)
        _set(finding, "unit_id", failure.unit_id)
        _set(finding, "system_id", failure.system_id)
        _set(finding, "dataset_id", failure.dataset_id)
        _set(finding, "dataset_name", failure.dataset_name)
        _set(finding, "field_names", ",".join(failure.fields)[:1000] or None)
        _set(finding, "evidence", failure.evidence)
    session.flush()  # new findings get their ids
    for finding, failure in needs_task:
        session.add(
            RemediationTask(
                finding_id=finding.id,
                description=failure.rule.remediation_zh,
                owner_role=failure.rule.owner_role,
                owner_user_id=failure.owner_user_id,
                due_date=today + timedelta(days=failure.rule.due_in_days),
                status=TaskStatus.open,
            )
        )
    # "Still failing" is one UPDATE per 500 findings, not one per finding.
    ids = [f.id for f in touched]
    for start in range(0, len(ids), 500):
        session.execute(
            update(Finding)
            .where(Finding.id.in_(ids[start : start + 500]))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    for finding in touched:
        set_committed_value(finding, "last_seen_at", now)
    for key, finding in existing.items():
        if key in in_scope and key not in seen and finding.status == FindingStatus.open:
            finding.status = FindingStatus.resolved
            finding.resolved_at = now
            if finding.task is not None and finding.task.status == TaskStatus.open:
                finding.task.status = TaskStatus.resolved
            counts.resolved += 1
    session.flush()
    return counts


def query_findings(
    session: Session,
    *,
    unit_ids: UnitIds,
    status: FindingStatus | None = None,
    severity: str | None = None,
    rule_id: str | None = None,
    system_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
) -> Sequence[Finding]:
    query = _in_units(select(Finding), unit_ids)
    if status is not None:
        query = query.where(Finding.status == status)
    if severity is not None:
        query = query.where(Finding.severity == severity)
    if rule_id is not None:
        query = query.where(Finding.rule_id == rule_id)
    if system_id is not None:
        query = query.where(Finding.system_id == system_id)
    query = query.order_by(Finding.status, Finding.unit_id, Finding.rule_id, Finding.id)
    return session.scalars(query.limit(limit).offset(offset)).all()


def get_task(session: Session, task_id: int, *, unit_ids: UnitIds) -> RemediationTask:
    query = select(RemediationTask).join(Finding).where(RemediationTask.id == task_id)
    task: RemediationTask | None = session.scalar(_in_units(query, unit_ids))
    if task is None:
        raise NotFound("task_not_found", "整改任务不存在", "remediation task not found")
    return task


def update_task(
    session: Session,
    task: RemediationTask,
    data: TaskUpdate,
    *,
    by: str,
    owner_ok: Callable[[int], bool],
) -> RemediationTask:
    """Assign, reschedule, close (with a reason) or reopen a task; audited by capture."""
    given = data.model_fields_set
    if "owner_user_id" in given:
        if data.owner_user_id is not None and not owner_ok(data.owner_user_id):
            raise ValidationFailed(
                "owner_invalid",
                "负责人须为该单位（或其上级单位）的有效账户",
                "the owner must be an active account of the unit or above",
            )
        task.owner_user_id = data.owner_user_id
    if data.due_date is not None:
        task.due_date = data.due_date
    if data.action == "close":
        if task.status != TaskStatus.open:
            raise ValidationFailed("task_not_open", "只能关闭待整改的任务", "task is not open")
        task.status = TaskStatus.closed
        task.close_reason = data.reason
        task.closed_by = by[:64]
        task.closed_at = utcnow()
    elif data.action == "reopen":
        if task.status != TaskStatus.closed:
            raise ValidationFailed("task_not_closed", "只能重新打开已关闭的任务", "not closed")
        task.status = TaskStatus.open
        task.close_reason = None
        task.closed_by = None
        task.closed_at = None
    session.flush()
    return task


def sort_key(finding: Finding) -> tuple[int, int, str, int]:
    return (
        0 if finding.status == FindingStatus.open else 1,
        SEVERITY_ORDER.get(finding.severity, 9),
        finding.rule_id,
        finding.id,
    )
