"""Whose rows a plan selects, by age class: the reviewers see how many are children's (under
14: the guardian's data too; under 18: minors' protection) before they approve. The age comes
from the dataset's birth-date column, or else from the birth date inside an ID number."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from eduguard.retention import files

LABELS = {
    "under_14": "不满十四周岁",
    "minor": "十四至十七周岁",
    "adult": "成年",
    "unknown": "无法判断",
}


def as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return files.read_date(str(value)) if value is not None else None


def id_birth(value: object) -> date | None:
    """The birth date an 18-digit resident ID number states (checked, or None)."""
    if value is None:
        return None
    try:
        return ric.get_birth_date(ric.validate(str(value).strip()))
    except (ValidationError, ValueError):
        return None


def age_column(
    fields: Sequence[tuple[str, Sequence[str]]],
) -> tuple[str, Callable[[object], date | None]] | None:
    """(column, reader) of the dataset's best age evidence, from (name, PI types) pairs."""
    for wanted, reader in (("BIRTH_DATE", as_date), ("CN_RESIDENT_ID", id_birth)):
        for name, types in fields:
            if wanted in types:
                return name, reader
    return None
