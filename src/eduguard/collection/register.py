"""An approved collection review into the system's processing register (issue #19 part 3).

The plan names the purpose of the register its fields serve (``CollectionPlan.purpose_id``);
a plan that names none gets a *draft* purpose made by the approval (no legal basis yet, so it
is in no published rules until someone completes and activates it). Each approved personal
field is then written through the processing domain's own entry point
(:func:`eduguard.processing.intake.write_collection`): a field the system's catalog already
holds is linked as that catalog field, the others are added as planned items (the rules state
them before they are collected). When the purpose is active and the rules are published, the
processing domain publishes a new version (linted as always); whether the write was a material
change of the purpose, so that consents given to the earlier terms need re-consent, is decided
by ``consent.terms`` — the same classifier the consent gate uses. A refusal anywhere refuses
the approval: one transaction.

Like ``collection.flows`` and ``collection.drift``, this module reads other domains.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.catalog.models import Dataset, Field
from eduguard.catalog.stats import effective_types
from eduguard.collection import service
from eduguard.collection.models import ApprovedField, CollectionPlan
from eduguard.collection.schemas import PurposeOption, RegisterWriteRead
from eduguard.consent import terms as consent_terms
from eduguard.errors import EduguardError, NotFound, ValidationFailed
from eduguard.orgs.models import InformationSystem
from eduguard.processing import flows as processing_flows
from eduguard.processing import intake as processing_intake
from eduguard.processing import service as processing_service
from eduguard.processing.models import LegalBasis, ProcessingPurpose, PurposeStatus
from eduguard.processing.schemas import PlannedItemIn, PurposeCreate

MAX_CATALOG = 20_000
STATUS_ZH = {"draft": "草稿", "active": "已启用", "retired": "已停用"}


def purpose_options(session: Session, system_id: int) -> list[PurposeOption]:
    """The purposes of the system's register a plan may name (not retired)."""
    return [
        PurposeOption(
            id=p.id,
            name=p.name,
            status=p.status.value,
            legal_basis=p.legal_basis.value if p.legal_basis else None,
        )
        for p in processing_service.list_purposes(session, system_id)
        if p.status != PurposeStatus.retired
    ]


def check_purpose(session: Session, system: InformationSystem, purpose_id: int) -> None:
    """A plan may name a purpose of its own system's register that is not retired."""
    try:
        purpose = processing_service.get_purpose(session, purpose_id)
    except NotFound:
        purpose = None
    if purpose is None or purpose.system_id != system.id:
        raise ValidationFailed(
            "plan_purpose_other_system",
            f"处理目的 {purpose_id} 不在信息系统“{system.name}”的处理活动记录中",
            "the purpose is not in the system's processing register",
            details={"purpose_id": purpose_id},
        )
    if purpose.status == PurposeStatus.retired:
        raise ValidationFailed(
            "plan_purpose_retired",
            f"处理目的“{purpose.name}”已停用，不能作为采集计划的处理目的",
            "the purpose is retired",
            details={"purpose_id": purpose_id},
        )


def _catalog(session: Session, system_id: int) -> list[Field]:
    """The system's present personal catalog fields (what an approved field may already be)."""
    return list(
        session.scalars(
            select(Field)
            .join(Dataset, Field.dataset_id == Dataset.id)
            .where(
                Dataset.system_id == system_id,
                Dataset.present.is_(True),
                Field.present.is_(True),
                effective_types() != "",
            )
            .order_by(Field.id)
            .limit(MAX_CATALOG)
        )
    )


def _draft(session: Session, plan: CollectionPlan) -> ProcessingPurpose:
    """The purpose an approval makes when the plan names none: a draft of the system's
    register named after the plan's purpose (or its source), to be completed and activated."""
    first = next((line.strip() for line in plan.purpose.splitlines() if line.strip()), "")
    name = (first or f"{plan.source_name} 的数据收集")[:60]
    if name in {p.name for p in processing_service.list_purposes(session, plan.system_id)}:
        name = f"{name}（数据收集审核 {plan.review_id}）"  # a name is unique in a register
    periods = dict.fromkeys(json.loads(plan.retention or "{}").values())
    sensitive = any(f.sensitive for f in plan.fields if f.types)
    return processing_flows.create_purpose(
        session,
        plan.system_id,
        PurposeCreate(
            name=name,
            description=plan.purpose[:4000],
            collection_method=f"经数据收集审核批准（{plan.source_name}）"[:500],
            retention_period="；".join(p for p in periods if p)[:200],
            sensitive_necessity=plan.necessity_argument[:4000] if sensitive else "",
        ),
        scope="/",
    )


