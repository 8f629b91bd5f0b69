"""Due times: hours, calendar days, or working days on the Chinese calendar (Asia/Shanghai).

Working days come from ``chinesecalendar`` (the State Council's yearly holiday notice: public
holidays and the weekend days made working days, 调休). How a period is counted follows the
Civil Code (民法典) Art. 201 and 203: the starting day is not counted, the period ends at
24:00 of its last day, and a period in days whose last day is a rest day or holiday ends on
the next working day.

A year the installed calendar does not cover yet (the notice comes out each November) is
counted Monday–Friday and the clock says so (``exact`` False): the due time is then at the
earliest the true one unless the State Council moves a working day onto a weekend.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

TZ = ZoneInfo("Asia/Shanghai")
REMINDER_HOUR = time(9, 0)  # a reminder counted in days comes at 09:00 on its day


class ClockUnit(enum.StrEnum):
    hours = "hours"
    days = "days"  # calendar days (自然日)
    working_days = "working_days"  # 工作日


def is_workday(day: date) -> tuple[bool, bool]:
    """(a working day?, known from the holiday calendar?)"""
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: date, count: int) -> tuple[date, bool]:
    """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
    day, exact, found = start, True, 0
    while found < count:
        day += timedelta(days=1)
        working, known = is_workday(day)
        exact = exact and known
        found += working
    return day, exact


def subtract_working_days(end: date, count: int) -> tuple[date, bool]:
    """The working day ``count`` working days before ``end``."""
    day, exact, found = end, True, 0
    while found < count:
        day -= timedelta(days=1)
        working, known = is_workday(day)
        exact = exact and known
        found += working
    return day, exact


def next_workday(day: date) -> tuple[date, bool]:
    exact = True
    while True:
        working, known = is_workday(day)
        exact = exact and known
        if working:
            return day, exact
        day += timedelta(days=1)


def local_date(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def end_of(day: date) -> datetime:
    """24:00 of ``day`` in Asia/Shanghai, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), TZ).astimezone(UTC)


def at_local(day: date, when: time) -> datetime:
    return datetime.combine(day, when, TZ).astimezone(UTC)


def last_day(started_at: datetime, unit: ClockUnit, amount: int) -> tuple[date, bool]:
    start = local_date(started_at)
    if unit == ClockUnit.working_days:
        return add_working_days(start, amount)
    return next_workday(start + timedelta(days=amount))


def due_at(started_at: datetime, unit: ClockUnit, amount: int) -> tuple[datetime, bool]:
    """When a clock of ``amount`` ``unit`` started at ``started_at`` falls due (UTC), and
    whether the holiday calendar covered every day counted."""
    if amount < 1:
        raise ValueError("a clock runs for at least one unit")
    if unit == ClockUnit.hours:
        return started_at.astimezone(UTC) + timedelta(hours=amount), True
    day, exact = last_day(started_at, unit, amount)
    return end_of(day), exact


def reminder_at(
    started_at: datetime, due: datetime, unit: ClockUnit, amount: int, before: int
) -> datetime:
    """When the reminder ``before`` units ahead of the due time comes: hours before it; or
    09:00 on the day ``before`` working (or calendar) days before the last day."""
    if unit == ClockUnit.hours:
        return due - timedelta(hours=before)
    day, _exact = last_day(started_at, unit, amount)
    if unit == ClockUnit.working_days:
        day, _exact = subtract_working_days(day, before)
    else:
        day -= timedelta(days=before)
    return at_local(day, REMINDER_HOUR)
