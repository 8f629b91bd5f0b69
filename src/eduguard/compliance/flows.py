"""Compliance across domains: snapshots of the registry (orgs), the catalog and the accounts
(identity), evaluated by the rules; findings, scores and reports for a unit scope.

The only module of ``compliance`` that imports other domains.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, String, func, literal, select, union_all
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.catalog.models import Dataset
from eduguard.compliance import citations, scoring, service
from eduguard.compliance import report as compliance_report
from eduguard.compliance import rules as compliance_rules
from eduguard.compliance import snapshot as snapshots
from eduguard.compliance.checks import (
    Context,
)
from eduguard.compliance.models import Finding, FindingStatus, RemediationTask
from eduguard.compliance.rules import OWNER_ROLES, SEVERITIES, RuleSet
from eduguard.compliance.schemas import (
    CitationShown,
    EvaluationSummary,
    FactsRead,
    FactsUpdate,
    FindingRead,
    ItemCount,
    TaskRead,
    TaskUpdate,
    UnitFactsRead,
    UnitFactsUpdate,
    UnitScore,
)
from eduguard.compliance.snapshot import Snapshot
from eduguard.config import MIN_AUDIT_RETENTION_DAYS
from eduguard.identity.models import User, UserRole
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import InformationSystem, Unit

ALL = "/"

# Facts and tasks are edited by people: their changes are audited (column names only).
# Findings are the rules' output: each evaluation is one event with its counts.
audit_capture.register("compliance_facts", "compliance_facts")
audit_capture.register("compliance_unit_facts", "compliance_unit_facts")
audit_capture.register("compliance_tasks", "compliance_task")


def scope_units(scope: str) -> Select[Any] | None:
    """The ids of the units in ``scope`` (None: every unit)."""
    if scope == ALL:
        return None
    return select(Unit.id).where(Unit.path.startswith(scope, autoescape=True))


def narrow(session: Session, scope: str, unit_id: int | None) -> tuple[str, str]:
    """``scope`` narrowed to ``unit_id`` and below (404 outside scope), with a label."""
    if unit_id is not None:
        unit = orgs_service.get_unit(session, unit_id, scope=scope)
        return unit.path, unit.name
    if scope == ALL:
        return scope, "全部单位"
    name = session.scalar(select(Unit.name).where(Unit.path == scope))
    return scope, name or f"单位范围 {scope}"


# ---------------------------------------------------------------- facts


def get_facts(session: Session, system_id: int, *, scope: str) -> FactsRead:
    system = orgs_service.get_system(session, system_id, scope=scope)
    facts = service.get_facts(session, system.id)
    if facts is None:
        return FactsRead(system_id=system.id)
    return FactsRead.model_validate(facts)


def save_facts(
    session: Session, system_id: int, data: FactsUpdate, *, scope: str, by: str
) -> FactsRead:
    system = orgs_service.get_system(session, system_id, scope=scope)
    return FactsRead.model_validate(service.save_facts(session, system.id, data, by=by))


def important_proposals(session: Session, system_id: int, *, scope: str) -> list[tuple[str, str]]:
    """The scan's important-data proposals for whole tables of a system (dataset name,
    proposal): shown for review beside N13's duties, never a grade by themselves."""
    system = orgs_service.get_system(session, system_id, scope=scope)
    rows = session.execute(
        select(Dataset.name, Dataset.important_proposals)
        .where(Dataset.system_id == system.id, Dataset.present.is_(True))
        .where(Dataset.important_proposals.is_not(None))
        .order_by(Dataset.name)
    ).all()
    return [(name, line) for name, text in rows for line in (text or "").split("\n") if line]


def get_unit_facts(session: Session, unit_id: int, *, scope: str) -> UnitFactsRead:
    unit = orgs_service.get_unit(session, unit_id, scope=scope)
    facts = service.get_unit_facts(session, unit.id)
    if facts is None:
        return UnitFactsRead(unit_id=unit.id)
    return UnitFactsRead.model_validate(facts)


def save_unit_facts(
    session: Session, unit_id: int, data: UnitFactsUpdate, *, scope: str, by: str
) -> UnitFactsRead:
    unit = orgs_service.get_unit(session, unit_id, scope=scope)
    return UnitFactsRead.model_validate(service.save_unit_facts(session, unit.id, data, by=by))


# ---------------------------------------------------------------- evaluation


def _owners(session: Session, unit_ids: Sequence[int]) -> dict[tuple[int, str], int]:
    """(unit id, role) → the first active account of that unit holding the role."""
    rows = session.execute(
        select(User.unit_id, UserRole.role, User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), User.unit_id.in_(unit_ids))
        .order_by(User.id)
    ).all()
    owners: dict[tuple[int, str], int] = {}
    for unit_id, role, user_id in rows:
        if unit_id is not None:
            owners.setdefault((unit_id, str(role)), user_id)
    return owners


