"""k-anonymity with l-diversity by Mondrian partitioning, and the risk of what it produces.

Mondrian (LeFevre, DeWitt & Ramakrishnan, "Mondrian Multidimensional K-Anonymity", ICDE 2006)
cuts the records recursively at the median of the quasi-identifier whose normalised range is
widest, as long as both halves keep ≥ k records and — for l-diversity (Machanavajjhala et al.,
"ℓ-Diversity: Privacy Beyond k-Anonymity", ICDE 2006; distinct ℓ-diversity) — ≥ l distinct
sensitive values. Each final partition publishes, per quasi-identifier, the range of its values
(``2008-01-01~2010-12-31``, ``80~95``) or the single value.

The recursion runs level by level over *all* partitions at once (grouped medians in polars,
bincounts in numpy): about log₂(n/k) rounds for n records, never a Python loop per partition. Values are ranked per
column (numbers and ISO dates by value, other text in sort order); a tie at the median is cut
on value when both sides stay large enough, else by position (relaxed Mondrian).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from eduguard.protection.operators.base import as_number


@dataclass
class AnonymityResult:
    frame: pl.DataFrame
    k: int
    l_diversity: int
    k_achieved: int
    l_achieved: int | None
    classes: int
    suppressed: int
    ncp: float
    discernibility: int
    average_class_size: float
    prosecutor_risk: float
    prosecutor_risk_average: float
    journalist_risk: float
    sampling_fraction: float
    quasi_identifiers: list[str] = field(default_factory=list)
    sensitive: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "model": "mondrian",
            "quasi_identifiers": list(self.quasi_identifiers),
            "sensitive": self.sensitive,
            "k_requested": self.k,
            "l_requested": self.l_diversity,
            "k_achieved": self.k_achieved,
            "l_achieved": self.l_achieved,
            "equivalence_classes": self.classes,
            "records_suppressed": self.suppressed,
            "information_loss": {
                "ncp": round(self.ncp, 6),
                "discernibility": self.discernibility,
                "average_class_size_ratio": round(self.average_class_size, 4),
            },
            "risk": {
                "prosecutor_max": round(self.prosecutor_risk, 6),
                "prosecutor_average": round(self.prosecutor_risk_average, 6),
                "journalist_max": round(self.journalist_risk, 6),
                "sampling_fraction": self.sampling_fraction,
            },
        }


@dataclass
class _Column:
    ranks: np.ndarray  # int64 rank of each record's value (0 = null)
    labels: list[str]  # label of each rank
    numeric: np.ndarray | None  # numeric value of each rank (numbers and dates), for NCP


def _encode(values: pl.Series) -> _Column:
    text = values.cast(pl.String)
    numbers = as_number(text)
    dates = text.str.to_date(strict=False)
    if numbers.null_count() == text.null_count():
        order = numbers
    elif dates.null_count() == text.null_count():
        order = dates.cast(pl.Int64).cast(pl.Float64)
    else:
        order = None
    frame = pl.DataFrame({"t": text, "o": order if order is not None else text})
    distinct = frame.unique("t").sort("o", nulls_last=False)
    labels = distinct["t"].to_list()
    lookup = distinct.with_row_index("r")
    ranks = (
        frame.join(
            lookup.select("t", "r"), on="t", how="left", nulls_equal=True, maintain_order="left"
        )["r"]
        .to_numpy()
        .astype(np.int64)
    )
    numeric = distinct["o"].to_numpy().astype(np.float64) if order is not None else None
    return _Column(ranks, [label if label is not None else "" for label in labels], numeric)


def _distinct_per_part(parts: np.ndarray, sensitive: np.ndarray, count: int) -> np.ndarray:
    """How many distinct sensitive values each partition holds (polars, multi-threaded)."""
    found = (
        pl.DataFrame({"p": parts, "s": sensitive})
        .group_by("p")
        .agg(pl.col("s").n_unique().alias("n"))
    )
    distinct = np.zeros(count, dtype=np.int64)
    distinct[found["p"].to_numpy()] = found["n"].to_numpy()
    return distinct


def _medians(parts: np.ndarray, key: np.ndarray, count: int) -> np.ndarray:
    """Each partition's median key (the higher one for an even count): a grouped quantile,
    cheaper than sorting every record by (partition, key)."""
    found = (
        pl.DataFrame({"p": parts, "k": key})
        .group_by("p")
        .agg(pl.col("k").quantile(0.5, interpolation="higher").alias("m"))
    )
    median = np.zeros(count, dtype=np.int64)
    median[found["p"].to_numpy()] = found["m"].to_numpy().astype(np.int64)
    return median


def _positional_left(
    parts: np.ndarray, key: np.ndarray, rows: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    """For the records ``rows`` of partitions cut by position: in the lower half by key?"""
    order = (
        pl.DataFrame({"p": parts[rows], "k": key[rows]})
        .select(pl.col("k").rank("ordinal").over("p").alias("r"))
        .to_series()
        .to_numpy()
    )
    lower: np.ndarray = (order - 1) < (sizes[parts[rows]] // 2)
    return lower


def mondrian_partitions(
    ranks: np.ndarray, k: int, l_diversity: int, sensitive: np.ndarray | None
) -> np.ndarray:
    """Partition id of each record. ``ranks`` is (quasi-identifiers × records)."""
    dims, n = ranks.shape
    parts = np.zeros(n, dtype=np.int64)
    spans = np.maximum(ranks.max(axis=1) - ranks.min(axis=1), 1).astype(np.float64)
    active = np.ones(1, dtype=bool)
    while active.any():
        count = active.size
        sizes = np.bincount(parts, minlength=count)
        low = np.full((dims, count), np.iinfo(np.int64).max)
        high = np.full((dims, count), -1)
        for dim in range(dims):
            np.minimum.at(low[dim], parts, ranks[dim])
            np.maximum.at(high[dim], parts, ranks[dim])
        widths = (high - low) / spans[:, None]
        chosen = widths.argmax(axis=0)
        splittable = active & (sizes >= 2 * k) & (widths.max(axis=0) > 0)
        if not splittable.any():
            break
        key = ranks[chosen[parts], np.arange(n)]
        median = _medians(parts, key, count)
        left = key < median[parts]
        left_size = np.bincount(parts, weights=left, minlength=count)
        bad = (left_size < k) | (sizes - left_size < k)
        left_or_equal = key <= median[parts]
        size_or_equal = np.bincount(parts, weights=left_or_equal, minlength=count)
        use_equal = bad & (size_or_equal >= k) & (sizes - size_or_equal >= k)
        positional = bad & ~use_equal & splittable
        left = np.where(use_equal[parts], left_or_equal, left)
        if positional.any():
            rows = np.flatnonzero(positional[parts])
            left[rows] = _positional_left(parts, key, rows, sizes)
        cut = splittable[parts] & ~left
        new_id = np.cumsum(splittable) - 1 + count
        children = np.where(cut, new_id[parts], parts)
        total = count + int(splittable.sum())
        if l_diversity > 1 and sensitive is not None:
            diverse = _distinct_per_part(children, sensitive, total) >= l_diversity
            ok = np.ones(count, dtype=bool)
            ok[splittable] = diverse[np.flatnonzero(splittable)] & diverse[new_id[splittable]]
            splittable &= ok
            cut = splittable[parts] & ~left
            children = np.where(cut, new_id[parts], parts)
        if not splittable.any():
            break
        # renumber densely: kept partitions stay, new ones follow
        parts = children
        remap = np.full(total, -1)
        used = np.flatnonzero(np.bincount(parts, minlength=total))
        remap[used] = np.arange(used.size)
        parts = remap[parts]
        next_active = np.zeros(used.size, dtype=bool)
        was_split = np.zeros(total, dtype=bool)
        was_split[np.flatnonzero(splittable)] = True
        was_split[new_id[splittable]] = True
        next_active[remap[np.flatnonzero(was_split)]] = True
        active = next_active
    return parts


def anonymise(
    frame: pl.DataFrame,
    quasi_identifiers: list[str],
    k: int,
    l_diversity: int = 1,
    sensitive: str | None = None,
    sampling_fraction: float = 1.0,
) -> AnonymityResult:
    """Generalise ``quasi_identifiers`` of ``frame`` to a k-anonymous, l-diverse table."""
    if k < 1 or l_diversity < 1:
        raise ValueError("k and l_diversity must be at least 1")
    if l_diversity > 1 and sensitive is None:
        raise ValueError("l-diversity needs a sensitive attribute")
    if not 0 < sampling_fraction <= 1:
        raise ValueError("sampling_fraction must be in (0, 1]")
    columns = [_encode(frame[name]) for name in quasi_identifiers]
    n = frame.height
    secret = None
    if sensitive is not None:
        secret = _encode(frame[sensitive]).ranks
    feasible = n >= k and (
        secret is None or l_diversity == 1 or np.unique(secret).size >= l_diversity
    )
    if not feasible:  # nothing can be published: every record is suppressed
        empty = frame.clear()
        return _result(
            empty, quasi_identifiers, sensitive, k, l_diversity, n, [], [], sampling_fraction
        )
    ranks = np.vstack([column.ranks for column in columns]) if columns else np.zeros((0, n))
    parts = mondrian_partitions(ranks, k, l_diversity, secret)
    generalised = frame.with_columns(
        _generalise(column, parts, name)
        for column, name in zip(columns, quasi_identifiers, strict=True)
    )
    return _result(
        generalised,
        quasi_identifiers,
        sensitive,
        k,
        l_diversity,
        0,
        columns,
        [parts],
        sampling_fraction,
    )


def _generalise(column: _Column, parts: np.ndarray, name: str) -> pl.Series:
    count = int(parts.max()) + 1
    low = np.full(count, np.iinfo(np.int64).max)
    high = np.full(count, -1)
    np.minimum.at(low, parts, column.ranks)
    np.maximum.at(high, parts, column.ranks)
    labels = pl.Series(column.labels, dtype=pl.String)
    low_label, high_label = labels.gather(low), labels.gather(high)
    per_part = (
        pl.DataFrame({"a": low_label, "b": high_label})
        .select(
            pl.when(pl.col("a") == pl.col("b"))
            .then(pl.col("a"))
            .otherwise(pl.format("{}~{}", "a", "b"))
        )
        .to_series()
    )
    return per_part.gather(parts).alias(name)


def _ncp(columns: list[_Column], parts: np.ndarray) -> float:
    """Normalised certainty penalty (Xu et al., KDD 2006): mean over records and attributes of
    the generalised range over the attribute's whole range (rank range for text)."""
    if not columns:
        return 0.0
    count = int(parts.max()) + 1
    total = 0.0
    for column in columns:
        values = (
            column.numeric[column.ranks]
            if column.numeric is not None
            else column.ranks.astype(float)
        )
        values = np.nan_to_num(values, nan=np.nanmin(values) if np.isfinite(values).any() else 0.0)
        low = np.full(count, np.inf)
        high = np.full(count, -np.inf)
        np.minimum.at(low, parts, values)
        np.maximum.at(high, parts, values)
        whole = float(values.max() - values.min()) or 1.0
        total += float(((high - low)[parts] / whole).mean())
    return total / len(columns)


