"""The processing register across domains: orgs (systems, units, agreements), the catalog (the
fields a purpose uses, whether a system holds children's data) and the audit log. The only
module of ``processing`` that imports other domains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog.models import Dataset, Field
from eduguard.errors import NotFound, ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import Agreement, InformationSystem
from eduguard.processing import lint, notice, service
from eduguard.processing.models import (
    Audience,
    LegalBasis,
    ProcessingPurpose,
    PurposeStatus,
    RulesVersion,
)
from eduguard.processing.schemas import (
    FieldRef,
    LegalBasisRead,
    PlannedItemRef,
    PurposeCreate,
    PurposeRead,
    PurposeUpdate,
    RecipientIn,
    RecipientRead,
    RegisterRead,
    RegisterUpdate,
    RulesDocument,
    RulesVersionRead,
)

OBJECT_TYPE = "processing_purpose"
RULES_OBJECT_TYPE = "collection_rules"

# Every change of the register is an audit event in the same transaction (column names only).
audit_capture.register("processing_registers", "processing_register")
audit_capture.register("processing_purposes", OBJECT_TYPE, frozenset({"revision"}))
audit_capture.register("processing_purpose_fields", "processing_purpose_field")
audit_capture.register("processing_recipients", "processing_recipient")
audit_capture.register("processing_planned_items", "processing_planned_item")


def legal_bases() -> list[LegalBasisRead]:
    return [
        LegalBasisRead(code=e["code"], label=e["text"], clause=e["clause"], text=e["text"])
        for e in service.legal_texts()["basis"]
    ]


def _system(session: Session, system_id: int, scope: str) -> InformationSystem:
    return orgs_service.get_system(session, system_id, scope=scope)


def _purpose(session: Session, purpose_id: int, scope: str) -> ProcessingPurpose:
    return service.get_purpose(session, purpose_id, systems=catalog_flows.scoped_systems(scope))


# ---------------------------------------------------------------- what a purpose refers to


def system_fields(
    session: Session, system: InformationSystem, ids: Sequence[int]
) -> dict[int, Field]:
    """The catalog fields ``ids``, each of a dataset of ``system``; otherwise a clear error."""
    if not ids:
        return {}
    found = {
        f.id: f
        for f in session.scalars(
            select(Field).join(Dataset).where(Field.id.in_(ids), Dataset.system_id == system.id)
        )
    }
    missing = [fid for fid in ids if fid not in found]
    if missing:
        raise ValidationFailed(
            "purpose_field_not_in_system",
            f"数据项 {'、'.join(map(str, missing))} 不在信息系统“{system.name}”的数据资源目录中",
            f"fields {missing} are not in the catalog of system {system.name}",
            details={"field_ids": missing},
        )
    return found


def _check_recipients(
    session: Session, system: InformationSystem, recipients: Sequence[RecipientIn], scope: str
) -> None:
    for recipient in recipients:
        if recipient.agreement_id is None:
            continue
        try:
            agreement = orgs_service.get_agreement(session, recipient.agreement_id, scope=scope)
        except NotFound:
            agreement = None
        if (
            agreement is None
            or agreement.archived
            or (agreement.system_id is not None and agreement.system_id != system.id)
        ):
            raise ValidationFailed(
                "recipient_agreement_not_found",
                f"接收方“{recipient.name}”关联的第三方协议 {recipient.agreement_id} 不存在、"
                f"已归档或不属于信息系统“{system.name}”",
                "the recipient's agreement does not exist or belongs to another system",
                details={"agreement_id": recipient.agreement_id},
            )


def _agreement_label(agreement: Agreement | None) -> str | None:
    if agreement is None:
        return None
    return f"{agreement.provider}（有效期 {agreement.valid_from} 至 {agreement.valid_until}）"


def field_ref(field: Field) -> FieldRef:
    return FieldRef(
        id=field.id,
        dataset=field.dataset.name,
        name=field.name,
        comment=field.comment,
        pi_types=field.pi_types,
        sensitive=field.sensitive,
        minors=field.minors,
        present=field.present and field.dataset.present,
    )


def purpose_read(session: Session, purpose: ProcessingPurpose) -> PurposeRead:
    ids = [f.field_id for f in purpose.fields]
    fields = session.scalars(select(Field).where(Field.id.in_(ids))).all() if ids else []
    agreements = {
        r.agreement_id: session.get(Agreement, r.agreement_id)
        for r in purpose.recipients
        if r.agreement_id is not None
    }
    entry = service.basis_entry(purpose.legal_basis) if purpose.legal_basis else None
    return PurposeRead(
        id=purpose.id,
        system_id=purpose.system_id,
        name=purpose.name,
        description=purpose.description,
        legal_basis=purpose.legal_basis.value if purpose.legal_basis else None,
        basis_label=entry["text"] if entry else None,
        basis_clause=entry["clause"] if entry else None,
        basis_detail=purpose.basis_detail,
        necessity=purpose.necessity.value,
        collection_method=purpose.collection_method,
        retention_period=purpose.retention_period,
        disposal=purpose.disposal.value,
        sensitive_necessity=purpose.sensitive_necessity,
        automated_decision=purpose.automated_decision,
        status=purpose.status.value,
        revision=purpose.revision,
        activated_at=purpose.activated_at,
        updated_at=purpose.updated_at,
        fields=[field_ref(f) for f in sorted(fields, key=lambda f: f.id)],
        recipients=[
            RecipientRead(
                id=r.id,
                name=r.name,
                kind=r.kind.value,
                agreement_id=r.agreement_id,
                agreement=_agreement_label(agreements.get(r.agreement_id or 0)),
                contact=r.contact,
                use=r.use,
            )
            for r in purpose.recipients
        ],
        planned=[
            PlannedItemRef(
                id=p.id,
                group=p.group,
                name=p.name,
                label=p.label,
                pi_types=p.types,
                sensitive=p.sensitive,
                minors=p.minors,
                origin=p.origin,
            )
            for p in purpose.planned
            if p.field_id is None  # collected: the catalog field is among ``fields``
        ],
    )


# ---------------------------------------------------------------- the register


def create_purpose(
    session: Session, system_id: int, data: PurposeCreate, *, scope: str
) -> ProcessingPurpose:
    system = _system(session, system_id, scope)
    system_fields(session, system, data.field_ids)
    _check_recipients(session, system, data.recipients, scope)
    return service.create_purpose(session, system.id, data)


def update_purpose(
    session: Session, purpose_id: int, data: PurposeUpdate, *, scope: str
) -> ProcessingPurpose:
    purpose = _purpose(session, purpose_id, scope)
    system = _system(session, purpose.system_id, scope)
    if data.field_ids is not None:
        system_fields(session, system, data.field_ids)
    if data.recipients is not None:
        _check_recipients(session, system, data.recipients, scope)
    service.update_purpose(session, purpose, data)
    return purpose


def activate(session: Session, purpose_id: int, *, scope: str) -> ProcessingPurpose:
    purpose = service.activate(session, _purpose(session, purpose_id, scope))
    entry = service.basis_entry(purpose.legal_basis or LegalBasis.other_law)
    audit_service.record(
        session,
        action="processing.purpose.activate",
        object_type=OBJECT_TYPE,
        object_id=purpose.id,
        fields=("status",),
        reason=f"启用处理目的（法律依据：{entry['clause']}）",
    )
    return purpose


def retire(session: Session, purpose_id: int, *, scope: str) -> ProcessingPurpose:
    purpose = service.retire(session, _purpose(session, purpose_id, scope))
    audit_service.record(
        session,
        action="processing.purpose.retire",
        object_type=OBJECT_TYPE,
        object_id=purpose.id,
        fields=("status",),
    )
    return purpose


def read_purpose(session: Session, purpose_id: int, *, scope: str) -> PurposeRead:
    return purpose_read(session, _purpose(session, purpose_id, scope))


def save_register(
    session: Session, system_id: int, data: RegisterUpdate, *, scope: str
) -> RegisterRead:
    system = _system(session, system_id, scope)
    service.save_register(session, system.id, data)
    return register_read(session, system.id, scope=scope)


def holds_children_data(session: Session, system_id: int) -> bool:
    """Whether the system's catalog holds information of children under 14 (a present field
    or dataset the scan or a reviewer flagged ``minors``)."""
    query = select(
        exists().where(
            Field.dataset_id == Dataset.id,
            Dataset.system_id == system_id,
            Dataset.present.is_(True),
            Field.present.is_(True),
            or_(Field.minors.is_(True), Dataset.minors.is_(True)),
        )
    )
    return bool(session.scalar(query))


def version_read(version: RulesVersion, current: set[int]) -> RulesVersionRead:
    return RulesVersionRead(
        id=version.id,
        system_id=version.system_id,
        audience=Audience(version.audience).value,
        number=version.number,
        sm3=version.sm3,
        published_at=version.published_at,
        published_by=version.published_by,
        current=version.id in current,
        intact=service.intact(version),
    )


def register_read(session: Session, system_id: int, *, scope: str) -> RegisterRead:
    system = _system(session, system_id, scope)
    register = service.get_register(session, system.id)
    current = service.current_ids(session, system.id)
    return RegisterRead(
        system_id=system.id,
        system=system.name,
        unit=system.unit.name,
        contact=register.contact if register else "",
        rights_channel=register.rights_channel if register else "",
        holds_children_data=holds_children_data(session, system.id),
        purposes=[purpose_read(session, p) for p in service.list_purposes(session, system.id)],
        versions=[version_read(v, current) for v in service.list_versions(session, system.id)],
    )


@dataclass(frozen=True)
class SystemRow:
    id: int
    name: str
    unit: str
    counts: dict[str, int]
    current_general: int | None
    current_children: int | None


def systems_overview(session: Session, *, scope: str) -> list[SystemRow]:
    systems = orgs_service.list_systems(session, scope=scope, limit=1000)
    counts = service.purpose_counts(session, [s.id for s in systems])
    rows = []
    for system in systems:
        general = service.current_version(session, system.id, Audience.general)
        children = service.current_version(session, system.id, Audience.children)
        rows.append(
            SystemRow(
                id=system.id,
                name=system.name,
                unit=system.unit.name,
                counts=counts[system.id],
                current_general=general.number if general else None,
                current_children=children.number if children else None,
            )
        )
    return rows


def catalog_fields(session: Session, system_id: int, *, scope: str) -> list[FieldRef]:
    """The system's present catalog fields (what a purpose may use), personal ones first."""
    system = _system(session, system_id, scope)
    fields = session.scalars(
        select(Field)
        .join(Dataset)
        .where(Dataset.system_id == system.id, Dataset.present.is_(True), Field.present.is_(True))
        .order_by(Dataset.name, Field.id)
        .limit(2000)
    ).all()
    refs = [field_ref(f) for f in fields]
    return sorted(refs, key=lambda r: (not r.pi_types, r.dataset, r.id))


