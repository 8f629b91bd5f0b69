"""Due times on the Chinese calendar: holidays, 调休 make-up days, the Civil Code's counting."""

from __future__ import annotations

from datetime import UTC, datetime

from eduguard.clocks import workdays
from eduguard.clocks.workdays import TZ, ClockUnit


def shanghai(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


def test_working_days_across_national_day_2026() -> None:
    # Tue 29 Sep: 30 Sep (1), 1–7 Oct holiday, Thu 8 (2), Fri 9 (3), Sat 10 Oct is a make-up
    # working day (4), Sun 11 rest, Mon 12 (5): due at 24:00 on 12 Oct, Beijing time.
    due, exact = workdays.due_at(shanghai(2026, 9, 29, 10, 0), ClockUnit.working_days, 5)
    assert exact
    assert due == shanghai(2026, 10, 13, 0, 0)
    assert due.astimezone(UTC) == datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
    # Counting Monday–Friday alone would have said Tue 6 Oct, in the middle of the holiday.
    naive = workdays.add_working_days(shanghai(2026, 9, 29).date(), 5)[0]
    assert naive.isoformat() == "2026-10-12"


def test_a_sunday_made_a_working_day_counts() -> None:
    # Sat 19 Sep is a rest day; Sun 20 Sep 2026 is worked (调休 for National Day).
    day, exact = workdays.add_working_days(shanghai(2026, 9, 18).date(), 1)
    assert (day.isoformat(), exact) == ("2026-09-20", True)


def test_the_starting_day_is_not_counted_even_at_midnight() -> None:
    due, _ = workdays.due_at(shanghai(2026, 11, 2, 0, 1), ClockUnit.working_days, 1)
    assert due == shanghai(2026, 11, 4, 0, 0)  # the whole of Tue 3 Nov


def test_calendar_days_ending_on_a_holiday_move_to_the_next_working_day() -> None:
    # 24 Sep + 7 days = 1 Oct, National Day: the period ends with 8 Oct (Civil Code Art. 203).
    due, exact = workdays.due_at(shanghai(2026, 9, 24, 15, 0), ClockUnit.days, 7)
    assert exact and due == shanghai(2026, 10, 9, 0, 0)


def test_hours_ignore_the_calendar() -> None:
    start = shanghai(2026, 10, 1, 23, 30)  # a holiday night
    due, exact = workdays.due_at(start, ClockUnit.hours, 1)
    assert exact and due == shanghai(2026, 10, 2, 0, 30)


def test_a_year_the_calendar_does_not_cover_is_flagged() -> None:
    due, exact = workdays.due_at(shanghai(2026, 12, 28, 9, 0), ClockUnit.working_days, 15)
    assert exact is False  # 2027's holiday notice is not in the installed calendar yet
    assert due > shanghai(2027, 1, 15)


def test_reminder_one_working_day_before_the_last_day() -> None:
    start = shanghai(2026, 9, 29, 10, 0)
    due, _ = workdays.due_at(start, ClockUnit.working_days, 5)
    at = workdays.reminder_at(start, due, ClockUnit.working_days, 5, 1)
    assert at == shanghai(2026, 10, 10, 9, 0)  # the make-up Saturday, not Sunday 11 Oct
