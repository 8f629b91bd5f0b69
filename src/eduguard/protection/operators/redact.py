"""``redact`` — 屏蔽整个值: replace every value with a fixed placeholder naming what was there.

The placeholder defaults to ``[<type code>]`` (``[CN_RESIDENT_ID]``) so a reader of the copy
knows what kind of value was removed; ``replacement`` sets another. Nulls stay null.

>>> from eduguard.protection.operators.base import Context
>>> Redact().apply(pl.Series(["13812345678", None]), Context("MOBILE_PHONE")).to_list()
['[MOBILE_PHONE]', None]
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from eduguard.protection.operators.base import Context, Operator, OperatorError, on_text, register


@register
class Redact(Operator):
    name: ClassVar[str] = "redact"
    label: ClassVar[str] = "替换"
    allowed: ClassVar[frozenset[str]] = frozenset({"replacement"})

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        replacement = params.get("replacement")
        if replacement is not None and not isinstance(replacement, str):
            raise OperatorError("算子“redact”的参数 replacement 应为文本")

    def apply(self, values: pl.Series, context: Context) -> pl.Series:
        return on_text(values, lambda value: self.expression(value, context))

    def expression(self, value: pl.Expr, context: Context) -> pl.Expr:
        text = self.params.get("replacement") or f"[{context.pi_type or 'REDACTED'}]"
        return pl.when(value.is_null()).then(None).otherwise(pl.lit(text))
