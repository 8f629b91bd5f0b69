"""The consent domain's own logic: keyed subject references, guardians, appending to the
ledger (chained, never rewritten), the fold that gives the effective state, chain
verification. Services flush, never commit."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from sqlalchemy import event, func, select
from sqlalchemy.orm import Mapper, Session

from eduguard.consent import ledger
from eduguard.consent.models import (
    Action,
    Channel,
    ConsentEvent,
    ConsentGuardian,
    ConsentSubject,
    GivenBy,
    GuardianPolicy,
    SubjectKind,
    Verification,
)
from eduguard.db.base import utcnow
from eduguard.db.sealed import KEYRING_KEY
from eduguard.errors import ConfigurationError, Conflict, EduguardError, NotFound, ValidationFailed

REFERENCE_LABEL = b"consent subject reference v1"
MAX_EXTERNAL_ID = 64


class LedgerTampered(EduguardError):
    status_code = 500

    def __init__(self, subject_id: int, seq: int, problem: str) -> None:
        super().__init__(
            "consent_ledger_tampered",
            f"同意记录账本（主体 {subject_id}）第 {seq} 条与哈希链不符（{problem}），"
            "可能已被篡改；已拒绝据此作出判断，请联系审计管理员核查",
            f"the consent ledger of subject {subject_id} breaks at entry {seq} ({problem})",
            details={"subject_id": subject_id, "seq": seq, "problem": problem},
        )


# ---------------------------------------------------------------- keyed references


class _Deriving(Protocol):
    def derived_key(self, session: Session, label: bytes) -> bytes: ...


def _reference_key(session: Session) -> bytes:
    cached = session.info.get("eduguard.consent.refkey")
    if isinstance(cached, bytes):
        return cached
    keyring: _Deriving | None = session.info.get(KEYRING_KEY)
    if keyring is None:
        raise ConfigurationError(
            "keyring_missing", "会话没有密钥环，无法计算主体的关键字引用", "no keyring"
        )
    key = keyring.derived_key(session, REFERENCE_LABEL)
    session.info["eduguard.consent.refkey"] = key
    return key


def clean_external_id(external_id: str) -> str:
    value = external_id.strip()
    if not value or len(value) > MAX_EXTERNAL_ID or any(ch.isspace() for ch in value):
        raise ValidationFailed(
            "consent_external_id_invalid",
            f"学校编号须为 1—{MAX_EXTERNAL_ID} 个字符且不含空白（如学籍号、工号）",
            "the school's id must be 1-64 characters without spaces",
        )
    return value


def reference(session: Session, unit_id: int, scope: str, external_id: str) -> str:
    """HMAC-SM3 of the school's own id (学籍号、工号 …) for ``scope`` (a kind, or
    ``guardian``) under a key derived from the keyring: the id itself is never stored."""
    mac = crypto_hmac.HMAC(_reference_key(session), hashes.SM3())
    mac.update(f"{scope}|{unit_id}|{clean_external_id(external_id)}".encode())
    return mac.finalize().hex()


# ---------------------------------------------------------------- subjects and guardians


def fourteenth_birthday(birth_date: date) -> date:
    try:
        return birth_date.replace(year=birth_date.year + 14)
    except ValueError:  # 29 February: the day after 28 February of a common year
        return date(birth_date.year + 14, 3, 1)


def find_subject(
    session: Session, unit_id: int, kind: SubjectKind, external_id: str
) -> ConsentSubject | None:
    ref = reference(session, unit_id, kind.value, external_id)
    return session.scalar(
        select(ConsentSubject).where(
            ConsentSubject.unit_id == unit_id, ConsentSubject.reference == ref
        )
    )


def get_subject(session: Session, subject_id: int, *, units: Any = None) -> ConsentSubject:
    query = select(ConsentSubject).where(ConsentSubject.id == subject_id)
    if units is not None:
        query = query.where(ConsentSubject.unit_id.in_(units))
    subject = session.scalar(query)
    if subject is None:
        raise NotFound("consent_subject_not_found", f"同意主体不存在：{subject_id}", "not found")
    return subject


def register_subject(
    session: Session,
    unit_id: int,
    kind: SubjectKind,
    external_id: str,
    *,
    birth_date: date | None,
    label: str | None,
    policy: GuardianPolicy = GuardianPolicy.any,
) -> ConsentSubject:
    if birth_date is not None and birth_date > utcnow().date():
        raise ValidationFailed("consent_birth_date_future", "出生日期不能晚于今天", "future")
    if find_subject(session, unit_id, kind, external_id) is not None:
        raise Conflict("consent_subject_exists", "该主体已登记", "the subject is registered")
    subject = ConsentSubject(
        unit_id=unit_id,
        kind=kind,
        reference=reference(session, unit_id, kind.value, external_id),
        label=label or None,
        fourteen_on=fourteenth_birthday(birth_date) if birth_date else None,
        guardian_policy=policy,
        head_seq=0,
        head_hash=ledger.GENESIS,
    )
    session.add(subject)
    session.flush()
    return subject


def add_guardian(
    session: Session,
    subject: ConsentSubject,
    external_id: str,
    *,
    relation: str,
    label: str | None,
    email: str | None,
) -> ConsentGuardian:
    ref = reference(session, subject.unit_id, "guardian", external_id)
    found = session.scalar(
        select(ConsentGuardian).where(
            ConsentGuardian.subject_id == subject.id, ConsentGuardian.reference == ref
        )
    )
    if found is not None:
        raise Conflict("consent_guardian_exists", "该监护人已登记", "the guardian is registered")
    guardian = ConsentGuardian(
        subject_id=subject.id,
        reference=ref,
        relation=relation or "guardian",
        label=label or None,
        email=email or None,
        active=True,
    )
    session.add(guardian)
    session.flush()
    return guardian


def guardians(session: Session, subject_id: int) -> Sequence[ConsentGuardian]:
    return session.scalars(
        select(ConsentGuardian)
        .where(ConsentGuardian.subject_id == subject_id)
        .order_by(ConsentGuardian.id)
    ).all()


def is_child(subject: ConsentSubject, at: datetime) -> bool:
    """Under 14 at ``at`` (China time is the school's; the date of ``at`` in UTC+8)."""
    return under_fourteen(subject.fourteen_on, at)


def under_fourteen(fourteen_on: date | None, at: datetime) -> bool:
    return fourteen_on is not None and _china_date(at) < fourteen_on


def _china_date(at: datetime) -> date:
    from datetime import timedelta, timezone

    return at.astimezone(timezone(timedelta(hours=8))).date()


# ---------------------------------------------------------------- the ledger


@dataclass(frozen=True)
class Decision:
    """What is appended: the rules and terms are supplied by ``consent.flows``."""

    purpose_id: int
    action: Action
    given_by: GivenBy
    verification: Verification
    channel: Channel
    rules_version_id: int | None
    rules_sm3: str
    terms: str
    terms_hash: str
    guardian_id: int | None = None


def _lock(session: Session, subject: ConsentSubject) -> None:
    """One writer per subject chain: the head is read again under a row lock on PostgreSQL
    (SQLite writing transactions are serialised), so two appends never fork the chain."""
    query = select(ConsentSubject.head_seq, ConsentSubject.head_hash).where(
        ConsentSubject.id == subject.id
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    head = session.execute(query).one()
    subject.head_seq, subject.head_hash = head.head_seq, head.head_hash


def _entry(subject: ConsentSubject, row: ConsentEvent) -> ledger.Entry:
    return _entry_of(subject.reference, row)


def _entry_of(reference: str, row: Any) -> ledger.Entry:
    """The hashed values of a ledger row: an ORM row or a row of ``consent_events`` columns."""
    return ledger.Entry(
        reference=reference,
        seq=row.seq,
        purpose_id=row.purpose_id,
        action=Action(row.action).value,
        rules_version_id=row.rules_version_id,
        rules_sm3=row.rules_sm3,
        terms_hash=row.terms_hash,
        given_by=GivenBy(row.given_by).value,
        guardian_id=row.guardian_id,
        verification=Verification(row.verification).value,
        channel=Channel(row.channel).value,
        at=row.at,
        recorded_by=row.recorded_by,
    )


def append(
    session: Session,
    subject: ConsentSubject,
    decision: Decision,
    *,
    by: str,
    now: datetime | None = None,
) -> ConsentEvent:
    """Append one decision to the subject's chain. Times never go backwards: a decision is
    recorded when it is made, so a withdrawal can never reach into the past."""
    _lock(session, subject)
    at = now or utcnow()
    last = session.scalar(
        select(func.max(ConsentEvent.at)).where(ConsentEvent.subject_id == subject.id)
    )
    if last is not None and at < last:
        raise Conflict(
            "consent_time_backwards",
            "同意记录只能按发生时间追加，不能补记更早的时间",
            "ledger entries are appended in time order",
        )
    row = ConsentEvent(
        subject_id=subject.id,
        seq=subject.head_seq + 1,
        purpose_id=decision.purpose_id,
        action=decision.action,
        rules_version_id=decision.rules_version_id,
        rules_sm3=decision.rules_sm3,
        terms=decision.terms,
        terms_hash=decision.terms_hash,
        given_by=decision.given_by,
        guardian_id=decision.guardian_id,
        verification=decision.verification,
        channel=decision.channel,
        at=at,
        recorded_by=by[:64],
        prev_hash=subject.head_hash,
    )
    row.hash = ledger.entry_hash(_entry(subject, row), row.prev_hash)
    session.add(row)
    subject.head_seq, subject.head_hash = row.seq, row.hash
    session.flush()
    return row


def events(
    session: Session,
    subject_id: int,
    *,
    purpose_id: int | None = None,
    until: datetime | None = None,
) -> Sequence[ConsentEvent]:
    query = select(ConsentEvent).where(ConsentEvent.subject_id == subject_id)
    if purpose_id is not None:
        query = query.where(ConsentEvent.purpose_id == purpose_id)
    if until is not None:
        query = query.where(ConsentEvent.at <= until)
    return session.scalars(query.order_by(ConsentEvent.seq)).all()


def verify(session: Session, subject: ConsentSubject) -> ledger.Broken | None:
    rows = events(session, subject.id)
    return ledger.verify_chain(
        ((_entry(subject, r), r.prev_hash, r.hash) for r in rows),
        subject.head_seq,
        subject.head_hash,
    )


def check_intact(session: Session, subject: ConsentSubject) -> None:
    broken = verify(session, subject)
    if broken is not None:
        raise LedgerTampered(subject.id, broken.seq, broken.problem)


def row_intact(subject: ConsentSubject, row: ConsentEvent) -> bool:
    """One row still hashes to its stored hash (the gate checks the rows it relies on)."""
    return entry_intact(subject.reference, row)


def entry_intact(reference: str, row: Any) -> bool:
    """As :func:`row_intact`, for a row of ``consent_events`` columns read without the ORM."""
    return hmac.compare_digest(
        ledger.entry_hash(_entry_of(reference, row), row.prev_hash), row.hash
    )


def _refuse_change(_mapper: Mapper[Any], _connection: Any, target: ConsentEvent) -> None:
    raise Conflict(
        "consent_ledger_append_only",
        "同意记录只能追加，不能修改或删除；撤回请追加一条撤回记录",
        "the consent ledger is append-only",
    )


event.listen(ConsentEvent, "before_update", _refuse_change)
event.listen(ConsentEvent, "before_delete", _refuse_change)
