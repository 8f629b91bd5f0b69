"""``shuffle`` — 置换 (GB/T 37964-2019 A.7.3): permute a column's values across rows.

The column keeps its distribution (counts, means, what a statistic needs) while each value is
detached from its row. Rows are permuted within each batch the masking job reads (50,000 rows
by default), which is what keeps memory bounded; nulls move with the values.

>>> from eduguard.protection.operators.base import Context
>>> sorted(Shuffle().apply(pl.Series(["a", "b", "c"]), Context(seed=1)).to_list())
['a', 'b', 'c']
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl

from eduguard.protection.operators.base import Context, Operator, register


@register
class Shuffle(Operator):
    name: ClassVar[str] = "shuffle"
    label: ClassVar[str] = "置换"
    allowed: ClassVar[frozenset[str]] = frozenset({"seed"})

    def __init__(self, **params: object) -> None:
        super().__init__(**params)
        self._rng: np.random.Generator | None = None

    def apply(self, values: pl.Series, context: Context) -> pl.Series:
        if self._rng is None:
            self._rng = np.random.default_rng(self.params.get("seed", context.seed))
        order = pl.Series(self._rng.permutation(values.len()))
        return values.gather(order)
