"""``top_bottom_code`` — 顶层与底层编码 (GB/T 37964-2019 A.6.3): clip the extremes.

Values above ``top`` become ``top`` and values below ``bottom`` become ``bottom``; either bound
may be given as a quantile of the column instead (``top_quantile = 0.99``). Outliers are what
re-identify (the one family with an income of 2,000,000), so they are pulled into the crowd.
Text that is not a number becomes null.

>>> from eduguard.protection.operators.base import Context
>>> TopBottomCode(bottom=0, top=100).apply(pl.Series(["-5", "50", "120"]), Context()).to_list()
['0', '50', '100']
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from eduguard.protection.operators.base import (
    Context,
    Operator,
    OperatorError,
    as_number,
    number,
    number_text,
    register,
)


@register
class TopBottomCode(Operator):
    name: ClassVar[str] = "top_bottom_code"
    label: ClassVar[str] = "顶层与底层编码"
    allowed: ClassVar[frozenset[str]] = frozenset(
        {"top", "bottom", "top_quantile", "bottom_quantile", "decimals"}
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if not {"top", "bottom", "top_quantile", "bottom_quantile"} & set(params):
            raise OperatorError(
                "算子“top_bottom_code”至少需要 top、bottom、top_quantile 或 bottom_quantile 之一"
            )
        for key in ("top_quantile", "bottom_quantile"):
            if key in params and not 0 <= number(params[key], key, self.name) <= 1:
                raise OperatorError(f"算子“top_bottom_code”的参数 {key} 应在 0 到 1 之间")
        for key in ("top", "bottom"):
            if key in params:
                number(params[key], key, self.name)

    def apply(self, values: pl.Series, context: Context) -> pl.Series:
        numbers = as_number(values)
        top = self.params.get("top")
        bottom = self.params.get("bottom")
        if top is None and "top_quantile" in self.params:
            top = numbers.quantile(float(self.params["top_quantile"]))
        if bottom is None and "bottom_quantile" in self.params:
            bottom = numbers.quantile(float(self.params["bottom_quantile"]))
        clipped = numbers.clip(
            lower_bound=float(bottom) if bottom is not None else None,
            upper_bound=float(top) if top is not None else None,
        )
        decimals = self.params.get("decimals")
        return number_text(clipped, int(decimals) if decimals is not None else None).alias(
            values.name
        )