def failures(snap: Snapshot, ruleset: RuleSet, context: Context) -> list[service.Failure]:
    found: list[service.Failure] = []
    for rule in ruleset.rules:
        if rule.target == "unit":
            for unit in snap.units:
                outcome = rule.evaluate(unit, context)
                if outcome is not None:
                    found.append(
                        service.Failure(
                            rule,
                            f"unit:{unit.id}",
                            unit.id,
                            outcome.evidence,
                            severity=rule.severity_for(unit),
                        )
                    )
        elif rule.target == "system":
            for system in snap.systems:
                outcome = rule.evaluate(system, context)
                if outcome is not None:
                    found.append(
                        service.Failure(
                            rule,
                            f"system:{system.id}",
                            system.unit_id,
                            outcome.evidence,
                            system_id=system.id,
                            fields=outcome.fields,
                            severity=rule.severity_for(system),
                        )
                    )
        else:
            for dataset in snap.datasets:
                outcome = rule.evaluate(dataset, context)
                if outcome is not None:
                    found.append(
                        service.Failure(
                            rule,
                            f"dataset:{dataset.id}",
                            dataset.unit_id,
                            outcome.evidence,
                            system_id=dataset.system_id,
                            dataset_id=dataset.id,
                            dataset_name=dataset.name,
                            fields=outcome.fields,
                            severity=rule.severity_for(dataset),
                        )
                    )
    return found


def evaluate(
    session: Session,
    *,
    scope: str = ALL,
    unit_id: int | None = None,
    ruleset: RuleSet | None = None,
    today: date | None = None,
    audit_retention_days: int = MIN_AUDIT_RETENTION_DAYS,
) -> EvaluationSummary:
    """Evaluate the rules over the units of ``scope`` (narrowed to ``unit_id`` and below) and
    persist the findings: tasks for new ones, resolution of fixed ones. Audited."""
    ruleset = ruleset or compliance_rules.default_rules()
    today = today or date.today()
    path, label = narrow(session, scope, unit_id)
    snap = snapshots.snapshot(session, path)
    found = failures(snap, ruleset, Context(today, audit_retention_days))
    owners = _owners(session, list(snap.unit_paths))
    for failure in found:
        failure.owner_user_id = owners.get((failure.unit_id, failure.rule.owner_role))
    counts = service.sync(session, ruleset, found, unit_ids=list(snap.unit_paths), today=today)
    open_total = len(found)
    audit_service.record(
        session,
        action="compliance.evaluate",
        object_type="compliance",
        object_id=unit_id,
        row_count=open_total,
        reason=(
            f"合规评估（规则 {ruleset.version}，{label}）：新增 {counts.new} 项，"
            f"重新出现 {counts.reopened} 项，已整改 {counts.resolved} 项"
        ),
    )
    return EvaluationSummary(
        rules_version=ruleset.version,
        scope=path,
        subjects=len(snap.units) + len(snap.systems) + len(snap.datasets),
        failing=len(found),
        new_findings=counts.new,
        reopened=counts.reopened,
        resolved=counts.resolved,
        open_total=open_total,
    )


# ---------------------------------------------------------------- reading


def _names(session: Session, findings: Sequence[Finding]) -> tuple[dict[int, str], ...]:
    unit_ids = {f.unit_id for f in findings}
    system_ids = {f.system_id for f in findings if f.system_id is not None}
    user_ids = {f.task.owner_user_id for f in findings if f.task and f.task.owner_user_id}
    units = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all())
    systems = dict(
        session.execute(
            select(InformationSystem.id, InformationSystem.name).where(
                InformationSystem.id.in_(system_ids)
            )
        ).all()
    )
    users = dict(session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all())
    return units, systems, users


def task_read(task: RemediationTask, usernames: dict[int, str], today: date) -> TaskRead:
    return TaskRead(
        id=task.id,
        description=task.description,
        owner_role=task.owner_role,
        owner_role_label=OWNER_ROLES.get(task.owner_role, task.owner_role),
        owner_user_id=task.owner_user_id,
        owner_username=usernames.get(task.owner_user_id) if task.owner_user_id else None,
        due_date=task.due_date,
        overdue=task.status == "open" and task.due_date < today,
        status=task.status,
        close_reason=task.close_reason,
        closed_by=task.closed_by,
        closed_at=task.closed_at,
    )


def _shown(citation: str) -> CitationShown:
    found = citations.shown(citation)
    return CitationShown(citation=citation, short=found.short, full=found.full)