def agreements(session: Session, system_id: int, *, scope: str) -> list[tuple[int, str]]:
    """Agreements a recipient of this system may link: the system's own and its unit's."""
    system = _system(session, system_id, scope)
    found = orgs_service.list_agreements(session, scope=scope, limit=1000)
    return [
        (a.id, _agreement_label(a) or "")
        for a in found
        if a.system_id == system.id or (a.system_id is None and a.unit_id == system.unit_id)
    ]


# ---------------------------------------------------------------- collection rules


def _rules_input(session: Session, system: InformationSystem) -> notice.RulesInput:
    register = service.get_register(session, system.id)
    purposes = []
    for purpose in service.list_purposes(session, system.id, status=PurposeStatus.active):
        read = purpose_read(session, purpose)
        items = tuple(
            notice.ItemInput(
                dataset=f.dataset,
                name=f.name,
                comment=f.comment,
                pi_types=tuple(f.pi_types),
                sensitive=f.sensitive,
                minors=f.minors,
            )
            for f in read.fields
            if f.present
        ) + tuple(  # approved by a collection review, stated before the catalog holds them
            notice.ItemInput(
                dataset=p.group,
                name=p.name,
                comment=p.label,
                pi_types=tuple(p.pi_types),
                sensitive=p.sensitive,
                minors=p.minors,
            )
            for p in read.planned
        )
        recipients = tuple(
            notice.RecipientInput(
                name=r.name,
                kind=recipient.kind,
                contact=r.contact,
                use=r.use,
                agreement=r.agreement,
            )
            for r, recipient in zip(read.recipients, purpose.recipients, strict=True)
        )
        assert purpose.legal_basis is not None  # active purposes have one (service.activate)
        purposes.append(
            notice.PurposeInput(
                name=purpose.name,
                description=purpose.description,
                legal_basis=purpose.legal_basis,
                basis_detail=purpose.basis_detail,
                necessity=purpose.necessity,
                collection_method=purpose.collection_method,
                retention_period=purpose.retention_period,
                disposal=purpose.disposal.value,
                sensitive_necessity=purpose.sensitive_necessity,
                automated_decision=purpose.automated_decision,
                items=items,
                recipients=recipients,
            )
        )
    operator = system.operator_name or (system.operator_unit.name if system.operator_unit else "")
    return notice.RulesInput(
        controller=system.owner_unit.name,
        system=system.name,
        system_url=system.url,
        operator=operator or None,
        contact=register.contact if register else "",
        rights_channel=register.rights_channel if register else "",
        purposes=tuple(purposes),
    )


