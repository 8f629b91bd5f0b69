"""Clocks: opened with a working-day due time, reminded once, escalated once, closed with a
reason — every step audited, every message in the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit.models import AuditEvent
from eduguard.clocks import flows, service
from eduguard.clocks.models import ClockStatus
from eduguard.clocks.schemas import ClockOpen
from eduguard.clocks.workdays import TZ, ClockUnit
from eduguard.errors import Conflict, ValidationFailed
from eduguard.notify import service as notify_service
from eduguard.notify.models import Message


def shanghai(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


START = shanghai(2026, 9, 29, 10, 0)  # five working days: due 24:00 on Mon 12 Oct


def _open(factory: sessionmaker[Session], school: Any, **changes: Any) -> int:
    fields: dict[str, Any] = {
        "kind": "manual",
        "title": "申请 #40 答复",
        "subject_type": "request",
        "subject_id": 40,
        "unit_id": school.unit_id,
        "unit": ClockUnit.working_days,
        "amount": 5,
        "started_at": START,
        "owner_role": "pi_officer",
        "escalate_role": "security_admin",
        "escalate_unit_id": school.parent_id,
    }
    data = ClockOpen(**{**fields, **changes})
    with factory() as session, session.begin():
        return flows.open_clock(session, data, now=START + timedelta(minutes=1)).id


def _tick(factory: sessionmaker[Session], now: datetime) -> flows.TickResult:
    with factory() as session, session.begin():
        return flows.tick(session, now=now)


def _messages(session: Session, clock_id: int) -> list[Message]:
    return list(notify_service.messages_about(session, "clock", clock_id))


def test_due_over_the_holiday_reminded_once_escalated_once(
    session_factory: sessionmaker[Session], school: Any
) -> None:
    clock_id = _open(session_factory, school)
    with session_factory() as session:
        clock = service.get_clock(session, clock_id)
        assert clock.due_at == shanghai(2026, 10, 13, 0, 0) and clock.calendar_exact
        assert [r.remind_at for r in clock.reminders] == [shanghai(2026, 10, 10, 9, 0)]
    assert _tick(session_factory, shanghai(2026, 10, 9, 12, 0)) == flows.TickResult(0, 0)
    assert _tick(session_factory, shanghai(2026, 10, 10, 9, 1)) == flows.TickResult(1, 0)
    assert _tick(session_factory, shanghai(2026, 10, 10, 9, 2)) == flows.TickResult(0, 0)
    with session_factory() as session:
        (reminder,) = _messages(session, clock_id)
        assert reminder.topic == "clocks.reminder" and "2026-10-12" not in reminder.body
        assert "2026-10-13 00:00" in reminder.body  # 24:00 on the 12th, as people read it
        assert {d.user_id for d in reminder.deliveries} == {school.officer_id}
    # time travel past the due time: escalated to the county's security administrator, once
    assert _tick(session_factory, shanghai(2026, 10, 13, 0, 1)) == flows.TickResult(0, 1)
    assert _tick(session_factory, shanghai(2026, 10, 14, 8, 0)) == flows.TickResult(0, 0)
    with session_factory() as session:
        reminder, escalation = _messages(session, clock_id)
        assert escalation.topic == "clocks.escalation"
        told = {d.user_id for d in escalation.deliveries}
        assert told == {school.security_id, school.officer_id}
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == str(clock_id))
        ).all()
        assert sorted(actions) == ["clock.escalate", "clock.open", "clock.remind"]


def test_no_reminder_after_the_due_time_only_the_escalation(
    session_factory: sessionmaker[Session], school: Any
) -> None:
    clock_id = _open(session_factory, school)
    assert _tick(session_factory, shanghai(2026, 10, 20)) == flows.TickResult(0, 1)
    with session_factory() as session:
        assert [m.topic for m in _messages(session, clock_id)] == ["clocks.escalation"]


def test_two_ticks_at_once_write_each_message_once(
    session_factory: sessionmaker[Session], school: Any
) -> None:
    clock_id = _open(session_factory, school)
    when = shanghai(2026, 10, 10, 9, 5)
    with session_factory() as first, session_factory() as second:
        first.begin()
        assert flows.tick(first, now=when).reminders == 1
        first.commit()
        second.begin()  # began after the first committed: sees the claim
        assert flows.tick(second, now=when).reminders == 0
        second.commit()
    with session_factory() as session:
        assert len(_messages(session, clock_id)) == 1


def test_closed_with_a_reason_then_silent(
    session_factory: sessionmaker[Session], school: Any
) -> None:
    clock_id = _open(session_factory, school)
    with session_factory() as session, session.begin(), pytest.raises(ValidationFailed):
        flows.close_clock(session, clock_id, reason=" ", by="officer")
    with session_factory() as session, session.begin():
        flows.close_clock(session, clock_id, reason="已书面答复申请人", by="officer")
    with session_factory() as session, session.begin(), pytest.raises(Conflict):
        flows.close_clock(session, clock_id, reason="再次关闭", by="officer")
    assert _tick(session_factory, shanghai(2026, 10, 20)) == flows.TickResult(0, 0)
    with session_factory() as session:
        clock = service.get_clock(session, clock_id)
        assert clock.status == ClockStatus.closed and clock.close_reason == "已书面答复申请人"
        assert clock.closed_by == "officer"


def test_bad_clocks_are_refused_and_nothing_is_written(
    session_factory: sessionmaker[Session], school: Any
) -> None:
    for changes in (
        {"title": "学生 110101200001011237 的申请"},  # a personal value in the title
        {"owner_role": "janitor"},
        {"started_at": datetime(2026, 9, 29, 10, 0)},  # no time zone
    ):
        with pytest.raises(ValidationFailed):
            _open(session_factory, school, **changes)
    with session_factory() as session:
        assert service.list_clocks(session) == []
