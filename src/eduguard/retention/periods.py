"""Calendar arithmetic for retention periods (days, months, years)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from eduguard.retention.models import PeriodUnit

UNIT_LABELS = {PeriodUnit.days: "天", PeriodUnit.months: "个月", PeriodUnit.years: "年"}


def add_period(start: date, value: int, unit: PeriodUnit | str, *, sign: int = 1) -> date:
    """``start`` moved by ``value`` ``unit`` (``sign`` −1: back); a month end stays in range
    (31 Jan + 1 month = 28/29 Feb)."""
    unit = PeriodUnit(unit)
    if unit == PeriodUnit.days:
        return start + timedelta(days=sign * value)
    months = sign * (value * 12 if unit == PeriodUnit.years else value)
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def describe(value: int, unit: PeriodUnit | str) -> str:
    return f"{value} {UNIT_LABELS[PeriodUnit(unit)]}"