def _by_item(found: Sequence[Finding]) -> list[ItemCount]:
    items = Counter(citations.notice_item(f.clause_list) for f in found)
    return [
        ItemCount(
            item=item,
            label=f"第{item}项",
            title=citations.notice_item_title(item),
            count=items[item],
        )
        for item in sorted(number for number in items if number is not None)
    ]


def finding_reads(
    session: Session, found: Sequence[Finding], *, lang: str = "zh", today: date | None = None
) -> list[FindingRead]:
    today = today or date.today()
    units, systems, users = _names(session, found)
    return [
        FindingRead(
            id=f.id,
            rule_id=f.rule_id,
            rules_version=f.rules_version,
            title=f.title_en if lang == "en" else f.title_zh,
            clause="；".join(f.clause_list),
            clauses=f.clause_list,
            citations=[_shown(c) for c in f.clause_list],
            notice_item=(item := citations.notice_item(f.clause_list)),
            notice_item_title=citations.notice_item_title(item) if item else None,
            severity=f.severity,
            unit_id=f.unit_id,
            unit=units.get(f.unit_id, str(f.unit_id)),
            system_id=f.system_id,
            system=systems.get(f.system_id) if f.system_id else None,
            dataset=f.dataset_name,
            fields=[n for n in (f.field_names or "").split(",") if n],
            evidence=f.evidence,
            status=f.status,
            first_seen_at=f.first_seen_at,
            last_seen_at=f.last_seen_at,
            resolved_at=f.resolved_at,
            task=task_read(f.task, users, today) if f.task else None,
        )
        for f in sorted(found, key=service.sort_key)
    ]


def findings(
    session: Session,
    scope_path: str = ALL,
    *,
    unit_id: int | None = None,
    status: FindingStatus | None = None,
    severity: str | None = None,
    rule_id: str | None = None,
    system_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
    lang: str = "zh",
) -> list[FindingRead]:
    """The findings of the units in ``scope_path`` (narrowed to ``unit_id`` and below)."""
    path, _label = narrow(session, scope_path, unit_id)
    found = service.query_findings(
        session,
        unit_ids=scope_units(path),
        status=status,
        severity=severity,
        rule_id=rule_id,
        system_id=system_id,
        limit=limit,
        offset=offset,
    )
    return finding_reads(session, found, lang=lang)


def own_scores(session: Session, scope_path: str, ruleset: RuleSet) -> dict[str, float]:
    """Every active unit at or below ``scope_path`` → its own score (``compliance.scoring``),
    from one grouped query of the open findings."""
    within: list[ColumnElement[bool]] = [Unit.archived.is_(False)]
    if scope_path != ALL:
        within.append(Unit.path.startswith(scope_path, autoescape=True))
    by_unit: dict[str, dict[str, Counter[str]]] = {
        path: defaultdict(Counter) for path in session.scalars(select(Unit.path).where(*within))
    }
    rows = session.execute(
        select(Unit.path, Finding.rule_id, Finding.severity, func.count(Finding.id))
        .join(Unit, Finding.unit_id == Unit.id)
        .where(Finding.status == FindingStatus.open, *within)
        .group_by(Unit.path, Finding.rule_id, Finding.severity)
    ).all()
    for path, rule_id, severity, number in rows:
        by_unit[path][rule_id][severity] += number
    return {
        path: scoring.unit_score({r: dict(c) for r, c in rules.items()}, ruleset)
        for path, rules in by_unit.items()
    }


def unit_scores(
    session: Session, scope_path: str = ALL, *, ruleset: RuleSet | None = None
) -> list[UnitScore]:
    """Per unit of ``scope_path``: its score (``compliance.scoring``: the mean own score over it
    and the units below it — the dashboard's figure) and own score, and its own open findings
    by severity and by the clause they cite."""
    ruleset = ruleset or compliance_rules.default_rules()
    units = snapshots.units_of(session, scope_path)
    own_by_path = own_scores(session, scope_path, ruleset)
    subtree = scoring.scope_scores(own_by_path, [unit.path for unit in units])
    found = service.query_findings(session, unit_ids=[u.id for u in units], limit=1_000_000)
    per_unit: dict[int, list[Finding]] = defaultdict(list)
    for f in found:
        per_unit[f.unit_id].append(f)
    scores = []
    for unit in units:
        own = per_unit.get(unit.id, [])
        open_ = [f for f in own if f.status == FindingStatus.open]
        by_severity = {sev: sum(1 for f in open_ if f.severity == sev) for sev in SEVERITIES}
        by_clause: Counter[str] = Counter(c for f in open_ for c in f.clause_list)
        scores.append(
            UnitScore(
                unit_id=unit.id,
                unit=unit.name,
                path=unit.path,
                score=subtree[unit.path],
                own_score=round(own_by_path.get(unit.path, 100.0)),
                open_by_severity=by_severity,
                findings_by_clause=dict(sorted(by_clause.items())),
                findings_by_item=_by_item(open_),
                open_findings=len(open_),
                resolved_findings=len(own) - len(open_),
            )
        )
    return scores


