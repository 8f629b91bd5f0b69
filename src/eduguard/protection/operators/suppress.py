"""``suppress`` — 抑制 (GB/T 37964-2019 A.4.3): remove the value; the column stays, empty.

>>> from eduguard.protection.operators.base import Context
>>> Suppress().apply(pl.Series(["汉族", None]), Context("ETHNICITY")).to_list()
[None, None]
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from eduguard.protection.operators.base import Context, Operator, register


@register
class Suppress(Operator):
    name: ClassVar[str] = "suppress"
    label: ClassVar[str] = "抑制"

    def expression(self, value: pl.Expr, context: Context) -> pl.Expr:
        return pl.lit(None, dtype=pl.String)

    def apply(self, values: pl.Series, context: Context) -> pl.Series:
        return pl.repeat(None, values.len(), dtype=pl.String, eager=True).alias(values.name)
