"""Counting distinct people in bounded memory, whatever the size of the table.

Exact up to ``capacity`` distinct values; beyond, adaptive (Wegman) sampling: only hashes
divisible by a modulus that doubles each time the set overflows are kept, and the estimate is
``kept × modulus`` (relative error about 1/√capacity). Batches are merged lazily, so the cost
stays near one hash and one ``unique`` per value.

>>> counter = DistinctCounter(capacity=1000)
>>> for start in range(0, 5000, 500):
...     counter.add(pl.Series([str(n) for n in range(start, start + 500)] * 2))
>>> 4500 <= counter.estimate() <= 5500
True
>>> small = DistinctCounter()
>>> small.add(pl.Series(["a", "b", "a"]))
>>> small.estimate()
2
"""

from __future__ import annotations

import polars as pl

DEFAULT_CAPACITY = 1_000_000  # 8 MB of hashes per counted column


class DistinctCounter:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self.modulus = 1
        self.kept = pl.Series("h", [], dtype=pl.UInt64)
        self.pending: list[pl.Series] = []
        self.pending_size = 0

    def add(self, values: pl.Series) -> None:
        hashes = values.hash(seed=0)
        if self.modulus > 1:
            hashes = hashes.filter(hashes % self.modulus == 0)
        hashes = hashes.unique()
        self.pending.append(hashes)
        self.pending_size += hashes.len()
        if self.pending_size > max(self.capacity // 4, self.kept.len()):
            self._merge()

    def _merge(self) -> None:
        merged = pl.concat([self.kept, *self.pending]).unique()
        while merged.len() > self.capacity:
            self.modulus *= 2
            merged = merged.filter(merged % self.modulus == 0)
        self.kept, self.pending, self.pending_size = merged, [], 0

    def estimate(self) -> int:
        self._merge()
        return self.kept.len() * self.modulus