# ---------------------------------------------------------------- tasks


def update_task(
    session: Session, task_id: int, data: TaskUpdate, *, scope: str, by: str
) -> FindingRead:
    task = service.get_task(session, task_id, unit_ids=scope_units(scope))
    unit = orgs_service.get_unit(session, task.finding.unit_id)
    ancestry = [int(p) for p in unit.path.strip("/").split("/") if p]

    def owner_ok(user_id: int) -> bool:
        user = session.get(User, user_id)
        return (
            user is not None and user.active and (user.unit_id is None or user.unit_id in ancestry)
        )

    service.update_task(session, task, data, by=by, owner_ok=owner_ok)
    return finding_reads(session, [task.finding])[0]


# ---------------------------------------------------------------- report


def report(
    session: Session,
    fmt: str,
    *,
    scope: str = ALL,
    unit_id: int | None = None,
    ruleset: RuleSet | None = None,
) -> tuple[bytes, int]:
    """The compliance report of ``scope`` (narrowed to ``unit_id``) as JSON, HTML or PDF;
    the export is audited."""
    if fmt not in compliance_report.FORMATS:
        raise compliance_report.format_error()
    ruleset = ruleset or compliance_rules.default_rules()
    path, label = narrow(session, scope, unit_id)
    rows = findings(session, path, limit=1_000_000)
    scores = unit_scores(session, path, ruleset=ruleset)
    body = compliance_report.render(fmt, rows, scores, scope_label=label, ruleset=ruleset)
    audit_service.record(
        session,
        action="compliance.report.export",
        object_type="compliance_report",
        object_id=unit_id,
        fields=["rule_id", "clause", "severity", "unit", "system", "status", "evidence"],
        row_count=len(rows),
        reason=f"导出合规报告（{fmt}，{label}）",
    )
    return body, len(rows)


# ---------------------------------------------------------------- dashboard roll-up


@dataclass(frozen=True)
class SubtreePosture:
    """Open findings of a unit **and every unit below it**, and its score (the mean own score
    over them, ``compliance.scoring`` — the same figure as ``unit_scores``)."""

    score: int
    open_findings: int
    open_by_severity: dict[str, int]
    findings_by_clause: dict[str, int]


def subtree_postures(
    session: Session, paths: Sequence[str], *, ruleset: RuleSet | None = None
) -> dict[str, SubtreePosture]:
    """For each unit path: the open findings over its subtree (a county: its own and its
    schools'), counted in one query over the paths' common scope. A supervisor's ranking of
    the units below it uses this; ``unit_scores`` counts a unit's own findings only."""
    ruleset = ruleset or compliance_rules.default_rules()
    wanted = set(paths)
    severities: dict[str, Counter[str]] = {path: Counter() for path in wanted}
    clauses: dict[str, Counter[str]] = {path: Counter() for path in wanted}
    if wanted:
        # The database does the roll-up: each open finding joins every wanted path its unit's
        # path starts with, grouped to a few rows per path (severity × citation set).
        targets = union_all(*(select(literal(p, String).label("path")) for p in wanted)).subquery(
            "wanted"
        )
        rows = session.execute(
            select(
                targets.c.path,
                Finding.severity,
                Finding.clauses,
                func.count(Finding.id),
            )
            .select_from(Finding)
            .join(Unit, Finding.unit_id == Unit.id)
            .join(targets, Unit.path.startswith(targets.c.path, autoescape=False))
            .where(Finding.status == FindingStatus.open)
            .group_by(targets.c.path, Finding.severity, Finding.clauses)
        ).all()
        for path, severity, cited, number in rows:
            severities[path][severity] += number
            for clause in cited.splitlines():
                if clause.strip():
                    clauses[path][clause] += number
    own = own_scores(session, scoring.common_scope(wanted), ruleset) if wanted else {}
    scores = scoring.scope_scores(own, wanted)
    return {
        path: SubtreePosture(
            score=scores[path],
            open_findings=sum(severities[path].values()),
            open_by_severity={sev: severities[path][sev] for sev in SEVERITIES},
            findings_by_clause=dict(clauses[path].most_common()),
        )
        for path in wanted
    }