def _summary(record: dict[str, Any]) -> str:
    if record["purpose_id"] is None:
        return "计划中没有个人信息字段，未写入处理活动记录"
    names = "、".join(record["fields"])
    purpose = record["purpose"]
    if record["created"]:
        text = f"已写入处理活动记录：新建处理目的草稿“{purpose}”，登记数据项 {names}"
        return text + "（尚未登记法律依据；补充并启用后进入收集规则）"
    if not record["linked"] and not record["planned"]:
        return f"处理活动记录中处理目的“{purpose}”已登记这些数据项（{names}），未作改动"
    text = f"已写入处理活动记录：处理目的“{purpose}”登记数据项 {names}"
    if record["linked"]:
        text += f"（其中 {len(record['linked'])} 项关联数据资源目录中已有的字段）"
    general = [r["number"] for r in record["rules"] if r["audience"] == "general"]
    if general:
        text += f"；收集规则已更新至第 {general[0]} 版"
        children = [r["number"] for r in record["rules"] if r["audience"] == "children"]
        if children:
            text += f"，儿童个人信息专门规则第 {children[0]} 版"
        if record["reconsent"]:
            text += "，需重新取得同意：此前按旧版规则作出的同意不再作为处理依据（个人信息保护法 第十四条第二款）"
        elif record["legal_basis"] and record["legal_basis"] != LegalBasis.consent.value:
            entry = processing_service.basis_entry(record["legal_basis"])
            text += f"（依据{entry['clause']}处理，无需重新取得同意）"
    elif record["purpose_status"] != PurposeStatus.active.value:
        text += f"；处理目的为“{STATUS_ZH.get(record['purpose_status'], '')}”，启用并发布规则后生效"
    else:
        text += "；该系统尚未发布收集规则，发布后生效"
    return text


STATUS_EN = {"draft": "a draft", "active": "active", "retired": "retired"}


def summary_en(record: dict[str, Any]) -> str:
    """The English of :func:`_summary`, rendered from the same stored record when read (the
    console in English, the API's ``register_write.summary_en``)."""
    if record["purpose_id"] is None:
        return "The plan has no personal fields: nothing was written into the processing register"
    names = ", ".join(record["fields"])
    purpose = record["purpose"]
    if record["created"]:
        return (
            f"Written into the processing register: a new draft purpose “{purpose}” with the "
            f"data items {names} (no legal basis yet; it enters the collection rules once "
            "completed and activated)"
        )
    if not record["linked"] and not record["planned"]:
        return (
            f"The purpose “{purpose}” of the processing register already lists these data items "
            f"({names}): nothing changed"
        )
    text = f"Written into the processing register: the purpose “{purpose}” lists the data items {names}"
    if record["linked"]:
        text += f" ({len(record['linked'])} of them linked to fields already in the catalog)"
    general = [r["number"] for r in record["rules"] if r["audience"] == "general"]
    if general:
        text += f"; the collection rules were updated to version {general[0]}"
        children = [r["number"] for r in record["rules"] if r["audience"] == "children"]
        if children:
            text += f", the rules for children's personal information to version {children[0]}"
        if record["reconsent"]:
            text += (
                "; consent must be asked again: consents given to the earlier rules no longer "
                "count (PIPL Art. 14(2))"
            )
        elif record["legal_basis"] and record["legal_basis"] != LegalBasis.consent.value:
            entry = processing_service.basis_entry(record["legal_basis"])
            text += f" (processed under {entry['clause_en']}: no new consent is needed)"
    elif record["purpose_status"] != PurposeStatus.active.value:
        status = STATUS_EN.get(record["purpose_status"], "")
        text += f"; the purpose is {status}: this takes effect once it is activated and the rules are published"
    else:
        text += (
            "; the system has not published collection rules yet: this takes effect once they are"
        )
    return text


