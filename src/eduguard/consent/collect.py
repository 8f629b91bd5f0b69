"""Collecting consent for real (PIPL Art. 14–17, 29–31): the school makes a one-time link for a
subject (or one of a child's guardians); the public page shows the system's current rules and
one separate choice per consent-based purpose — nothing pre-selected, refusing as easy as
agreeing, sensitive purposes with their necessity and impact; the submission records each
choice made (an untouched choice records nothing: no answer is not consent) and gives a new
one-time link to withdraw later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from eduguard.audit import service as audit_service
from eduguard.consent import flows, links, service
from eduguard.consent.models import (
    Action,
    Channel,
    ConsentLink,
    ConsentSubject,
    GivenBy,
    Verification,
)
from eduguard.consent.schemas import RecordIn
from eduguard.db.base import utcnow
from eduguard.errors import ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.processing import flows as processing_flows
from eduguard.processing.models import Audience

CHOICES = {"grant": Action.grant, "refuse": Action.refuse, "withdraw": Action.withdraw}


def key_for(session: Session, secret: str) -> bytes:
    keyring = session.info.get("eduguard.keyring")
    fallback = keyring.derived_key(session, b"consent link signing") if keyring else b""
    return links.signing_key(secret, fallback)


def create_link(
    session: Session,
    subject_id: int,
    system_id: int,
    *,
    guardian_id: int | None,
    scope: str,
    by: str,
    key: bytes,
    days: int = links.DEFAULT_DAYS,
) -> tuple[ConsentLink, str]:
    subject = flows.get_subject(session, subject_id, scope=scope)
    system = orgs_service.get_system(session, system_id, scope=scope)
    if guardian_id is not None and guardian_id not in {
        g.id for g in service.guardians(session, subject.id) if g.active
    }:
        raise ValidationFailed("consent_guardian_unknown", "请选择已登记的监护人", "unknown")
    processing_flows.public_current(session, system.id, Audience.general)  # rules published
    link, token = links.create(
        session,
        subject_id=subject.id,
        guardian_id=guardian_id,
        system_id=system.id,
        key=key,
        by=by,
        days=days,
    )
    audit_service.record(
        session,
        action="consent.link.create",
        object_type="consent_link",
        object_id=link.id,
        reason=f"为主体 {subject.id} 生成一次性同意链接（{'监护人' if guardian_id else '本人'}，"
        f"有效期 {days} 天）",
    )
    return link, token


@dataclass(frozen=True)
class Choice:
    purpose_id: int
    name: str
    description: str
    sensitive: bool
    sensitive_necessity: str
    categories: list[str]
    retention: str
    recipients: list[str]
    status: str  # the effective state now
    needs_reconsent: bool


@dataclass(frozen=True)
class LinkPage:
    link: ConsentLink
    subject: ConsentSubject
    system_id: int
    rules: Any  # processing RulesDocument
    choices: list[Choice]
    by_guardian: bool


def link_page(session: Session, token: str, *, key: bytes) -> LinkPage:
    link = links.resolve(session, token, key=key)
    subject = session.get(ConsentSubject, link.subject_id)
    assert subject is not None
    child = service.is_child(subject, utcnow())
    audience = Audience.children if child else Audience.general
    try:
        rules = processing_flows.public_current(session, link.system_id, audience)
    except Exception:
        rules = processing_flows.public_current(session, link.system_id, Audience.general)
    read = flows.subject_read(session, subject)
    states = {s.purpose_id: s for s in read.states}
    choices = []
    for purpose in flows.consent_purposes(session, subject):
        if purpose.system_id != link.system_id:
            continue
        details = processing_flows.purpose_read(session, purpose)
        state = states.get(purpose.id)
        choices.append(
            Choice(
                purpose_id=purpose.id,
                name=purpose.name,
                description=purpose.description,
                sensitive=any(f.sensitive for f in details.fields),
                sensitive_necessity=purpose.sensitive_necessity,
                categories=sorted({t for f in details.fields for t in f.pi_types}),
                retention=purpose.retention_period,
                recipients=[r.name for r in details.recipients],
                status=state.status if state else "none",
                needs_reconsent=bool(state and state.needs_reconsent),
            )
        )
    return LinkPage(link, subject, link.system_id, rules, choices, link.guardian_id is not None)


def submit(
    session: Session,
    token: str,
    answers: dict[int, str],
    *,
    key: bytes,
    now: datetime | None = None,
) -> tuple[list[int], str]:
    """Record the choices made (purpose → grant | refuse | withdraw); the link is used up in the
    same transaction. Returns the ledger event ids and a new one-time link to withdraw later."""
    moment = now or utcnow()
    link = links.resolve(session, token, key=key, now=moment)
    page = link_page(session, token, key=key)
    offered = {c.purpose_id for c in page.choices}
    chosen = {pid: CHOICES[a] for pid, a in answers.items() if a in CHOICES}
    if not chosen:
        raise ValidationFailed(
            "consent_no_choice",
            "您没有作出任何选择，未做任何记录（不作选择不视为同意）",
            "no choice was made; nothing was recorded",
        )
    if not set(chosen) <= offered:
        raise links.forged()
    links.consume(session, link, now=moment)
    given_by = GivenBy.guardian if link.guardian_id else GivenBy.subject
    ids = []
    for purpose_id, action in sorted(chosen.items()):
        body = RecordIn(
            purpose_id=purpose_id,
            action=action,
            given_by=given_by,
            guardian_id=link.guardian_id,
            verification=Verification.signed_link,
            channel=Channel.link,
        )
        row = flows.record(session, page.subject, body, scope="/", by=f"link:{link.id}", now=moment)
        ids.append(row.id)
    _new, withdrawal = links.create(
        session,
        subject_id=link.subject_id,
        guardian_id=link.guardian_id,
        system_id=link.system_id,
        key=key,
        by=f"link:{link.id}",
        days=links.WITHDRAWAL_DAYS,
        now=moment,
    )
    return ids, withdrawal