def _publishable(system: InformationSystem, rules: notice.RulesInput, children_data: bool) -> None:
    findings = lint.lint(rules, children_data=children_data)
    if findings:
        raise ValidationFailed(
            "rules_not_publishable",
            f"信息系统“{system.name}”的收集使用规则不能发布："
            + "；".join(f.text for f in findings),
            "the collection rules cannot be published yet: " + "; ".join(f.en for f in findings),
            details={
                "problems": [f.text for f in findings],
                "findings": [
                    {"code": f.code, "clause": f.clause, "purpose": f.purpose} for f in findings
                ],
            },
        )


def preview(session: Session, system_id: int, audience: Audience, *, scope: str) -> dict[str, Any]:
    """The document publishing would store now (not stored)."""
    system = _system(session, system_id, scope)
    return notice.render(_rules_input(session, system), audience)


def publish(session: Session, system_id: int, *, scope: str, by: str) -> list[RulesVersion]:
    """Publish the system's rules — and the children's rules when its catalog holds children's
    data — as new immutable versions; a document unchanged since its current version is not
    published again. Audited, in the caller's transaction."""
    system = _system(session, system_id, scope)
    rules = _rules_input(session, system)
    children_data = holds_children_data(session, system.id) or notice.holds_children_data(rules)
    _publishable(system, rules, children_data)
    audiences = [Audience.general]
    if children_data:
        audiences.append(Audience.children)
    published = []
    for audience in audiences:
        version = service.publish_version(
            session, system.id, audience, notice.render(rules, audience), by=by
        )
        if version is not None:
            published.append(version)
            audit_service.record(
                session,
                action="processing.rules.publish",
                object_type=RULES_OBJECT_TYPE,
                object_id=version.id,
                reason=f"发布{'儿童个人信息专门规则' if audience == Audience.children else '收集使用规则'}"
                f"第 {version.number} 版（SM3 {version.sm3[:16]}…）",
            )
    if not published:
        raise ValidationFailed(
            "rules_unchanged",
            "收集使用规则与现行版本相同，无需重新发布",
            "the rules are unchanged since the current version",
        )
    return published


