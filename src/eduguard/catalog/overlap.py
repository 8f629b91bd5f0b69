"""One data, one source (一数一源, notice item 4): the same people's identifiers collected by
several systems, found by comparing keyed-hash sketches of the fields, never values.

Each field of identifying values carries a bottom-k sketch (:class:`FieldSketch`: the ``k``
smallest 64-bit HMAC-SM3 values of its distinct normalised values; see
``eduguard.discovery.sketch`` for why storing it is safe). Two fields of the same type in
different systems are compared by the standard bottom-k estimator:

* the ``k`` smallest hashes of the union of both sketches are a uniform sample of the union;
  the share ``ĵ`` of them present in both sketches estimates the Jaccard index ``J``, with
  standard error ``√(J(1−J)/k)``;
* the union's size is ``(k−1)/U₍ₖ₎`` (``U₍ₖ₎`` the k-th smallest hash scaled to [0, 1]), with a
  relative standard error of about ``1/√(k−2)``;
* the overlap is ``ĵ × union``, with relative error ``√((1−J)/(J·k) + 1/(k−2))``; the report
  gives its 95 % interval. When both fields have fewer than ``k`` distinct values the sketches
  hold them all and the overlap is exact (up to 64-bit collisions, ≈ n²/2⁶⁵).

Counts are of the values read by the scans (a sampled scan sees its sample). Small overlaps of
large fields are below the estimator's resolution (about ``union/k``) and may be missed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from eduguard.catalog.models import Dataset, Field, FieldSketch
from eduguard.catalog.stats import effective_types

Z95 = 1.96
DEFAULT_MIN_OVERLAP = 10
SKETCHED_TYPES = frozenset(
    {
        "CN_RESIDENT_ID",
        "STUDENT_REG_NO",
        "STUDENT_NO",
        "STAFF_NO",
        "EXAM_REG_NO",
        "PASSPORT",
        "TRAVEL_PERMIT",
        "MOBILE_PHONE",
        "EMAIL",
        "PERSON_NAME",
        "BANK_CARD",
    }
)  # fmt: skip  (the types discovery sketches; kept here so this service imports no domain)


@dataclass(frozen=True)
class SketchData:
    """What the catalog stores of one column's sketch (built by the scan)."""

    key_id: str
    k: int
    exact: bool
    distinct_values: int
    rows_read: int
    hashes: bytes


@dataclass(frozen=True)
class Estimate:
    overlap: float
    low: float
    high: float
    jaccard: float
    jaccard_se: float
    union: float
    exact: bool


def _values(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=">u8").astype(np.uint64)


def _size(values: np.ndarray, exact: bool, k: int) -> float:
    if exact or values.size < k:
        return float(values.size)
    return (k - 1) / ((float(values[-1]) + 1.0) / 2.0**64)


def estimate(a: np.ndarray, a_exact: bool, b: np.ndarray, b_exact: bool, k: int) -> Estimate:
    """Overlap of two sets from their bottom-k sketches (ascending uint64 arrays)."""
    if a_exact and b_exact:
        common = int(np.intersect1d(a, b, assume_unique=True).size)
        total = int(a.size + b.size - common)
        jaccard = common / total if total else 0.0
        return Estimate(common, common, common, jaccard, 0.0, total, True)
    union_sample = np.union1d(a, b)[:k]
    size = union_sample.size
    threshold = union_sample[-1]
    both = np.intersect1d(a, b, assume_unique=True)
    shared = int((both <= threshold).sum())
    jaccard = shared / size
    union = (size - 1) / ((float(threshold) + 1.0) / 2.0**64)
    overlap = jaccard * union
    if shared == 0:
        return Estimate(0.0, 0.0, 0.0, 0.0, 0.0, union, False)
    jaccard_se = math.sqrt(jaccard * (1 - jaccard) / size)
    relative = math.sqrt((1 - jaccard) / (jaccard * size) + 1 / max(size - 2, 1))
    cap = min(_size(a, a_exact, k), _size(b, b_exact, k))
    low = max(0.0, overlap * (1 - Z95 * relative))
    high = min(cap, overlap * (1 + Z95 * relative))
    return Estimate(overlap, low, max(high, overlap), jaccard, jaccard_se, union, False)


