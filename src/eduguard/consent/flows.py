"""Consent across domains: the processing register (purposes, their legal basis and material
terms, the published rules versions), orgs (units, scope) and the audit log. The only module of
``consent`` that imports other domains.

The gate :func:`can_process` answers allow/deny with the reason; ``consent.coverage`` counts its
answers per purpose for the compliance rules (notice items 10, 11) and the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.consent import fold, service, terms
from eduguard.consent.models import (
    Action,
    Channel,
    ConsentEvent,
    ConsentSubject,
    GivenBy,
    GuardianPolicy,
    Verification,
)
from eduguard.consent.schemas import (
    EventRead,
    GateRead,
    GuardianCreate,
    GuardianRead,
    PurposeStateRead,
    RecordIn,
    SubjectCreate,
    SubjectLookup,
    SubjectRead,
)
from eduguard.db.base import utcnow
from eduguard.errors import NotFound, ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import InformationSystem, Unit
from eduguard.processing import flows as processing_flows
from eduguard.processing import service as processing_service
from eduguard.processing.models import Audience, LegalBasis, ProcessingPurpose, PurposeStatus

ALL = "/"
SUBJECT_OBJECT = "consent_subject"
EVENT_OBJECT = "consent_event"
ACTION_ZH = {
    "grant": "同意",
    "refuse": "拒绝",
    "withdraw": "撤回同意",
    "handover": "年满十四周岁移交",
}

audit_capture.register("consent_subjects", SUBJECT_OBJECT, frozenset({"head_seq", "head_hash"}))
audit_capture.register("consent_guardians", "consent_guardian")


def scoped_units(scope: str) -> Select[Any] | None:
    if scope == ALL:
        return None
    return select(Unit.id).where(Unit.path.startswith(scope, autoescape=True))


# ---------------------------------------------------------------- subjects


def register_subject(session: Session, data: SubjectCreate, *, scope: str) -> ConsentSubject:
    unit = orgs_service.get_unit(session, data.unit_id, scope=scope)
    return service.register_subject(
        session,
        unit.id,
        data.kind,
        data.external_id,
        birth_date=data.birth_date,
        label=data.label,
        policy=data.guardian_policy,
    )


def get_subject(session: Session, subject_id: int, *, scope: str) -> ConsentSubject:
    return service.get_subject(session, subject_id, units=scoped_units(scope))


def lookup(session: Session, data: SubjectLookup, *, scope: str) -> ConsentSubject:
    unit = orgs_service.get_unit(session, data.unit_id, scope=scope)
    subject = service.find_subject(session, unit.id, data.kind, data.external_id)
    if subject is None:
        raise NotFound("consent_subject_not_found", "该单位未登记此主体", "subject not registered")
    return subject


def add_guardian(
    session: Session, subject_id: int, data: GuardianCreate, *, scope: str
) -> GuardianRead:
    subject = get_subject(session, subject_id, scope=scope)
    guardian = service.add_guardian(
        session,
        subject,
        data.external_id,
        relation=data.relation,
        label=data.label,
        email=data.email,
    )
    return GuardianRead(
        id=guardian.id, relation=guardian.relation, label=guardian.label, active=guardian.active
    )


# ---------------------------------------------------------------- what a decision is about


def purpose_in_scope(session: Session, purpose_id: int, scope: str) -> ProcessingPurpose:
    systems = None
    if scope != ALL:
        systems = (
            select(InformationSystem.id)
            .join(Unit, InformationSystem.unit_id == Unit.id)
            .where(Unit.path.startswith(scope, autoescape=True))
        )
    return processing_service.get_purpose(session, purpose_id, systems=systems)


def current_terms(session: Session, purpose: ProcessingPurpose) -> dict[str, Any]:
    return terms.material_terms(processing_flows.purpose_read(session, purpose).model_dump())


def _rules(session: Session, purpose: ProcessingPurpose, child: bool) -> tuple[int, int, str]:
    """(version id, number, SM3) of the rules shown: the children's rules for a child where
    published, else the general ones; refused when none is published."""
    audiences = (Audience.children, Audience.general) if child else (Audience.general,)
    for audience in audiences:
        version = processing_service.current_version(session, purpose.system_id, audience)
        if version is not None:
            return version.id, version.number, version.sm3
    raise ValidationFailed(
        "consent_rules_not_published",
        "该信息系统尚未发布收集使用规则：未告知，不能征求或记录同意（个人信息保护法 第十七条）",
        "the system's collection rules are not published; consent cannot be asked",
    )


def _check_subject_purpose(
    session: Session, subject: ConsentSubject, purpose: ProcessingPurpose
) -> None:
    system = session.get(InformationSystem, purpose.system_id)
    unit = session.get(Unit, subject.unit_id)
    if system is None or unit is None or not unit.path.startswith(system.unit.path):
        raise ValidationFailed(
            "consent_purpose_other_unit",
            f"处理目的“{purpose.name}”不属于该主体所在单位（或其上级单位）的信息系统",
            "the purpose belongs to a system of another unit",
        )


def _who(subject: ConsentSubject, data: RecordIn, at: datetime, session: Session) -> None:
    child = service.is_child(subject, at)
    if child and data.given_by != GivenBy.guardian:
        raise ValidationFailed(
            "consent_guardian_required",
            "不满十四周岁的未成年人的个人信息，须由其监护人作出决定（个人信息保护法 第三十一条）",
            "a child under 14: the guardian decides (PIPL Art. 31)",
        )
    if not child and data.given_by == GivenBy.guardian:
        raise ValidationFailed(
            "consent_own_decision_required",
            "该主体已满十四周岁（或未登记出生日期），须由本人作出决定",
            "the subject is 14 or older: the person decides",
        )
    if data.given_by == GivenBy.guardian:
        found = {g.id: g for g in service.guardians(session, subject.id)}
        guardian = found.get(data.guardian_id or 0)
        if guardian is None or not guardian.active:
            raise ValidationFailed(
                "consent_guardian_unknown",
                "请选择已为该学生登记的监护人",
                "choose a registered guardian of the child",
            )
        if data.verification == Verification.none:
            raise ValidationFailed(
                "consent_guardian_unverified",
                "监护人的身份与监护关系须经核验（当面、纸质回执签名、学籍登记信息或一次性链接）",
                "the guardian must be verified",
            )
    elif data.guardian_id is not None:
        raise ValidationFailed("consent_guardian_unexpected", "本人决定时不应选择监护人", "no")


def state(
    session: Session, subject: ConsentSubject, purpose_id: int, at: datetime
) -> fold.Effective:
    rows = service.events(session, subject.id, purpose_id=purpose_id, until=at)
    active = [g.id for g in service.guardians(session, subject.id) if g.active]
    return fold.effective(
        rows,
        at,
        child=service.is_child(subject, at),
        all_guardians=GuardianPolicy(subject.guardian_policy) == GuardianPolicy.all,
        guardian_ids=active,
    )


def record(
    session: Session,
    subject: ConsentSubject,
    data: RecordIn,
    *,
    scope: str,
    by: str,
    now: datetime | None = None,
) -> ConsentEvent:
    """Append a grant, refusal or withdrawal (checked: consent is the purpose's basis, the rules
    are published, the right person decides, a withdrawal withdraws something). Audited."""
    at = now or utcnow()
    purpose = purpose_in_scope(session, data.purpose_id, scope)
    _check_subject_purpose(session, subject, purpose)
    if purpose.legal_basis != LegalBasis.consent:
        entry = processing_service.basis_entry(purpose.legal_basis or LegalBasis.other_law)
        raise ValidationFailed(
            "consent_not_the_basis",
            f"处理目的“{purpose.name}”的法律依据是“{entry['text']}”（{entry['clause']}），"
            "不以同意为依据，不征求也不记录同意",
            "this purpose does not rest on consent",
        )
    if purpose.status != PurposeStatus.active:
        raise ValidationFailed(
            "consent_purpose_inactive", f"处理目的“{purpose.name}”未启用", "purpose not active"
        )
    _who(subject, data, at, session)
    if data.action == Action.withdraw and not state(session, subject, purpose.id, at).granted:
        raise ValidationFailed(
            "consent_nothing_to_withdraw", "当前没有有效的同意可撤回", "nothing to withdraw"
        )
    version_id, _number, sm3 = _rules(session, purpose, service.is_child(subject, at))
    current = current_terms(session, purpose)
    row = service.append(
        session,
        subject,
        service.Decision(
            purpose_id=purpose.id,
            action=Action(data.action),
            given_by=GivenBy(data.given_by),
            guardian_id=data.guardian_id,
            verification=data.verification,
            channel=data.channel,
            rules_version_id=version_id,
            rules_sm3=sm3,
            terms=terms.canonical(current),
            terms_hash=terms.terms_hash(current),
        ),
        by=by,
        now=at,
    )
    _audit(session, row)
    return row


def _audit(session: Session, row: ConsentEvent) -> None:
    by = "监护人" if row.given_by == GivenBy.guardian else "本人"
    audit_service.record(
        session,
        action=f"consent.{Action(row.action).value}",
        object_type=EVENT_OBJECT,
        object_id=row.id,
        fields=("purpose_id", "action"),
        reason=f"主体 {row.subject_id} 处理目的 {row.purpose_id}：{by}{ACTION_ZH[row.action]}"
        f"（{Channel(row.channel).value}）",
    )


def handover(session: Session, subject: ConsentSubject, *, now: datetime) -> list[ConsentEvent]:
    """The 14th birthday: for every consent-based purpose a guardian decided, append a
    ``handover`` marker (the guardian's history stays; the person decides from now on)."""
    decided = session.scalars(
        select(ConsentEvent.purpose_id)
        .where(ConsentEvent.subject_id == subject.id, ConsentEvent.given_by == GivenBy.guardian)
        .distinct()
        .order_by(ConsentEvent.purpose_id)
    ).all()
    rows = []
    for purpose_id in decided:
        purpose = session.get(ProcessingPurpose, purpose_id)
        if purpose is None:  # pragma: no cover - foreign key
            continue
        version = processing_service.current_version(session, purpose.system_id, Audience.general)
        current = current_terms(session, purpose)
        row = service.append(
            session,
            subject,
            service.Decision(
                purpose_id=purpose_id,
                action=Action.handover,
                given_by=GivenBy.system,
                verification=Verification.none,
                channel=Channel.system,
                rules_version_id=version.id if version else None,
                rules_sm3=version.sm3 if version else "",
                terms=terms.canonical(current),
                terms_hash=terms.terms_hash(current),
            ),
            by="worker",
            now=now,
        )
        _audit(session, row)
        rows.append(row)
    subject.handed_over_at = now
    session.flush()
    return rows


# ---------------------------------------------------------------- the gate


def _answer(
    subject: ConsentSubject,
    purpose: ProcessingPurpose,
    at: datetime,
    allowed: bool,
    code: str,
    zh: str,
    en: str,
    **extra: Any,
) -> GateRead:
    entry = processing_service.basis_entry(purpose.legal_basis) if purpose.legal_basis else None
    values: dict[str, Any] = {
        "rules_version": None,
        "rules_sm3": None,
        "consented_by": None,
        "event_id": None,
    }
    values.update(extra)
    return GateRead(
        allowed=allowed,
        code=code,
        reason=zh,
        reason_en=en,
        subject_id=subject.id,
        purpose_id=purpose.id,
        purpose=purpose.name,
        at=at,
        legal_basis=purpose.legal_basis.value if purpose.legal_basis else None,
        basis_clause=entry["clause"] if entry else None,
        **values,
    )


def can_process(
    session: Session, subject: ConsentSubject, purpose_id: int, at: datetime, *, scope: str
) -> GateRead:
    """May ``subject``'s information be processed for the purpose at ``at``? Allow/deny with
    the reason: the legal basis when it is not consent; otherwise who consented, to which rules
    version, and whether the purpose changed materially since."""
    purpose = purpose_in_scope(session, purpose_id, scope)
    if purpose.status != PurposeStatus.active or (
        purpose.activated_at is not None and purpose.activated_at > at
    ):
        return _answer(
            subject,
            purpose,
            at,
            False,
            "purpose_inactive",
            f"处理目的“{purpose.name}”在该时间未启用",
            "the purpose is not active",
        )
    if purpose.legal_basis != LegalBasis.consent:
        assert purpose.legal_basis is not None  # active purposes have one
        entry = processing_service.basis_entry(purpose.legal_basis)
        general = processing_service.current_version(session, purpose.system_id, Audience.general)
        return _answer(
            subject,
            purpose,
            at,
            True,
            "legal_basis",
            f"依据“{entry['text']}”（{entry['clause']}）处理，无需同意",
            f"processed on legal basis {purpose.legal_basis.value}; no consent needed",
            rules_version=general.number if general else None,
            rules_sm3=general.sm3 if general else None,
        )
    effective = state(session, subject, purpose.id, at)
    deciding = effective.deciding
    if isinstance(deciding, ConsentEvent) and not service.row_intact(subject, deciding):
        raise service.LedgerTampered(subject.id, deciding.seq, "hash")
    if not effective.granted or not isinstance(deciding, ConsentEvent):
        return _denied(subject, purpose, at, effective)
    version = processing_service.get_version(session, deciding.rules_version_id or 0)
    who = f"监护人 {deciding.guardian_id}" if effective.by_guardian else "本人"
    extra = {
        "rules_version": version.number,
        "rules_sm3": deciding.rules_sm3,
        "consented_by": "guardian" if effective.by_guardian else "subject",
        "event_id": deciding.id,
    }
    if deciding.terms_hash != terms.terms_hash(current_terms(session, purpose)):
        return _answer(
            subject,
            purpose,
            at,
            False,
            "material_change",
            f"{who}于 {deciding.at:%Y-%m-%d} 同意的是第 {version.number} 版规则下的处理目的，"
            "此后处理目的、个人信息种类、保存期限或接收方发生了实质变更，须重新取得同意"
            "（个人信息保护法 第十四条第二款）",
            "the purpose changed materially since consent; re-consent is needed",
            **extra,
        )
    return _answer(
        subject,
        purpose,
        at,
        True,
        "consent",
        f"{who}于 {deciding.at:%Y-%m-%d %H:%M} UTC 同意（收集使用规则第 {version.number} 版）",
        "consented",
        **extra,
    )


def _denied(
    subject: ConsentSubject, purpose: ProcessingPurpose, at: datetime, effective: fold.Effective
) -> GateRead:
    row = effective.deciding
    extra: dict[str, Any] = {"event_id": row.id if isinstance(row, ConsentEvent) else None}
    texts = {
        "none": ("未取得同意（未作决定不视为同意）", "no consent recorded"),
        "refused": ("已拒绝", "refused"),
        "withdrawn": ("同意已撤回（撤回不影响撤回前的处理）", "consent withdrawn"),
        "pending": ("尚有监护人未作决定（本校规定须全部监护人同意）", "guardians pending"),
        "handed_over": (
            "已满十四周岁：监护人此前的决定不再作为依据，须本人同意",
            "14 or older: the guardian's earlier decision no longer counts",
        ),
    }
    zh, en = texts[effective.status]
    return _answer(subject, purpose, at, False, effective.status, zh, en, **extra)


# ---------------------------------------------------------------- reading


def _event_read(row: ConsentEvent, names: dict[int, str]) -> EventRead:
    return EventRead(
        id=row.id,
        seq=row.seq,
        purpose_id=row.purpose_id,
        purpose=names.get(row.purpose_id, str(row.purpose_id)),
        action=Action(row.action).value,
        given_by=GivenBy(row.given_by).value,
        guardian_id=row.guardian_id,
        verification=Verification(row.verification).value,
        channel=Channel(row.channel).value,
        at=row.at,
        recorded_by=row.recorded_by,
        rules_version_id=row.rules_version_id,
        rules_sm3=row.rules_sm3,
        terms_hash=row.terms_hash,
        hash=row.hash,
    )


def consent_purposes(session: Session, subject: ConsentSubject) -> list[ProcessingPurpose]:
    """Active consent-based purposes of systems of the subject's unit and the units above."""
    unit = session.get(Unit, subject.unit_id)
    assert unit is not None
    above = [int(part) for part in unit.path.strip("/").split("/") if part]
    query = (
        select(ProcessingPurpose)
        .join(InformationSystem, ProcessingPurpose.system_id == InformationSystem.id)
        .where(
            InformationSystem.unit_id.in_(above or [unit.id]),
            ProcessingPurpose.legal_basis == LegalBasis.consent,
            ProcessingPurpose.status == PurposeStatus.active,
        )
        .order_by(ProcessingPurpose.id)
    )
    return list(session.scalars(query))


def system_names(session: Session, purposes: Sequence[ProcessingPurpose]) -> dict[int, str]:
    """The systems of ``purposes`` by name, for the console's link form and slip."""
    ids = sorted({p.system_id for p in purposes})
    if not ids:
        return {}
    rows = session.execute(
        select(InformationSystem.id, InformationSystem.name).where(InformationSystem.id.in_(ids))
    ).all()
    return {int(system_id): str(name) for system_id, name in sorted(rows)}


def unit_name(session: Session, subject: ConsentSubject) -> str:
    unit = session.get(Unit, subject.unit_id)
    return unit.name if unit is not None else ""


def subject_read(
    session: Session, subject: ConsentSubject, *, at: datetime | None = None
) -> SubjectRead:
    moment = at or utcnow()
    rows = service.events(session, subject.id)
    purposes = consent_purposes(session, subject)
    names = {p.id: p.name for p in purposes}
    for row in rows:
        if row.purpose_id not in names:
            found = session.get(ProcessingPurpose, row.purpose_id)
            names[row.purpose_id] = found.name if found else str(row.purpose_id)
    states = []
    for purpose in purposes:
        effective = state(session, subject, purpose.id, moment)
        deciding = effective.deciding
        stale = (
            effective.granted
            and isinstance(deciding, ConsentEvent)
            and deciding.terms_hash != terms.terms_hash(current_terms(session, purpose))
        )
        states.append(
            PurposeStateRead(
                purpose_id=purpose.id,
                purpose=purpose.name,
                system_id=purpose.system_id,
                status=effective.status,
                needs_reconsent=stale,
                since=deciding.at if deciding is not None else None,
            )
        )
    return SubjectRead(
        id=subject.id,
        unit_id=subject.unit_id,
        kind=subject.kind.value,
        reference=subject.reference[:16],
        label=subject.label,
        child=service.is_child(subject, moment),
        fourteen_on=subject.fourteen_on,
        guardian_policy=GuardianPolicy(subject.guardian_policy).value,
        guardians=[
            GuardianRead(id=g.id, relation=g.relation, label=g.label, active=g.active)
            for g in service.guardians(session, subject.id)
        ],
        intact=service.verify(session, subject) is None,
        states=states,
        events=[_event_read(r, names) for r in reversed(rows)],
    )


def list_subjects(
    session: Session, *, scope: str, unit_id: int | None = None, limit: int = 200
) -> Sequence[ConsentSubject]:
    query = select(ConsentSubject)
    units = scoped_units(scope)
    if units is not None:
        query = query.where(ConsentSubject.unit_id.in_(units))
    if unit_id is not None:
        query = query.where(ConsentSubject.unit_id == unit_id)
    return session.scalars(query.order_by(ConsentSubject.id).limit(limit)).all()