def _document(session: Session, version: RulesVersion) -> RulesDocument:
    current = service.current_ids(session, version.system_id)
    other = next(
        (a for a in Audience if a != Audience(version.audience)),
        Audience.general,
    )
    other_version = service.current_version(session, version.system_id, other)
    return RulesDocument(
        version=version_read(version, current),
        document=service.checked_document(version),
        other_audience=other_version.id if other_version else None,
    )


def public_current(session: Session, system_id: int, audience: Audience) -> RulesDocument:
    """The current published rules of a system, for anyone (no scope: they are public)."""
    version = service.current_version(session, system_id, audience)
    if version is None:
        raise NotFound(
            "rules_not_published",
            "该信息系统尚未发布"
            + ("儿童个人信息专门规则" if audience == Audience.children else "收集使用规则"),
            "no published rules",
        )
    return _document(session, version)


def public_version(session: Session, version_id: int) -> RulesDocument:
    return _document(session, service.get_version(session, version_id))


def version_history(session: Session, system_id: int) -> list[RulesVersionRead]:
    current = service.current_ids(session, system_id)
    return [version_read(v, current) for v in service.list_versions(session, system_id)]


# ---------------------------------------------------------------- for compliance (item 4)


@dataclass(frozen=True)
class RulesEvidence:
    """What notice item 4's rule (compliance N4-COLLECTION-RULES) can read instead of a fact
    typed in by hand: whether the system's rules are published here, since when, intact."""

    system_id: int
    published: bool
    number: int | None
    published_at: datetime | None
    public_path: str | None  # the public page
    intact: bool
    children_required: bool
    children_published: bool


