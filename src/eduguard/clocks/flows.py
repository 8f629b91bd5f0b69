"""Clocks across domains: the units they run in (orgs), the roles they remind (identity),
the messages they write (notify), the audit events of each change.

Other domains open and close clocks here (``clocks_flows.open_clock(...)``); the worker's
``clocks.tick`` task calls :func:`tick`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from eduguard import labels
from eduguard.audit import service as audit_service
from eduguard.clocks import service
from eduguard.clocks.models import Clock
from eduguard.clocks.schemas import ClockOpen
from eduguard.clocks.workdays import ClockUnit
from eduguard.db.base import utcnow
from eduguard.errors import ValidationFailed
from eduguard.identity.models import Role
from eduguard.notify import flows as notify_flows
from eduguard.notify.flows import Recipient
from eduguard.notify.models import Channel
from eduguard.notify.privacy import check_text
from eduguard.orgs import service as orgs_service

ALL = "/"
UNIT_NAMES = {ClockUnit.hours: "小时", ClockUnit.days: "日", ClockUnit.working_days: "个工作日"}


def _role(code: str) -> None:
    if code not in {role.value for role in Role}:
        raise ValidationFailed("clock_role", f"未知角色：{code[:30]}", "unknown role")


def open_clock(
    session: Session, data: ClockOpen, *, scope: str = ALL, now: datetime | None = None
) -> Clock:
    """Start a clock (in the caller's transaction) and record it in the audit log."""
    orgs_service.get_unit(session, data.unit_id, scope=scope)
    if data.escalate_unit_id is not None:
        orgs_service.get_unit(session, data.escalate_unit_id)  # may be the unit above
    _role(data.owner_role)
    _role(data.escalate_role)
    check_text(data.title)
    clock = service.open_clock(session, data, now=now)
    audit_service.record(
        session,
        action="clock.open",
        object_type="clock",
        object_id=clock.id,
        reason=f"{data.subject_type} {data.subject_id}：{data.amount}{UNIT_NAMES[data.unit]}",
    )
    return clock


def close_clock(
    session: Session,
    clock_id: int,
    *,
    reason: str,
    by: str,
    scope: str = ALL,
    now: datetime | None = None,
) -> Clock:
    clock = service.get_clock(session, clock_id)
    orgs_service.get_unit(session, clock.unit_id, scope=scope)  # out of scope: not found
    check_text(reason)
    service.close_clock(session, clock, reason=reason, by=by, now=now)
    audit_service.record(
        session,
        action="clock.close",
        object_type="clock",
        object_id=clock.id,
        reason=reason[:200],
    )
    return clock


def close_for_subject(
    session: Session, subject_type: str, subject_id: int, *, reason: str, by: str
) -> list[Clock]:
    """Close every open clock of an object (its request answered, its incident closed)."""
    return [
        close_clock(session, clock.id, reason=reason, by=by)
        for clock in service.list_clocks(session, subject=(subject_type, subject_id))
    ]


def _when(moment: datetime) -> str:
    return labels.format_time(moment)  # Asia/Shanghai, the calendar the clocks count in


def _kind(clock: Clock) -> str:
    return labels.label("clock_kind", clock.kind)


@dataclass(frozen=True)
class TickResult:
    reminders: int
    escalations: int


def tick(
    session: Session, *, now: datetime | None = None, webhooks: Sequence[str] = ()
) -> TickResult:
    """Write the reminders that are due and escalate the clocks that are overdue, each once;
    their messages go to the outbox in this transaction. ``webhooks``: robots that are also
    told of escalations."""
    now = now or utcnow()
    reminded = escalated = 0
    for reminder in service.due_reminders(session, now):
        if not service.claim_reminder(session, reminder.id, now):
            continue  # another worker wrote it
        clock = reminder.clock
        message = notify_flows.send(
            session,
            topic="clocks.reminder",
            subject=f"期限提醒：{clock.title}",
            body=(
                f"{_kind(clock)}“{clock.title}”将于 {_when(clock.due_at)} 到期"
                f"（{clock.amount}{UNIT_NAMES[clock.unit]}），请及时办理。"
            ),
            to=[Recipient.holders(clock.owner_role, clock.unit_id)],
            unit_id=clock.unit_id,
            cause_type="clock",
            cause_id=clock.id,
            link=f"/clocks?unit_id={clock.unit_id}",
        )
        service.note_reminder_message(session, reminder.id, message.id)
        audit_service.record(
            session, action="clock.remind", object_type="clock", object_id=clock.id
        )
        reminded += 1
    for clock in service.overdue(session, now):
        if not service.claim_escalation(session, clock.id, now):
            continue
        escalate_unit = clock.escalate_unit_id or clock.unit_id
        notify_flows.send(
            session,
            topic="clocks.escalation",
            subject=f"期限已逾期：{clock.title}",
            body=(
                f"{_kind(clock)}“{clock.title}”已于 {_when(clock.due_at)} 到期仍未办结，"
                f"已升级至{labels.label('role', clock.escalate_role)}，请督促办理。"
            ),
            to=[
                Recipient.holders(clock.escalate_role, escalate_unit),
                Recipient.holders(clock.owner_role, clock.unit_id),
            ],
            channels=(Channel.inbox, Channel.email, *((Channel.webhook,) if webhooks else ())),
            webhooks=webhooks,
            unit_id=clock.unit_id,
            cause_type="clock",
            cause_id=clock.id,
            link=f"/clocks?unit_id={clock.unit_id}",
        )
        audit_service.record(
            session,
            action="clock.escalate",
            object_type="clock",
            object_id=clock.id,
            result="failed",
            reason=f"逾期未办结，升级至{labels.label('role', clock.escalate_role)}",
        )
        escalated += 1
    return TickResult(reminded, escalated)
