"""Collection plans: created from a read plan and its classification, completed with the
artefacts a review needs, and on approval turned into the system's approved fields.
Services flush, never commit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from eduguard.catalog import names as catalog_names
from eduguard.collection.models import Acquisition, ApprovedField, CollectionPlan, PlanField
from eduguard.collection.readers import PlannedField
from eduguard.collection.schemas import PlanCreate, PlanDetails
from eduguard.errors import NotFound, ValidationFailed
from eduguard.labels import label


@dataclass(frozen=True)
class Classified:
    """A planned field with what the discovery engine made of it."""

    planned: PlannedField
    pi_types: list[str]
    category: str | None
    level: str
    sensitive: bool
    minors: bool
    confidence: float
    evidence: list[str]


def create_plan(
    session: Session,
    data: PlanCreate,
    *,
    review_id: int,
    source_name: str,
    source_kind: str,
    fields: Sequence[Classified],
    by: str,
) -> CollectionPlan:
    plan = CollectionPlan(
        review_id=review_id,
        system_id=data.system_id,
        system_type=data.system_type,
        source_name=source_name[:300],
        source_kind=source_kind,
        created_by=by,
    )
    for item in fields:
        planned = item.planned
        plan.fields.append(
            PlanField(
                group=planned.group[:300],
                name=planned.name[:300],
                label=planned.label[:500] if planned.label else None,
                choices="\n".join(planned.choices),
                pi_types=",".join(item.pi_types),
                category=item.category,
                level=item.level,
                sensitive=item.sensitive,
                minors=item.minors,
                confidence=item.confidence,
                evidence="\n".join(item.evidence),
            )
        )
    session.add(plan)
    update_details(plan, data)
    session.flush()
    return plan


def _field(plan: CollectionPlan, name: str, group: str | None) -> PlanField:
    found = [f for f in plan.fields if f.name == name and (group is None or f.group == group)]
    if len(found) != 1:
        where = f"“{group}”中" if group else ""
        problem = "没有" if not found else "有多个（请指明字段组）"
        raise ValidationFailed(
            "plan_field_unknown",
            f"采集计划{where}{problem}字段“{name}”",
            f"no single field {name} in the plan",
            details={"field": name},
        )
    return found[0]


def update_details(plan: CollectionPlan, data: PlanDetails) -> list[str]:
    """Apply the given facts and artefacts; the names of what changed (for the audit)."""
    changed: list[str] = []
    simple = (
        "purpose",
        "expected_subjects",
        "children",
        "storage_location",
        "cross_border_ref",
        "necessity_argument",
        "ethics_argument",
        "meeting_date",
    )
    for name in simple:
        value = getattr(data, name)
        if value is not None and getattr(plan, name) != value:
            setattr(plan, name, value.strip() if isinstance(value, str) else value)
            changed.append(name)
    if "purpose_id" in data.model_fields_set and plan.purpose_id != data.purpose_id:
        plan.purpose_id = data.purpose_id  # checked by flows: a purpose of the system
        changed.append("purpose_id")
    if data.meeting_attendees is not None:
        plan.meeting_attendees = "\n".join(data.meeting_attendees)
        changed.append("meeting_attendees")
    if data.retention is not None:
        groups = {f.group for f in plan.fields}
        unknown = [g for g in data.retention if g not in groups]
        if unknown:
            raise ValidationFailed(
                "plan_group_unknown",
                f"采集计划中没有字段组：{'、'.join(unknown)}",
                details={"groups": unknown},
            )
        current = json.loads(plan.retention or "{}")
        current.update({k: v.strip() for k, v in data.retention.items()})
        plan.retention = json.dumps(current, ensure_ascii=False, sort_keys=True)
        changed.append("retention")
    for choice in data.fields:
        item = _field(plan, choice.name, choice.group)
        item.optional = choice.optional
        item.justification = choice.justification.strip()
        item.acquisition = Acquisition(choice.acquisition)
        changed.append(f"field:{item.name}")
    return changed


def attach_minutes(plan: CollectionPlan, *, name: str, path: str, sha256: str) -> None:
    plan.minutes_name, plan.minutes_path, plan.minutes_sha256 = name[:255], path, sha256


def get_plan(session: Session, plan_id: int, *, reviews: object = None) -> CollectionPlan:
    query = select(CollectionPlan).where(CollectionPlan.id == plan_id)
    if reviews is not None:
        query = query.where(CollectionPlan.review_id.in_(reviews))  # type: ignore[arg-type]
    plan = session.scalar(query)
    if plan is None:
        raise NotFound("collection_plan_not_found", f"采集审核不存在：{plan_id}", "not found")
    return plan


def list_plans(session: Session, *, reviews: object, limit: int = 200) -> Sequence[CollectionPlan]:
    return session.scalars(
        select(CollectionPlan)
        .where(CollectionPlan.review_id.in_(reviews))  # type: ignore[arg-type]
        .order_by(CollectionPlan.id.desc())
        .limit(limit)
    ).all()


def approve(session: Session, plan: CollectionPlan) -> int:
    """The plan's fields become the system's approved fields (a field approved before under
    the same group and name is replaced by this approval)."""
    for item in plan.fields:
        session.execute(
            delete(ApprovedField).where(
                ApprovedField.system_id == plan.system_id,
                ApprovedField.group == item.group,
                ApprovedField.name == item.name,
            )
        )
        session.add(
            ApprovedField(
                system_id=plan.system_id,
                plan_id=plan.id,
                group=item.group,
                name=item.name,
                label=item.label,
                pi_types=item.pi_types,
                level=item.level,
                sensitive=item.sensitive,
                optional=item.optional,
                acquisition=item.acquisition,
            )
        )
    session.flush()
    return len(plan.fields)


def approved_fields(session: Session, system_id: int) -> Sequence[ApprovedField]:
    return session.scalars(
        select(ApprovedField)
        .where(ApprovedField.system_id == system_id)
        .order_by(ApprovedField.group, ApprovedField.name)
    ).all()


def approved_counts(session: Session, system_ids: Sequence[int]) -> dict[int, int]:
    """System → how many fields its approved collection reviews allow."""
    if not system_ids:
        return {}
    rows = session.execute(
        select(ApprovedField.system_id, func.count())
        .where(ApprovedField.system_id.in_(sorted(set(system_ids))))
        .group_by(ApprovedField.system_id)
    ).all()
    return {int(system): int(count) for system, count in rows}


def uncovered_reason(
    approved: Sequence[ApprovedField], names: Sequence[str | None], types: Sequence[str]
) -> str | None:
    """Why a personal field (known by ``names``: its name, its label or comment) of ``types``
    is not covered by the approvals (None: it is). Shared by the CI check of a plan and the
    drift of a system's catalog."""
    matches = [a for a in approved if catalog_names.same_item([a.name, a.label], names)]
    if not matches:
        return "未经采集审核批准"
    allowed = {code for a in matches for code in a.pi_types.split(",") if code}
    extra = [code for code in types if code not in allowed]
    if extra:
        return "批准的同名字段不含以下类型：" + "、".join(label("pi_type", c) for c in extra)
    return None


def unapproved(approved: Sequence[ApprovedField], item: Classified) -> str | None:
    """Why a personal planned field is not covered by an approval (None: it is)."""
    return uncovered_reason(approved, [item.planned.name, item.planned.label], item.pi_types)
