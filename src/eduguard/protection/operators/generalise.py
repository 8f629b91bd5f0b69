"""``generalise`` — 泛化 (GB/T 37964-2019 A.6): replace a value by a coarser one that contains it.

``to`` says how coarse:

* dates (BIRTH_DATE): ``year`` → ``2010``; ``month`` → ``2010-05``; ``age_band`` →
  ``10-14`` (``width`` years, default 5; age on ``reference``, an ISO date, default today);
* addresses (ADDRESS, HOUSEHOLD_REGISTRATION): ``province`` / ``city`` / ``district``, read
  from the leading administrative division names (GB/T 2260, discovery's division dictionary):
  ``广东省深圳市南山区桃源街道…`` → ``广东省深圳市`` (city). A value that does not start with a
  division name at the level asked becomes null rather than leak its street;
* numbers (scores, EDUCATION_RECORD): ``band`` → ``[80,90)`` for ``width`` 10 (the default; half-open).

The default ``to`` follows the type: year for dates, city for addresses, band for scores.

>>> from eduguard.protection.operators.base import Context
>>> Generalise(to="city").apply(pl.Series(["广东省深圳市南山区龙珠大道5号"]), Context("ADDRESS")).to_list()
['广东省深圳市']
>>> Generalise(to="band", width=10).apply(pl.Series(["87.5", "90"]), Context()).to_list()
['[80,90)', '[90,100)']
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any, ClassVar

import polars as pl

from eduguard.discovery.detectors.base import alternation, read_table
from eduguard.protection.operators.base import (
    Context,
    Operator,
    OperatorError,
    as_number,
    as_text,
    choice,
    number,
    number_text,
    on_text,
    register,
)

DATE_LEVELS = ("year", "month", "age_band")
PLACE_LEVELS = ("province", "city", "district")
TARGETS = (*DATE_LEVELS, *PLACE_LEVELS, "band")
DEFAULT_TO = {
    "BIRTH_DATE": "year",
    "ADDRESS": "city",
    "HOUSEHOLD_REGISTRATION": "city",
    "LOCATION": "city",
    "EDUCATION_RECORD": "band",
}
_DATE = r"((?:19|20)\d{2})\s*[-/.年]?\s*(\d{1,2})\s*[-/.月]?\s*(\d{1,2})"


@cache
def division_prefix() -> str:
    """``^(province)?(prefecture)?(county)?`` over the division dictionary, longest first."""
    levels: dict[str, set[str]] = {"province": set(), "prefecture": set(), "county": set()}
    for row in read_table("divisions.tsv"):
        if len(row) >= 3 and row[2] in levels:
            levels[row[2]].add(row[1])
    groups = [
        alternation(sorted(names, key=lambda name: (-len(name), name)))
        for names in (levels["province"], levels["prefecture"], levels["county"])
    ]
    return "^" + "".join(f"({group})?" for group in groups)


@register
class Generalise(Operator):
    name: ClassVar[str] = "generalise"
    label: ClassVar[str] = "泛化"
    allowed: ClassVar[frozenset[str]] = frozenset({"to", "width", "reference"})

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if "to" in params:
            choice(params["to"], "to", self.name, TARGETS)
        self.width: float | None = None
        if "width" in params:
            self.width = number(params["width"], "width", self.name)
            if self.width <= 0:
                raise OperatorError("算子“generalise”的参数 width 应为正数")
        reference = params.get("reference")
        try:
            self.reference = (
                dt.date.fromisoformat(str(reference)) if reference is not None else dt.date.today()
            )
        except ValueError:
            raise OperatorError(
                "算子“generalise”的参数 reference 应为日期，如 2026-09-01"
            ) from None

    def target(self, pi_type: str | None) -> str:
        target = self.params.get("to") or DEFAULT_TO.get(pi_type or "")
        if target is None:
            raise OperatorError(
                f"类型“{pi_type}”没有默认泛化方式，请为 generalise 指定 to（{'、'.join(TARGETS)}）"
            )
        return str(target)

    def apply(self, values: pl.Series, context: Context) -> pl.Series:
        target = self.target(context.pi_type)
        if target in DATE_LEVELS:
            return self._date(values, target)
        if target in PLACE_LEVELS:
            return self._place(values, target)
        return self._band(values)

    def _date(self, values: pl.Series, target: str) -> pl.Series:
        parts = as_text(values).str.extract_groups(_DATE).struct.rename_fields(["y", "m", "d"])
        frame = parts.struct.unnest().with_columns(pl.all().cast(pl.Int32, strict=False))
        year, month, day = pl.col("y"), pl.col("m"), pl.col("d")
        if target == "year":
            expression = year.cast(pl.String)
        elif target == "month":
            expression = pl.format("{}-{}", year, month.cast(pl.String).str.zfill(2))
        else:
            ref = self.reference
            before_birthday = (month > ref.month) | ((month == ref.month) & (day > ref.day))
            age = pl.lit(ref.year) - year - before_birthday.cast(pl.Int32)
            width = int(self.width or 5)
            low = (age // width) * width
            expression = pl.format("{}-{}", low, low + width - 1)
        return frame.select(expression.alias(values.name)).to_series()

    def _place(self, values: pl.Series, target: str) -> pl.Series:
        found = as_text(values).str.strip_chars().str.extract_groups(division_prefix())
        frame = found.struct.rename_fields(["p", "c", "d"]).struct.unnest()
        province, city, district = pl.col("p"), pl.col("c"), pl.col("d")
        if target == "province":
            expression = province
        elif target == "city":
            has = province.is_not_null() | city.is_not_null()
            expression = pl.when(has).then(pl.concat_str(province, city, ignore_nulls=True))
        else:
            has = district.is_not_null() & (province.is_not_null() | city.is_not_null())
            expression = pl.when(has).then(
                pl.concat_str(province, city, district, ignore_nulls=True)
            )
        return frame.select(expression.alias(values.name)).to_series()

    def _band(self, values: pl.Series) -> pl.Series:
        numbers = as_number(values)
        width = self.width or 10
        low = (numbers / width).floor() * width
        low_text = number_text(low, 6)
        high_text = number_text(low + width, 6)
        frame = pl.DataFrame({"l": low_text, "h": high_text})
        return frame.select(pl.format("[{},{})", "l", "h").alias(values.name)).to_series()


__all__ = ["Generalise", "division_prefix", "on_text"]
