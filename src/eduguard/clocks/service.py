"""Opening, closing and ticking clocks. Services flush, never commit.

A reminder or an escalation is claimed with a guarded update (``… WHERE sent_at IS NULL``)
before its message is written in the same transaction, so two workers ticking at once write
it once: the second one's update matches no row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eduguard.clocks import workdays
from eduguard.clocks.models import Clock, ClockReminder, ClockStatus
from eduguard.clocks.schemas import ClockOpen
from eduguard.clocks.workdays import ClockUnit
from eduguard.db.base import utcnow
from eduguard.errors import Conflict, NotFound, ValidationFailed

TICK_BATCH = 200


def default_reminders(unit: ClockUnit, amount: int) -> list[int]:
    """One reminder when none is named: a quarter of an hours clock ahead (at least one
    hour), else one (working) day before the last day."""
    if unit == ClockUnit.hours:
        return [max(1, amount // 4)] if amount > 1 else []
    return [1] if amount > 1 else []


def open_clock(session: Session, data: ClockOpen, *, now: datetime | None = None) -> Clock:
    now = now or utcnow()
    started = data.started_at or now
    if started.tzinfo is None:
        raise ValidationFailed("clock_started_at", "开始时间须带时区（如 +08:00）")
    if started > now:
        raise ValidationFailed("clock_started_at", "开始时间不能晚于现在")
    due, exact = workdays.due_at(started, data.unit, data.amount)
    clock = Clock(
        kind=data.kind,
        title=data.title.strip(),
        subject_type=data.subject_type,
        subject_id=data.subject_id,
        unit_id=data.unit_id,
        unit=data.unit,
        amount=data.amount,
        started_at=started,
        due_at=due,
        calendar_exact=exact,
        owner_role=data.owner_role,
        escalate_role=data.escalate_role,
        escalate_unit_id=data.escalate_unit_id,
        status=ClockStatus.open,
    )
    befores = data.remind_before
    if befores is None:
        befores = default_reminders(data.unit, data.amount)
    times = sorted(
        {workdays.reminder_at(started, due, data.unit, data.amount, b) for b in befores if b > 0}
    )
    clock.reminders = [ClockReminder(remind_at=t) for t in times if started < t < due]
    session.add(clock)
    session.flush()
    return clock


def get_clock(session: Session, clock_id: int) -> Clock:
    clock = session.get(Clock, clock_id)
    if clock is None:
        raise NotFound("clock_not_found", f"期限不存在：{clock_id}", "clock not found")
    return clock


def close_clock(
    session: Session, clock: Clock, *, reason: str, by: str, now: datetime | None = None
) -> Clock:
    reason = reason.strip()
    if len(reason) < 2:
        raise ValidationFailed("clock_reason", "关闭期限须填写原因", "a reason is required")
    if clock.status == ClockStatus.closed:
        raise Conflict("clock_closed", "该期限已关闭", "the clock is already closed")
    clock.status, clock.closed_at = ClockStatus.closed, now or utcnow()
    clock.closed_by, clock.close_reason = by[:64], reason[:500]
    session.flush()
    return clock


def list_clocks(
    session: Session,
    *,
    unit_ids: Sequence[int] | None = None,
    status: ClockStatus | None = ClockStatus.open,
    subject: tuple[str, int] | None = None,
    limit: int = 500,
) -> Sequence[Clock]:
    query = select(Clock)
    if unit_ids is not None:
        query = query.where(Clock.unit_id.in_(list(unit_ids)))
    if status is not None:
        query = query.where(Clock.status == status)
    if subject is not None:
        query = query.where(Clock.subject_type == subject[0], Clock.subject_id == subject[1])
    return session.scalars(query.order_by(Clock.due_at, Clock.id).limit(limit)).all()


def due_reminders(session: Session, now: datetime) -> Sequence[ClockReminder]:
    query = (
        select(ClockReminder)
        .join(Clock, Clock.id == ClockReminder.clock_id)
        .where(
            ClockReminder.sent_at.is_(None),
            ClockReminder.remind_at <= now,
            Clock.status == ClockStatus.open,
            Clock.due_at > now,  # past due: the escalation says it instead
        )
        .order_by(ClockReminder.remind_at, ClockReminder.id)
        .limit(TICK_BATCH)
    )
    return session.scalars(query).all()


def claim_reminder(session: Session, reminder_id: int, now: datetime) -> bool:
    won = session.execute(
        update(ClockReminder)
        .where(ClockReminder.id == reminder_id, ClockReminder.sent_at.is_(None))
        .values(sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(won, "rowcount", 0) == 1


def overdue(session: Session, now: datetime) -> Sequence[Clock]:
    query = (
        select(Clock)
        .where(Clock.status == ClockStatus.open, Clock.due_at <= now, Clock.escalated_at.is_(None))
        .order_by(Clock.due_at, Clock.id)
        .limit(TICK_BATCH)
    )
    return session.scalars(query).all()


def claim_escalation(session: Session, clock_id: int, now: datetime) -> bool:
    won = session.execute(
        update(Clock)
        .where(Clock.id == clock_id, Clock.escalated_at.is_(None), Clock.status == ClockStatus.open)
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(won, "rowcount", 0) == 1


def note_reminder_message(session: Session, reminder_id: int, message_id: int) -> None:
    session.execute(
        update(ClockReminder)
        .where(ClockReminder.id == reminder_id)
        .values(message_id=message_id)
        .execution_options(synchronize_session=False)
    )
