"""Collecting consent for real (PIPL Art. 14–17, 29–31): the school makes a one-time link for a
subject (or one of a child's guardians); the public page shows the system's current rules and
one separate choice per consent-based purpose — nothing pre-selected, refusing as easy as
agreeing, sensitive purposes with their necessity and impact; the submission records each
choice made (an untouched choice records nothing: no answer is not consent) and gives a new
one-time link to withdraw later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
# NDSR Art. 22(1)(5): no asking again soon after a clear refusal. A school's link does not ask
# about a purpose refused in the last 180 days; the subject's own change link still may.
REASK_AFTER = timedelta(days=180)
COOL_DOWN_CLAUSE = "网络数据安全管理条例 第二十二条第一款第（五）项"


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
    now: datetime | None = None,
) -> tuple[ConsentLink, str]:
    """A school's one-time link. Refused when it would ask nothing: every consent-based purpose
    of the system was refused by this subject within :data:`REASK_AFTER`."""
    subject = flows.get_subject(session, subject_id, scope=scope)
    system = orgs_service.get_system(session, system_id, scope=scope)
    if guardian_id is not None and guardian_id not in {
        g.id for g in service.guardians(session, subject.id) if g.active
    }:
        raise ValidationFailed("consent_guardian_unknown", "请选择已登记的监护人", "unknown")
    processing_flows.public_current(session, system.id, Audience.general)  # rules published
    choices = _choices(session, subject, system.id, own=False, now=now or utcnow())
    if choices and all(c.cooling_until for c in choices):
        until = min(c.cooling_until for c in choices if c.cooling_until)
        raise ValidationFailed(
            "consent_cooling_down",
            f"该主体已明确拒绝本系统全部可选处理目的，{until.isoformat()} 前不得再次征求同意"
            f"（{COOL_DOWN_CLAUSE}）",
            f"the subject refused every optional purpose of this system; no asking again before "
            f"{until.isoformat()} (NDSR Art. 22(1)(5))",
            details={"until": until.isoformat(), "clause": COOL_DOWN_CLAUSE},
        )
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
    cooling_until: date | None = None  # refused recently: not asked again before this day


@dataclass(frozen=True)
class LinkPage:
    link: ConsentLink
    subject: ConsentSubject
    system_id: int
    rules: Any  # processing RulesDocument
    choices: list[Choice]
    by_guardian: bool


def _own(link: ConsentLink) -> bool:
    """A link the subject was given after answering (to change or withdraw), not the school's."""
    return link.created_by.startswith("link:")


def _choices(
    session: Session, subject: ConsentSubject, system_id: int, *, own: bool, now: datetime
) -> list[Choice]:
    read = flows.subject_read(session, subject, at=now)
    states = {s.purpose_id: s for s in read.states}
    choices = []
    for purpose in flows.consent_purposes(session, subject):
        if purpose.system_id != system_id:
            continue
        details = processing_flows.purpose_read(session, purpose)
        state = states.get(purpose.id)
        cooling = None
        if not own and state and state.status == "refused" and state.since:
            until = state.since + REASK_AFTER
            cooling = until.date() if until > now else None
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
                cooling_until=cooling,
            )
        )
    return choices


def link_page(session: Session, token: str, *, key: bytes, now: datetime | None = None) -> LinkPage:
    moment = now or utcnow()
    link = links.resolve(session, token, key=key, now=moment)
    subject = session.get(ConsentSubject, link.subject_id)
    assert subject is not None
    child = service.is_child(subject, moment)
    audience = Audience.children if child else Audience.general
    try:
        rules = processing_flows.public_current(session, link.system_id, audience)
    except Exception:
        rules = processing_flows.public_current(session, link.system_id, Audience.general)
    choices = _choices(session, subject, link.system_id, own=_own(link), now=moment)
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
    page = link_page(session, token, key=key, now=moment)
    offered = {c.purpose_id for c in page.choices if c.cooling_until is None}
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