def collection_rules_evidence(session: Session, system_id: int) -> RulesEvidence:
    general = service.current_version(session, system_id, Audience.general)
    children = service.current_version(session, system_id, Audience.children)
    needs_children = holds_children_data(session, system_id)
    return RulesEvidence(
        system_id=system_id,
        published=general is not None,
        number=general.number if general else None,
        published_at=general.published_at if general else None,
        public_path=f"/rules/{system_id}" if general else None,
        intact=all(service.intact(v) for v in (general, children) if v is not None),
        children_required=needs_children,
        children_published=children is not None,
    )


@dataclass(frozen=True)
class PurposeFacts:
    """An active purpose as compliance reads it: its legal basis and the catalog fields it uses
    (present ones, as "dataset.field")."""

    name: str
    legal_basis: str  # a LegalBasis value
    basis_clause: str  # 个人信息保护法 第十三条第一款第（N）项
    sensitive_necessity: str  # PIPL Art. 30; "" when not stated
    fields: tuple[str, ...]
    id: int = 0


@dataclass(frozen=True)
class RegisterFacts:
    system_id: int
    active: tuple[PurposeFacts, ...]
    drafts: tuple[str, ...]  # purposes not (yet) in force: no basis, or not activated
    rules: RulesEvidence


def register_facts(session: Session, system_ids: Sequence[int]) -> dict[int, RegisterFacts]:
    """Per system, what the register says for the compliance rules (notice items 4, 10, 11):
    the active purposes with their basis and fields, the drafts, the published rules."""
    found: dict[int, RegisterFacts] = {}
    if not system_ids:
        return found
    purposes = session.scalars(
        select(ProcessingPurpose)
        .where(
            ProcessingPurpose.system_id.in_(list(system_ids)),
            ProcessingPurpose.status != PurposeStatus.retired,
        )
        .order_by(ProcessingPurpose.system_id, ProcessingPurpose.id)
    ).all()
    field_ids = {link.field_id for p in purposes for link in p.fields}
    labels: dict[int, str] = {}
    if field_ids:
        for field_id, field_name, dataset_name in session.execute(
            select(Field.id, Field.name, Dataset.name)
            .join(Dataset, Dataset.id == Field.dataset_id)
            .where(Field.id.in_(field_ids), Field.present.is_(True), Dataset.present.is_(True))
        ).all():
            labels[field_id] = f"{dataset_name}.{field_name}"
    active: dict[int, list[PurposeFacts]] = {sid: [] for sid in system_ids}
    drafts: dict[int, list[str]] = {sid: [] for sid in system_ids}
    for purpose in purposes:
        if purpose.status != PurposeStatus.active or purpose.legal_basis is None:
            drafts[purpose.system_id].append(purpose.name)
            continue
        active[purpose.system_id].append(
            PurposeFacts(
                name=purpose.name,
                legal_basis=purpose.legal_basis.value,
                basis_clause=service.basis_entry(purpose.legal_basis)["clause"],
                sensitive_necessity=purpose.sensitive_necessity.strip(),
                fields=tuple(
                    labels[link.field_id] for link in purpose.fields if link.field_id in labels
                ),
                id=purpose.id,
            )
        )
    for system_id in system_ids:
        found[system_id] = RegisterFacts(
            system_id,
            tuple(active[system_id]),
            tuple(drafts[system_id]),
            collection_rules_evidence(session, system_id),
        )
    return found
