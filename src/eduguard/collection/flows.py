"""Collection reviews across domains: discovery (classify and grade the planned fields), the
catalog (what the unit and the units above it already hold: 一数一源), the processing register
(consent purposes, children's rules), compliance facts (item 9 duties, cross-border
assessment), orgs (system, units), reviews (the approval) and the audit log. With ``drift``
(the catalog fields no approval covers) and ``register`` (an approval written into the
processing register), the only modules of ``collection`` that import other domains.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard import files, labels
from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.catalog.models import Dataset, Field
from eduguard.catalog.stats import effective_types
from eduguard.collection import checks, register, service
from eduguard.collection.checks import Check, Context, Holding
from eduguard.collection.models import CollectionPlan
from eduguard.collection.readers import Plan, PlannedField
from eduguard.collection.schemas import (
    CheckedField,
    CheckRead,
    DecisionCreate,
    FieldRead,
    PlanCreate,
    PlanDetails,
    PlanRead,
    StepRead,
)
from eduguard.collection.service import Classified
from eduguard.compliance import service as compliance_service
from eduguard.discovery import scan_table
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS
from eduguard.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ValidationFailed,
)
from eduguard.identity import service as identity_service
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import InformationSystem, Unit
from eduguard.processing import service as processing_service
from eduguard.processing.models import Audience, LegalBasis, PurposeStatus
from eduguard.reviews import flows as reviews_flows
from eduguard.reviews import service as reviews_service
from eduguard.reviews.models import ReviewRequest, ReviewState
from eduguard.reviews.service import DECISION_LABELS, STATE_LABELS, STEP_LABELS, Person

KIND = reviews_service.load_kind(
    resources.files("eduguard.collection").joinpath("steps.toml").read_text(encoding="utf-8"),
    "collection/steps.toml",
)
OBJECT_TYPE = "collection_plan"
MAX_MINUTES_BYTES = 20 << 20
MINUTES_SUFFIXES = frozenset({".pdf", ".docx", ".doc", ".ofd", ".jpg", ".jpeg", ".png"})

audit_capture.register("collection_plans", OBJECT_TYPE)


def person_of(session: Session, username: str) -> Person:
    """The account ``username`` as a reviews person (the CLI and the demo act in its name)."""
    user = identity_service.find_user(session, username)
    if not user.active:
        raise PermissionDenied("account_inactive", f"账户已停用：{username}")
    path = "/" if user.unit_id is None else orgs_service.get_unit(session, user.unit_id).path
    roles = frozenset(role.value for role in user.role_set)
    return Person(user.id, user.username, roles, user.unit_id, path)


# ---------------------------------------------------------------- classifying a plan


class _PlanTable:
    """One field group of a plan as a table for the discovery engine: the planned fields as
    columns, their example values (or offered choices) as rows; a group without any is judged
    on names and comments alone, as a DDL file is."""

    def __init__(self, group: str, fields: list[PlannedField], *, names_only: bool) -> None:
        self.name = group
        self.comment: str | None = None
        self.column_comments = {f.name: c for f in fields if (c := f.comment)}
        self.column_types = {f.name: f.sql_type for f in fields if f.sql_type}
        self.column_keys = {f.name: f.key for f in fields if f.key}
        values = [[] if names_only else (f.samples or f.choices) for f in fields]
        height = max((len(v) for v in values), default=0)
        self.schema_only = height == 0
        self.row_count: int | None = None if self.schema_only else height
        self.frame = pl.DataFrame(
            {
                f.name: pl.Series(f.name, (v + [None] * height)[:height], dtype=pl.String)
                for f, v in zip(fields, values, strict=True)
            }
        )

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        yield self.frame


def _scan(group: str, fields: list[PlannedField], *, names_only: bool) -> dict[str, Any]:
    table = _PlanTable(group, fields, names_only=names_only)
    return {column.name: column for column in scan_table(table, sample=None).columns}


EXAMPLE_DISAGREES = "示例值与字段名、注释不符（示例常为占位文字）：按字段名与注释判断"


def classify(plan: Plan) -> list[Classified]:
    """Every planned field classified and graded by the discovery engine, with its evidence.

    A field is judged with its example values and offered choices, and on its name and comment
    alone: a form's example row is often placeholder text (“示例：张三”, “请填写18位号码”), so
    where the values find nothing the name and comment still do (a reviewed false positive
    rather than a silent miss)."""
    groups: dict[str, list[PlannedField]] = defaultdict(list)
    for item in plan.fields:
        if item.name not in {f.name for f in groups[item.group]}:
            groups[item.group].append(item)
    out: list[Classified] = []
    for group, fields in groups.items():
        with_values = _scan(group, fields, names_only=False)
        has_values = any(f.samples or f.choices for f in fields)
        by_name = _scan(group, fields, names_only=True) if has_values else with_values
        for item in fields:
            column, evidence = with_values[item.name], []
            if not column.pi_types and by_name[item.name].pi_types:
                column, evidence = by_name[item.name], [EXAMPLE_DISAGREES]
            out.append(
                Classified(
                    planned=item,
                    pi_types=list(column.pi_types),
                    category=column.category,
                    level=column.level,
                    sensitive=column.sensitive,
                    minors=column.minors,
                    confidence=column.confidence,
                    evidence=[*item.evidence, *column.evidence, *evidence],
                )
            )
    return out


# ---------------------------------------------------------------- what the system's world says


def context(session: Session, system: InformationSystem) -> Context:
    ancestors = orgs_service.path_ids(system.unit.path) or [system.unit_id]
    rows = session.execute(
        select(Field.name, Dataset.name, InformationSystem.name, Unit.name, effective_types())
        .join(Dataset, Field.dataset_id == Dataset.id)
        .join(InformationSystem, Dataset.system_id == InformationSystem.id)
        .join(Unit, InformationSystem.unit_id == Unit.id)
        .where(
            InformationSystem.unit_id.in_(ancestors),
            InformationSystem.id != system.id,
            InformationSystem.archived.is_(False),
            Field.present.is_(True),
            Dataset.present.is_(True),
        )
        .order_by(Field.id)
        .limit(20_000)
    ).all()
    holdings: dict[str, list[Holding]] = defaultdict(list)
    for field_name, dataset, system_name, unit, types in rows:
        for code in (c for c in str(types or "").split(",") if c):
            holdings[code].append(Holding(system_name, unit, dataset, field_name))
    purposes = [
        p
        for p in processing_service.list_purposes(session, system.id)
        if p.status != PurposeStatus.retired and p.legal_basis == LegalBasis.consent
    ]
    facts = compliance_service.get_facts(session, system.id)
    children_rules = processing_service.current_version(session, system.id, Audience.children)
    return Context(
        system_name=system.name,
        holdings=dict(holdings),
        consent_purposes=[p.name for p in purposes],
        separate_consent_purposes=[p.name for p in purposes if p.sensitive_necessity.strip()],
        children_rules=children_rules is not None,
        pi_officer=facts.pi_officer_name if facts else None,
        provincial_filing=facts.provincial_filing_no if facts else None,
        mlps_level=system.mlps_level,
        cross_border_ref=facts.cross_border_assessment_ref if facts else None,
    )


def run_checks(session: Session, plan: CollectionPlan) -> list[Check]:
    system = orgs_service.get_system(session, plan.system_id)
    return checks.run_checks(plan, context(session, system))


# ---------------------------------------------------------------- the review


def _get(session: Session, plan_id: int, person: Person) -> tuple[CollectionPlan, ReviewRequest]:
    plan = service.get_plan(session, plan_id, reviews=reviews_flows.visible_ids(person, KIND))
    return plan, reviews_flows.get(session, plan.review_id, person, KIND)


def request(session: Session, data: PlanCreate, plan: Plan, person: Person) -> CollectionPlan:
    """A collection review of ``plan`` for a system in the requester's scope (a draft: the
    requester completes the artefacts, then submits). One transaction: nothing is left of it
    if any part fails."""
    system = orgs_service.get_system(session, data.system_id, scope=person.unit_path)
    if system.archived:
        raise ValidationFailed("system_archived", "信息系统已归档，不能申请数据收集审核")
    if data.purpose_id:
        register.check_purpose(session, system, data.purpose_id)
    classified = classify(plan)
    sensitive = any(item.sensitive for item in classified)
    title = data.title or f"{system.name} · {plan.source} 的数据收集审核"
    review = reviews_flows.create(
        session,
        KIND,
        object_type=OBJECT_TYPE,
        object_id=None,
        title=title,
        unit_id=system.unit_id,
        requester=person,
        units={"owner": system.owner_unit_id, "unit": system.unit_id},
        flags=frozenset({"sensitive"}) if sensitive else frozenset(),
    )
    created = service.create_plan(
        session,
        data,
        review_id=review.id,
        source_name=plan.source,
        source_kind=plan.kind,
        fields=classified,
        by=person.username,
    )
    review.object_id = created.id
    personal = sum(1 for item in classified if item.pi_types)
    audit_service.record(
        session,
        action="collection_plan.create",
        object_type=OBJECT_TYPE,
        object_id=created.id,
        fields=[item.planned.name for item in classified][:200],
        reason=f"“{system.name}”申请数据收集审核：{len(classified)} 个字段，"
        f"其中个人信息 {personal} 个（来源：{plan.source}）"[:1000],
    )
    return created


def _editable(plan: CollectionPlan, review: ReviewRequest, person: Person) -> None:
    if person.user_id is None or review.requester_id != person.user_id:
        raise PermissionDenied("not_requester", "只有申请人本人可以修改采集计划", "requester only")
    if review.state not in reviews_service.OPEN:
        raise Conflict("review_closed", f"申请当前状态为“{STATE_LABELS[review.state]}”，不能修改")


def update(session: Session, plan_id: int, data: PlanDetails, person: Person) -> CollectionPlan:
    plan, review = _get(session, plan_id, person)
    _editable(plan, review, person)
    if data.purpose_id:
        register.check_purpose(
            session, orgs_service.get_system(session, plan.system_id), data.purpose_id
        )
    changed = service.update_details(plan, data)
    session.flush()
    if changed:
        audit_service.record(
            session,
            action="collection_plan.update",
            object_type=OBJECT_TYPE,
            object_id=plan.id,
            fields=changed[:200],
            reason=f"{person.username} 补充采集计划的说明与材料"[:1000],
        )
    return plan


def attach_minutes(
    session: Session,
    plan_id: int,
    filename: str,
    content: bytes,
    person: Person,
    *,
    uploads_dir: Path,
) -> CollectionPlan:
    """The minutes of the 领导班子 collective decision, stored content-addressed (a rolled
    back transaction leaves at most an unreferenced file)."""
    plan, review = _get(session, plan_id, person)
    _editable(plan, review, person)
    if not content:
        raise ValidationFailed("minutes_empty", "会议纪要文件为空")
    if len(content) > MAX_MINUTES_BYTES:
        raise PayloadTooLarge(
            "minutes_too_large", f"会议纪要文件超过 {MAX_MINUTES_BYTES >> 20} MB", "too large"
        )
    safe = Path(filename.replace("\\", "/")).name[:200] or "minutes"
    suffix = Path(safe).suffix.lower()
    if suffix not in MINUTES_SUFFIXES:
        raise ValidationFailed(
            "minutes_type",
            f"不支持的会议纪要文件类型：{suffix or '无扩展名'}（支持 {'、'.join(sorted(MINUTES_SUFFIXES))}）",
        )
    stored = files.store(uploads_dir, "collection", content, suffix)
    relative, digest = stored.relative, stored.sha256
    service.attach_minutes(plan, name=safe, path=relative, sha256=digest)
    session.flush()
    audit_service.record(
        session,
        action="collection_plan.update",
        object_type=OBJECT_TYPE,
        object_id=plan.id,
        fields=["minutes"],
        reason=f"{person.username} 上传领导班子集体决策会议纪要（SHA-256 {digest[:16]}…）",
    )
    return plan


def submit(session: Session, plan_id: int, person: Person) -> CollectionPlan:
    plan, review = _get(session, plan_id, person)
    reviews_flows.submit(session, review, KIND, person)
    return plan


def withdraw(session: Session, plan_id: int, person: Person) -> CollectionPlan:
    plan, review = _get(session, plan_id, person)
    reviews_flows.withdraw(session, review, KIND, person)
    return plan


def decide(session: Session, plan_id: int, data: DecisionCreate, person: Person) -> CollectionPlan:
    """A decision on the awaiting step. Approval is refused while a pre-check fails (the
    artefacts are missing); the last approval writes the system's approved fields and, through
    ``register``, the personal ones into the processing register (refused as a whole when the
    register refuses them)."""
    plan, review = _get(session, plan_id, person)
    if data.decision == "approve":
        failing = [c for c in run_checks(session, plan) if c.blocking]
        if failing:
            names = "、".join(checks.CHECK_LABELS[c.code][0] for c in failing)
            raise ValidationFailed(
                "collection_checks_failed",
                f"以下预检未通过，不能同意：{names}。请退回申请人补充材料，或驳回申请。",
                f"pre-checks failed: {', '.join(c.code for c in failing)}",
                details={"checks": [c.to_dict() for c in failing]},
            )
    state = reviews_flows.decide(session, review, KIND, person, data.decision, data.reason)
    if state == ReviewState.approved:
        count = service.approve(session, plan)
        written = register.write(session, plan, by=person.username)
        audit_service.record(
            session,
            action="collection_plan.update",
            object_type=OBJECT_TYPE,
            object_id=plan.id,
            fields=["approved_fields", "register_write"],
            row_count=count,
            reason=f"数据收集审核通过：{count} 个字段记入系统的已批准收集清单；"
            f"{written['summary']}"[:1000],
        )
    return plan


def list_plans(
    session: Session, person: Person, *, state: ReviewState | None = None
) -> list[PlanRead]:
    plans = service.list_plans(session, reviews=reviews_flows.visible_ids(person, KIND, state))
    return [read(session, p.id, person, with_checks=False) for p in plans]


def _field_read(item: Any) -> FieldRead:
    return FieldRead(
        id=item.id,
        group=item.group,
        name=item.name,
        label=item.label,
        choices=[c for c in item.choices.splitlines() if c],
        pi_types=item.types,
        pi_type_labels=[labels.label("pi_type", c) for c in item.types],
        category=item.category,
        level=item.level,
        level_label=labels.label("level", item.level),
        sensitive=item.sensitive,
        minors=item.minors,
        confidence=round(item.confidence, 3),
        evidence=[e for e in item.evidence.splitlines() if e],
        optional=item.optional,
        justification=item.justification,
        acquisition=item.acquisition.value,
    )


def read(session: Session, plan_id: int, person: Person, *, with_checks: bool = True) -> PlanRead:
    plan, review = _get(session, plan_id, person)
    system = orgs_service.get_system(session, plan.system_id)
    found = run_checks(session, plan) if with_checks else []
    units: dict[int, str] = {}

    def unit_name(unit_id: int) -> str:
        if unit_id not in units:
            units[unit_id] = orgs_service.get_unit(session, unit_id).name
        return units[unit_id]

    baseline = checks.baselines().get(plan.system_type, {})
    options = register.purpose_options(session, system.id) if with_checks else []
    named = next((o.name for o in options if o.id == plan.purpose_id), None)
    if plan.purpose_id is not None and named is None:
        named = processing_service.get_purpose(session, plan.purpose_id).name
    return PlanRead(
        id=plan.id,
        review_id=review.id,
        title=review.title,
        state=review.state.value,
        state_label=STATE_LABELS[review.state],
        system_id=system.id,
        system=system.name,
        unit=system.unit.name,
        system_type=plan.system_type,
        system_type_label=str(baseline.get("label", plan.system_type)),
        requester=review.requester_name,
        purpose=plan.purpose,
        source_name=plan.source_name,
        source_kind=plan.source_kind,
        expected_subjects=plan.expected_subjects,
        children=plan.children,
        storage_location=plan.storage_location,
        cross_border_ref=plan.cross_border_ref,
        necessity_argument=plan.necessity_argument,
        ethics_argument=plan.ethics_argument,
        meeting_date=plan.meeting_date,
        meeting_attendees=[a for a in plan.meeting_attendees.splitlines() if a],
        minutes_name=plan.minutes_name,
        retention=checks.retention_of(plan),
        groups=list(dict.fromkeys(f.group for f in plan.fields)),
        fields=[_field_read(f) for f in plan.fields],
        checks=[
            CheckRead(
                code=c.code,
                label=checks.CHECK_LABELS[c.code][0],
                status=c.status,
                status_label=checks.STATUS_LABELS[c.status][0],
                summary=c.summary,
                items=c.items,
                cite=c.cite,
                clause=c.clause,
            )
            for c in found
        ],
        blocking=[c.code for c in found if c.blocking],
        steps=[
            StepRead(
                position=s.position,
                label=s.label,
                status=s.status.value,
                status_label=STEP_LABELS[s.status],
                unit=unit_name(s.unit_id),
                decided_by=s.decided_by_name,
                reason=s.reason,
            )
            for s in review.steps
        ],
        may_decide=reviews_service.may_decide(review, person),
        timeline=[
            {
                "action": DECISION_LABELS[d.action],
                "actor": d.actor_name,
                "reason": d.reason,
                "at": d.created_at.isoformat(timespec="seconds"),
            }
            for d in review.decisions
        ],
        purpose_id=plan.purpose_id,
        purpose_name=named,
        register_write=register.read(plan),
        purposes=options,
    )


# ---------------------------------------------------------------- CI: a plan against approvals


def approved_fields(session: Session, system_id: int) -> list[dict[str, Any]]:
    """The fields ``system_id`` may collect (approved collection reviews): for the processing
    register and the 收集清单."""
    return [
        {
            "group": a.group,
            "name": a.name,
            "label": a.label,
            "pi_types": [c for c in a.pi_types.split(",") if c],
            "level": a.level,
            "sensitive": a.sensitive,
            "optional": a.optional,
            "acquisition": a.acquisition.value,
            "plan_id": a.plan_id,
        }
        for a in service.approved_fields(session, system_id)
    ]


def check(session: Session, plan: Plan, system_id: int, scope: str = "/") -> list[CheckedField]:
    """Each personal field of ``plan``, approved for ``system_id`` (in ``scope``) or not, and
    why."""
    orgs_service.get_system(session, system_id, scope=scope)
    approved = service.approved_fields(session, system_id)
    out = []
    for item in classify(plan):
        if not item.pi_types:
            continue
        reason = service.unapproved(approved, item)
        out.append(
            CheckedField(
                group=item.planned.group,
                name=item.planned.name,
                pi_types=item.pi_types,
                level=item.level,
                sensitive=item.sensitive,
                approved=reason is None,
                reason=reason or "已批准",
            )
        )
    return out


def systems(session: Session, person: Person) -> list[tuple[int, str]]:
    """The systems the requester may ask a collection review for (id, “unit · system”)."""
    found = orgs_service.list_systems(session, scope=person.unit_path, limit=1000)
    return [(s.id, f"{s.unit.name} · {s.name}") for s in found]


def minutes_file(
    session: Session, plan_id: int, person: Person, *, uploads_dir: Path
) -> tuple[str, Path]:
    """The minutes of the collective decision attached to a plan the person may see: its
    name as uploaded and where it is stored."""
    plan, _review = _get(session, plan_id, person)
    if not plan.minutes_path or not plan.minutes_name:
        raise NotFound("minutes_missing", "该审核尚未上传会议纪要", "no minutes attached")
    path = (uploads_dir / plan.minutes_path).resolve()
    if not path.is_relative_to(uploads_dir.resolve()) or not path.is_file():
        raise NotFound("minutes_missing", "会议纪要文件不存在", "minutes file missing")
    return plan.minutes_name, path


def is_requester(session: Session, plan_id: int, person: Person) -> bool:
    _plan, review = _get(session, plan_id, person)
    return person.user_id is not None and review.requester_id == person.user_id
