"""The retention domain's own logic: rules, exemptions, holds and when rows expire.
Services flush, never commit; columns and purposes are checked by ``retention.flows``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from cryptography.hazmat.primitives import hashes, hmac
from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.db.base import utcnow
from eduguard.db.sealed import KEYRING_KEY
from eduguard.errors import ConfigurationError, Conflict, NotFound
from eduguard.retention.models import (
    HoldKind,
    RetentionExemption,
    RetentionHold,
    RetentionRule,
    Trigger,
)
from eduguard.retention.periods import add_period, describe
from eduguard.retention.schemas import RuleIn

TRIGGER_LABELS = {
    Trigger.date_column: "自数据中的日期起算",
    Trigger.event: "自事件发生起算",
    Trigger.row_age: "自记录写入时间起算",
}
DISPOSITION_LABELS = {"delete": "删除", "anonymise": "匿名化", "archive": "归档"}
HOLD_LABELS = {
    HoldKind.complaint: "投诉处理",
    HoldKind.incident: "安全事件调查",
    HoldKind.litigation: "诉讼",
    HoldKind.audit: "审计",
    HoldKind.supervisor: "监管部门要求",
}
RULE_FIELDS = tuple(RuleIn.model_fields)
SUBJECT_LABEL = b"retention subject hold"
SUBJECT_KEY_CACHE = "eduguard.retention.subject_key"


class OnHold(Conflict):
    """A disposition was asked for while a hold is open."""

    def __init__(self, holds: Sequence[RetentionHold]) -> None:
        kinds = "、".join(f"{HOLD_LABELS[HoldKind(h.kind)]}（保全 {h.id}）" for h in holds)
        super().__init__(
            "retention_on_hold",
            f"该数据集有未解除的保全：{kinds}；解除前不能归档或销毁",
            "the dataset is on hold; no disposition until every hold is released",
            details={"hold_ids": [h.id for h in holds]},
        )


# ---------------------------------------------------------------- rules and exemptions


def get_rule(session: Session, dataset_id: int) -> RetentionRule | None:
    return session.scalar(select(RetentionRule).where(RetentionRule.dataset_id == dataset_id))


def get_exemption(session: Session, dataset_id: int) -> RetentionExemption | None:
    return session.scalar(
        select(RetentionExemption).where(RetentionExemption.dataset_id == dataset_id)
    )


def save_rule(
    session: Session, dataset_id: int, data: RuleIn, *, by: str
) -> tuple[RetentionRule, list[str]]:
    """Create or change the rule (revision counts changes); a rule replaces an exemption.
    Returns the rule and the names of what changed."""
    rule = get_rule(session, dataset_id)
    values = data.model_dump()
    if rule is None:
        rule = RetentionRule(dataset_id=dataset_id, revision=1, updated_by=by, **values)
        session.add(rule)
        changed = [name for name, value in values.items() if value is not None]
    else:
        changed = [name for name, value in values.items() if getattr(rule, name) != value]
        for name in changed:
            setattr(rule, name, values[name])
        if changed:
            rule.revision += 1
            rule.updated_by = by
    exemption = get_exemption(session, dataset_id)
    if exemption is not None:
        session.delete(exemption)
        changed.append("exemption")
    session.flush()
    return rule, changed


def remove_rule(session: Session, dataset_id: int) -> RetentionRule:
    rule = get_rule(session, dataset_id)
    if rule is None:
        raise NotFound("retention_rule_not_found", "该数据集没有保存期限规则")
    session.delete(rule)
    session.flush()
    return rule


def record_exemption(
    session: Session, dataset_id: int, reason: str, *, by: str
) -> RetentionExemption:
    """Why a dataset has no rule. Refused while it has one (remove the rule first)."""
    if get_rule(session, dataset_id) is not None:
        raise Conflict(
            "retention_rule_exists",
            "该数据集已有保存期限规则；如确无期限（例如依法永久保存），请先删除规则再登记豁免",
            "the dataset has a rule; remove it before recording an exemption",
        )
    exemption = get_exemption(session, dataset_id)
    if exemption is None:
        exemption = RetentionExemption(dataset_id=dataset_id, reason=reason, recorded_by=by)
        session.add(exemption)
    else:
        exemption.reason, exemption.recorded_by, exemption.recorded_at = reason, by, utcnow()
    session.flush()
    return exemption


def cutoff(rule: RetentionRule, today: date) -> date | None:
    """Rows whose start date is on or before this day are past their period on ``today``.
    For an event rule: ``today`` itself once the period after the event has run (every row),
    None before that or while the event has not happened."""
    if rule.trigger == Trigger.event:
        if rule.event_date is None:
            return None
        ends = add_period(rule.event_date, rule.period_value, rule.period_unit)
        return today if ends <= today else None
    return add_period(today, rule.period_value, rule.period_unit, sign=-1)


def summary(rule: RetentionRule) -> str:
    """The rule in one Chinese sentence, e.g. 自“biye_rq”起保存 3 年，期满后归档."""
    period = describe(rule.period_value, rule.period_unit)
    if rule.trigger == Trigger.event:
        when = f"“{rule.event_name}”" + (f"（{rule.event_date}）" if rule.event_date else "")
        start = f"自事件{when}起"
    elif rule.trigger == Trigger.row_age:
        start = f"自记录写入时间“{rule.trigger_column}”起"
    else:
        start = f"自“{rule.trigger_column}”起"
    text = f"{start}保存 {period}，期满后{DISPOSITION_LABELS[rule.disposition.value]}"
    if rule.minimum_value is not None and rule.minimum_unit is not None:
        text += f"（法定最短 {describe(rule.minimum_value, rule.minimum_unit)}）"
    return text


# ---------------------------------------------------------------- holds


def get_hold(session: Session, hold_id: int) -> RetentionHold:
    hold = session.get(RetentionHold, hold_id)
    if hold is None:
        raise NotFound("retention_hold_not_found", f"保全不存在：{hold_id}", "hold not found")
    return hold


class _Deriving(Protocol):
    def derived_key(self, session: Session, label: bytes) -> bytes: ...


def subject_key(session: Session) -> bytes:
    """The key of subject holds' HMAC (derived from the keyring: stable, never stored)."""
    cached = session.info.get(SUBJECT_KEY_CACHE)
    if isinstance(cached, bytes):
        return cached
    keyring: _Deriving | None = session.info.get(KEYRING_KEY)
    if keyring is None:
        raise ConfigurationError(
            "keyring_missing", "会话没有密钥环，无法计算主体保全的关键字摘要", "no keyring"
        )
    key = keyring.derived_key(session, SUBJECT_LABEL)
    session.info[SUBJECT_KEY_CACHE] = key
    return key