def _result(
    frame: pl.DataFrame,
    quasi: list[str],
    sensitive: str | None,
    k: int,
    l_diversity: int,
    suppressed: int,
    columns: list[_Column],
    parts_list: list[np.ndarray],
    sampling_fraction: float,
) -> AnonymityResult:
    if frame.height == 0:
        return AnonymityResult(
            frame,
            k,
            l_diversity,
            0,
            None,
            0,
            suppressed,
            1.0,
            suppressed * suppressed,
            0.0,
            0.0,
            0.0,
            0.0,
            sampling_fraction,
            quasi,
            sensitive,
        )
    risk = equivalence_classes(frame, quasi, sensitive)
    parts = parts_list[0]
    sizes = risk["size"].to_numpy()
    smallest = int(sizes.min())
    n = frame.height
    discernibility = int((sizes.astype(np.int64) ** 2).sum()) + suppressed * (n + suppressed)
    # journalist risk (El Emam & Dankar, JAMIA 2008;15(5):627-637): 1 / the smallest class in
    # the population; estimated as class size / sampling fraction (1.0: the table is the whole
    # population, and journalist risk equals prosecutor risk)
    smallest_population = max(smallest / sampling_fraction, 1.0)
    return AnonymityResult(
        frame=frame,
        k=k,
        l_diversity=l_diversity,
        k_achieved=smallest,
        l_achieved=int(risk.get_column("distinct").to_numpy().min()) if sensitive else None,
        classes=risk.height,
        suppressed=suppressed,
        ncp=_ncp(columns, parts),
        discernibility=discernibility,
        average_class_size=(n / risk.height) / k,
        prosecutor_risk=1.0 / smallest,
        prosecutor_risk_average=risk.height / n,
        journalist_risk=1.0 / math.floor(smallest_population),
        sampling_fraction=sampling_fraction,
        quasi_identifiers=quasi,
        sensitive=sensitive,
    )


def equivalence_classes(
    frame: pl.DataFrame, quasi: list[str], sensitive: str | None
) -> pl.DataFrame:
    """One row per combination of quasi-identifier values: its size (and distinct sensitive values)."""
    aggregations = [pl.len().alias("size")]
    if sensitive is not None:
        aggregations.append(pl.col(sensitive).n_unique().alias("distinct"))
    return frame.group_by(quasi).agg(aggregations)
