"""``noise`` — 噪声添加 (GB/T 37964-2019 A.7.2): add random noise to numbers.

``scale`` is the noise's scale (Laplace ``b`` or Gaussian σ, ``distribution`` laplace by
default); ``decimals`` rounds the result (0 for counts). A fixed ``seed`` (policy or run) makes
the result reproducible. This is *not* differential privacy on its own: for published
statistics use :mod:`eduguard.protection.dp`, which states ε.

>>> from eduguard.protection.operators.base import Context
>>> out = Noise(scale=1.0, decimals=1).apply(pl.Series(["80", None, "x"]), Context(seed=7)).to_list()
>>> out[1:], abs(float(out[0]) - 80) < 20
([None, None], True)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import polars as pl

from eduguard.protection.operators.base import (
    Context,
    Operator,
    OperatorError,
    as_number,
    choice,
    number,
    number_text,
    register,
)


@register
class Noise(Operator):
    name: ClassVar[str] = "noise"
    label: ClassVar[str] = "噪声添加"
    allowed: ClassVar[frozenset[str]] = frozenset({"scale", "distribution", "decimals", "seed"})

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.scale = number(params.get("scale", 1.0), "scale", self.name)
        if self.scale <= 0:
            raise OperatorError("算子“noise”的参数 scale 应为正数")
        self.distribution = choice(
            params.get("distribution", "laplace"),
            "distribution",
            self.name,
            ("laplace", "gaussian"),
        )
        self._rng: np.random.Generator | None = None

    def apply(self, values: pl.Series, context: Context) -> pl.Series:
        if self._rng is None:
            seed = self.params.get("seed", context.seed)
            self._rng = np.random.default_rng(seed)
        numbers = as_number(values)
        size = numbers.len()
        if self.distribution == "laplace":
            draws = self._rng.laplace(0.0, self.scale, size)
        else:
            draws = self._rng.normal(0.0, self.scale, size)
        noisy = numbers + pl.Series(draws)
        decimals = self.params.get("decimals")
        return number_text(noisy, int(decimals) if decimals is not None else None).alias(
            values.name
        )