# ---------------------------------------------------------------- storing


def store(
    session: Session,
    *,
    system_id: int,
    fields: Mapping[tuple[str, str], Field],
    sketches: Mapping[tuple[str, str], SketchData],
) -> int:
    """Replace the sketches of ``fields`` (one scanned source's present fields, by (dataset,
    field) name) with the scan's: a field without a new sketch loses its old one."""
    ids = [field.id for field in fields.values()]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(FieldSketch).where(FieldSketch.field_id.in_(chunk)))
    stored = 0
    for key, data in sketches.items():
        field = fields.get(key)
        if field is None:
            continue
        session.add(
            FieldSketch(
                field_id=field.id,
                system_id=system_id,
                key_id=data.key_id,
                k=data.k,
                exact=data.exact,
                distinct_values=data.distinct_values,
                rows_read=data.rows_read,
                hashes=data.hashes,
            )
        )
        stored += 1
    session.flush()
    return stored


# ---------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Side:
    field_id: int
    field: str
    dataset_id: int
    dataset: str
    system_id: int
    distinct_values: int
    rows_read: int


@dataclass(frozen=True)
class Duplicate:
    pi_type: str
    a: Side
    b: Side
    estimate: Estimate

    @property
    def containment(self) -> float:
        smaller = min(self.a.distinct_values, self.b.distinct_values)
        return min(1.0, self.estimate.overlap / smaller) if smaller else 0.0


def find_duplicates(
    session: Session, *, systems: Any, min_overlap: int = DEFAULT_MIN_OVERLAP
) -> list[Duplicate]:
    """Pairs of present fields of one identifying type, in different systems of ``systems`` (a
    SELECT of system ids, or None for all), whose estimated overlap is at least
    ``min_overlap`` values; largest overlap first.

    Candidate pairs are those whose sketches share a hash (an inverted index): disjoint fields
    share none, so most pairs are never compared."""
    query = (
        select(
            FieldSketch,
            Field.id,
            Field.name,
            Dataset.id,
            Dataset.name,
            Dataset.system_id,
            effective_types(),
        )
        .join(Field, FieldSketch.field_id == Field.id)
        .join(Dataset, Field.dataset_id == Dataset.id)
        .where(Field.present.is_(True), Dataset.present.is_(True))
        .order_by(Field.id)
    )
    if systems is not None:
        query = query.where(Dataset.system_id.in_(systems))
    groups: dict[tuple[str, str, int], list[tuple[Side, np.ndarray, bool]]] = defaultdict(list)
    for sketch, f_id, f_name, d_id, d_name, system_id, types in session.execute(query).all():
        side = Side(f_id, f_name, d_id, d_name, system_id, sketch.distinct_values, sketch.rows_read)
        values = _values(sketch.hashes)
        for code in (c for c in str(types).split(",") if c in SKETCHED_TYPES):
            groups[(code, sketch.key_id, sketch.k)].append((side, values, sketch.exact))
    found: list[Duplicate] = []
    for (code, _key, k), members in groups.items():
        found.extend(_compare(code, k, members, min_overlap))
    found.sort(key=lambda d: (-d.estimate.overlap, d.pi_type, d.a.field_id, d.b.field_id))
    return found


def _compare(
    code: str, k: int, members: Sequence[tuple[Side, np.ndarray, bool]], min_overlap: int
) -> list[Duplicate]:
    index: dict[int, list[int]] = defaultdict(list)
    for position, (_side, values, _exact) in enumerate(members):
        for value in values.tolist():
            index[value].append(position)
    pairs: set[tuple[int, int]] = set()
    for positions in index.values():
        if len(positions) > 1:
            pairs.update(combinations(positions, 2))
    out = []
    for i, j in sorted(pairs):
        (side_a, a, a_exact), (side_b, b, b_exact) = members[i], members[j]
        if side_a.system_id == side_b.system_id:
            continue  # one system keeping a value twice is not 一数多源
        result = estimate(a, a_exact, b, b_exact, k)
        if result.overlap >= min_overlap:
            out.append(Duplicate(code, side_a, side_b, result))
    return out