def write(session: Session, plan: CollectionPlan, *, by: str) -> dict[str, Any]:
    """Write the plan's approved personal fields into its purpose (see the module); the record
    of what was written, also stored on the plan. Raises ``collection_register_refused`` (and
    the caller's transaction rolls back) when the register refuses."""
    approved = [a for a in service.approved_fields(session, plan.system_id) if a.plan_id == plan.id]
    personal = [a for a in approved if a.pi_types]
    record: dict[str, Any] = {
        "purpose_id": None,
        "purpose": None,
        "created": False,
        "purpose_status": None,
        "legal_basis": None,
        "fields": [a.name for a in personal],
        "linked": [],
        "planned": [],
        "rules": [],
        "material": [],
        "reconsent": False,
    }
    if personal:
        record.update(_write(session, plan, personal, by=by))
    record["summary"] = _summary(record)
    plan.register_write = json.dumps(record, ensure_ascii=False, sort_keys=True)
    session.flush()
    return record


def _write(
    session: Session, plan: CollectionPlan, personal: Sequence[ApprovedField], *, by: str
) -> dict[str, Any]:
    minors = {(f.group, f.name): f.minors for f in plan.fields}
    purpose: ProcessingPurpose | None = None
    try:
        if plan.purpose_id is not None:
            purpose = processing_service.get_purpose(session, plan.purpose_id)
            created = False
        else:
            purpose, created = _draft(session, plan), True
        before = processing_flows.purpose_read(session, purpose).model_dump()
        catalog = _catalog(session, plan.system_id)
        field_ids: list[int] = []
        linked: list[str] = []
        items: list[PlannedItemIn] = []
        for item in personal:
            matches = [
                f
                for f in catalog
                if service.uncovered_reason([item], [f.name, f.comment], f.pi_types) is None
            ]
            if matches:
                field_ids.extend(f.id for f in matches)
                linked.extend(f"{f.dataset.name}.{f.name}" for f in matches)
                continue
            items.append(
                PlannedItemIn(
                    group=item.group,
                    name=item.name,
                    label=item.label,
                    pi_types=[c for c in item.pi_types.split(",") if c],
                    sensitive=item.sensitive,
                    minors=minors.get((item.group, item.name), False),
                )
            )
        result = processing_intake.write_collection(
            session,
            purpose.id,
            field_ids=field_ids,
            items=items,
            origin=f"collection_plan:{plan.id}",
            by=by,
        )
    except EduguardError as error:
        where = f"“{purpose.name}”" if purpose is not None else ""
        raise ValidationFailed(
            "collection_register_refused",
            f"不能同意：处理活动记录{where}拒绝写入这些数据项——{error.message_zh}。"
            "请退回申请人改选处理目的，或先在处理活动记录中完善后再作决定",
            f"the processing register refused the fields: {error.message_en}",
            details={"cause": error.code, "cause_details": error.details},
        ) from error
    after = processing_flows.purpose_read(session, purpose).model_dump()
    change = consent_terms.classify(before, after)
    consent = purpose.legal_basis == LegalBasis.consent
    new_ids = set(result.linked)
    return {
        "purpose_id": purpose.id,
        "purpose": purpose.name,
        "created": created,
        "purpose_status": purpose.status.value,
        "legal_basis": purpose.legal_basis.value if purpose.legal_basis else None,
        "linked": sorted({n for f, n in zip(field_ids, linked, strict=True) if f in new_ids}),
        "planned": list(result.planned),
        "rules": [{"audience": a, "number": n} for a, n in result.published],
        "material": change.reasons(),
        "reconsent": change.material and consent and purpose.status == PurposeStatus.active,
    }


def read(plan: CollectionPlan) -> RegisterWriteRead | None:
    if not plan.register_write:
        return None
    data = json.loads(plan.register_write)
    return RegisterWriteRead(
        purpose_id=data["purpose_id"],
        purpose=data["purpose"],
        created=data["created"],
        purpose_status=data["purpose_status"],
        legal_basis=data["legal_basis"],
        linked=data["linked"],
        planned=data["planned"],
        rules=data["rules"],
        material=data["material"],
        reconsent=data["reconsent"],
        summary=data["summary"],
        summary_en=summary_en(data),
    )