def subject_hash(key: bytes, dataset_id: int, value: object) -> str:
    """HMAC-SM3 of a subject's value in one dataset's column (as text, trimmed): what a
    subject hold stores, and what each selected row's value is compared with."""
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(f"{dataset_id}|{str(value).strip()}".encode())
    return mac.finalize().hex()


def place_hold(
    session: Session,
    dataset_id: int,
    kind: HoldKind,
    reference: str,
    reason: str,
    *,
    by: str,
    subject: tuple[str, str] | None = None,
) -> RetentionHold:
    """A hold on the dataset, or with ``subject`` = (column, value) on that subject only
    (the value is hashed here and never stored)."""
    column, digest = None, None
    if subject is not None:
        column, value = subject
        digest = subject_hash(subject_key(session), dataset_id, value)
    hold = RetentionHold(
        dataset_id=dataset_id,
        kind=kind,
        reference=reference,
        reason=reason,
        placed_by=by,
        subject_column=column,
        subject_hash=digest,
    )
    session.add(hold)
    session.flush()
    return hold


def release_hold(session: Session, hold: RetentionHold, reason: str, *, by: str) -> RetentionHold:
    if hold.released_at is not None:
        raise Conflict(
            "retention_hold_released", f"保全 {hold.id} 已于 {hold.released_at:%Y-%m-%d} 解除"
        )
    hold.released_at, hold.released_by, hold.release_reason = utcnow(), by, reason
    session.flush()
    return hold


def holds_of(
    session: Session, dataset_ids: Sequence[int], *, open_only: bool = False
) -> list[RetentionHold]:
    if not dataset_ids:
        return []
    query = select(RetentionHold).where(RetentionHold.dataset_id.in_(dataset_ids))
    if open_only:
        query = query.where(RetentionHold.released_at.is_(None))
    return list(session.scalars(query.order_by(RetentionHold.id)))


def ensure_not_held(session: Session, dataset_id: int) -> None:
    """:class:`OnHold` while a hold on the whole dataset is open (a subject hold leaves that
    subject's rows out instead: :func:`subject_holds`)."""
    held = [h for h in holds_of(session, [dataset_id], open_only=True) if h.subject_hash is None]
    if held:
        raise OnHold(held)


def subject_holds(session: Session, dataset_id: int) -> list[RetentionHold]:
    """The open holds on single subjects of the dataset."""
    return [
        h for h in holds_of(session, [dataset_id], open_only=True) if h.subject_hash is not None
    ]
