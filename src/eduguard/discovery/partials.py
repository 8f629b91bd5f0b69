"""Mergeable per-batch statistics: the local engine's counting, cut in three for a cluster.

The local engine (:func:`eduguard.discovery.engine.scan_table`) reads a table in order: it
chooses each column's detectors on the column's first values, counts every batch, and grades the
totals. A cluster reads partitions in parallel, so the same work is cut in three steps, each
running the local engine's own code (``ColumnState``, ``_text_frame``, ``_report``):

1. :func:`decide` — on the driver, the table's first batches choose every column's detectors
   exactly as the local engine chooses them; the choice becomes a :class:`ColumnPlan` (plain,
   picklable data shipped to the executors).
2. :class:`PartitionCounter` — on each executor, every batch of a partition is counted by
   ``ColumnState`` with the plan's detectors; the partition's totals come out as rows of
   :data:`PARTIAL_COLUMNS`, which add up: sums, plus the distinct value hashes of the columns
   that count people, to be counted once over the whole table.
   A column whose checks compile to SQL (``ColumnPlan.sql``) is counted in halves: the SQL
   half arrives as sums of per-value flags, Python counts only the rest of each check
   (:mod:`eduguard.discovery.sqlsplit`) on the values it is sent.
3. :func:`merged_report` — on the driver, the merged rows become ``ColumnState`` totals again and
   the local engine's scoring, minors, subjects and grading turn them into a ``TableReport``.

>>> from datetime import date
>>> batch = pl.DataFrame({"sfzjh": ["11010519491231002X", "110105194912310029"], "bz": ["a", "b"]})
>>> plans = decide([("sfzjh", None), ("bz", None)], [batch], date(2026, 11, 27))
>>> [(plan.name, plan.codes, plan.subjects) for plan in plans]
[('sfzjh', ('CN_RESIDENT_ID',), True), ('bz', (), False)]
>>> counter = PartitionCounter(plans, date(2026, 11, 27))
>>> counter.add(batch)
>>> rows = merge_partials([counter.partials()])
>>> report = merged_report(TableInfo("xs"), plans, rows, date(2026, 11, 27))
>>> report.columns[0].pi_types, report.rows_sampled, report.subjects
(['CN_RESIDENT_ID'], 2, 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from eduguard.classification import Rules, load_rules
from eduguard.discovery import engine
from eduguard.discovery.columns import ColumnState, TypeCount
from eduguard.discovery.connectors._frames import to_utf8_frame
from eduguard.discovery.detectors import DETECTORS, Values
from eduguard.discovery.distinct import DistinctCounter
from eduguard.discovery.model.decide import polars_sql_type
from eduguard.discovery.report import TableReport
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS, SourceError
from eduguard.discovery.sqlsplit import TypeWork, column_work

_BY_CODE = {detector.code: detector for detector in DETECTORS}
# one partition's distinct hashes are kept exactly: the cluster counts them once, whole-table
_EXACT = 1 << 62

PARTIAL_COLUMNS = {
    "column": pl.String,  # "" for the table's own counts
    "kind": pl.String,  # rows, young, nonnull, count, span, span_rows, births, hash, sent
    "key": pl.String,  # a detector code, or ""
    "a": pl.Int64,
    "b": pl.Int64,
    "c": pl.Int64,
    "h": pl.Int64,  # a distinct-value hash (kind "hash" only)
}
"""One partial-statistics row. Every kind but ``hash`` is summed over partitions by (column,
kind, key); ``hash`` rows are counted distinct per column."""


@dataclass(frozen=True)
class ColumnPlan:
    """One column's choice of detectors, made on the driver, counted on every executor."""

    name: str
    comment: str | None
    codes: tuple[str, ...] = ()
    free_text: bool = False
    guards: tuple[tuple[str, bool], ...] = ()
    subjects: bool = False  # counts distinct values for the table's number of people
    grades: bool = False  # a grade/class column: primary and kindergarten values mean minors
    # the value checks are split between SQL and Python (sqlsplit): SQL sends flag sums and
    # only the values Python still has to check (others arrive as nulls)
    sql: bool = False
    # what the column model read on the driver, so every executor's state decides the same:
    # the batch's SQL type, the table's name and comment, its other columns, the position
    sql_type: str = ""
    table: str = ""
    table_comment: str | None = None
    siblings: tuple[tuple[str, str], ...] = ()
    position: int = -1
    # the source's key kind ("auto_increment", "primary" or ""): see ``ColumnState.key``
    key: str = ""

    @property
    def counted(self) -> bool:
        """Whether the column's values need counting at all (detectors or free text)."""
        return bool(self.codes) or self.free_text


@dataclass
class TableInfo:
    """What grading needs to know of a table besides its counts (a ``TableSource`` shape)."""

    name: str
    comment: str | None = None
    column_comments: dict[str, str] = field(default_factory=dict)
    row_count: int | None = None
    column_types: dict[str, str] = field(default_factory=dict)
    column_keys: dict[str, str] = field(default_factory=dict)

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        return iter(())


def is_grade_column(name: str, comment: str | None) -> bool:
    """A grade or class column, whose primary/kindergarten values mean pupils under 14."""
    return bool(engine._GRADE_NAME.search(name.lower()) or engine._GRADE_NAME.search(comment or ""))


YOUNG_GRADE_PATTERN: str = engine._YOUNG_GRADE
"""The local engine's regex for primary and kindergarten grades (compiled to Spark SQL)."""


def text_frame(batch: pl.DataFrame) -> pl.DataFrame:
    """A batch as the engine's detectors see it: every column as stripped text."""
    return engine._text_frame(to_utf8_frame(batch))


def _nonempty(column: pl.Series) -> pl.Series:
    return column.filter(column.is_not_null() & (column != ""))


def _state(plan: ColumnPlan, today: date) -> ColumnState:
    state = ColumnState(
        name=plan.name,
        comment=plan.comment,
        scan_date=today,
        sql_type=plan.sql_type,
        table=plan.table,
        table_comment=plan.table_comment,
        siblings=plan.siblings,
        position=plan.position,
        key=plan.key,
    )
    state.candidates = [_BY_CODE[code] for code in plan.codes]
    state.free_text = plan.free_text
    state.guards = dict(plan.guards)
    state.stop_counting()
    return state


def _context_states(
    columns: Sequence[tuple[str, str | None]],
    batch: pl.DataFrame | None,
    today: date,
    table: str,
    table_comment: str | None,
    types: dict[str, str] | None = None,
    keys: dict[str, str] | None = None,
) -> dict[str, ColumnState]:
    """The columns' states with the context the local engine gives them (engine._columns_of):
    the declared SQL type (else the first batch's), the table, its other columns, the
    position and the key kind."""
    everyone = [(name, comment or "") for name, comment in columns]
    types, keys = types or {}, keys or {}
    states = {}
    for position, (name, comment) in enumerate(columns):
        dtype = batch.schema.get(name) if batch is not None else None
        states[name] = ColumnState(
            name=name,
            comment=comment,
            scan_date=today,
            sql_type=types.get(name) or (polars_sql_type(dtype) if dtype is not None else ""),
            table=table,
            table_comment=table_comment,
            siblings=tuple(everyone[:position] + everyone[position + 1 :]),
            position=position,
            key=keys.get(name, ""),
        )
    return states


def decide(
    columns: Sequence[tuple[str, str | None]],
    head: Iterable[pl.DataFrame],
    today: date,
    table: str = "",
    table_comment: str | None = None,
    types: dict[str, str] | None = None,
    keys: dict[str, str] | None = None,
) -> list[ColumnPlan]:
    """Choose every column's detectors on the table's first batches, as the local engine does.

    ``head`` yields the table's first rows in order, in batches of the local engine's size;
    it is read only until every column has enough values to choose on. ``types`` and
    ``keys``: the declared SQL types and key kinds the source reports (``column_types``,
    ``column_keys`` of a connector's table).
    """
    found: dict[str, ColumnState] | None = None
    for batch in head:
        if found is None:
            found = _context_states(columns, batch, today, table, table_comment, types, keys)
        states = found
        texts = text_frame(batch)
        for name in texts.columns:
            state = states.get(name)
            if state is not None and state.candidates is None:
                state.add(_nonempty(texts.get_column(name)))
        if all(state.candidates is not None for state in states.values()):
            break
    states = (
        found
        if found is not None
        else _context_states(columns, None, today, table, table_comment, types, keys)
    )
    for state in states.values():
        state.flush()
    engine._count_subjects_in_best_columns(states)
    return [
        ColumnPlan(
            name=name,
            comment=state.comment,
            codes=tuple(detector.code for detector in state.candidates or []),
            free_text=state.free_text,
            guards=tuple(sorted(state.guards.items())),
            subjects=state.count_subjects and state.identifying_rank() is not None,
            grades=is_grade_column(name, state.comment),
            sql_type=state.sql_type,
            table=state.table,
            table_comment=state.table_comment,
            siblings=state.siblings,
            position=state.position,
            key=state.key,
        )
        for name, state in states.items()
    ]


Flag = tuple[str, str, str]
"""(column, "nonnull" | "strict" | "loose", detector code or ""): what a SQL flag column counts."""


class SplitColumn:
    """Python's half of a column whose checks are split with SQL (``ColumnPlan.sql``)."""

    def __init__(self, plan: ColumnPlan, today: date) -> None:
        self.state = _state(plan, today)  # keeps the birth-date counts
        self.work: list[TypeWork] = column_work(plan.name, plan.comment, plan.codes)
        self.sent = 0
        self.counts: dict[str, list[int]] = {work.code: [0, 0] for work in self.work}
        self.flags: dict[Flag, int] = {}

    def add(self, raw: pl.Series) -> None:
        """Count the values SQL sent (stripped, non-empty) with Python's share of every check."""
        if raw.len() == 0:
            return
        self.sent += raw.len()
        values = Values(raw)
        for work in self.work:
            strict = work.strict.python_hits(values) if work.strict is not None else None
            hits = int(strict.sum()) if strict is not None else 0
            if work.loose is None:
                loose = hits
            else:
                looser = work.loose.python_hits(values)
                loose = int(looser.sum()) if looser is not None else 0
            self.counts[work.code][0] += hits
            self.counts[work.code][1] += loose
            birth_dates = _BY_CODE[work.code].birth_dates
            if work.births and birth_dates is not None:
                self.state._count_minors(work.code, birth_dates(values))

    def rows(self) -> list[tuple[str, str, str, int, int, int]]:
        name = self.state.name
        nonnull = self.flags.get((name, "nonnull", ""), 0)
        rows = [(name, "nonnull", "", nonnull, 0, 0), (name, "sent", "", self.sent, 0, 0)]
        for work in self.work:
            strict = self.flags.get((name, "strict", work.code), 0)
            # no loose check: the loose count is the strict count
            loose = strict if work.loose is None else self.flags.get((name, "loose", work.code), 0)
            python_strict, python_loose = self.counts[work.code]
            rows.append(
                (name, "count", work.code, nonnull, strict + python_strict, loose + python_loose)
            )
        for code, (seen, minors) in self.state.births.items():
            rows.append((name, "births", code, seen, minors, 0))
        return rows


class PartitionCounter:
    """Counts one partition's batches with the local engine's ``ColumnState`` and the plans."""

    def __init__(self, plans: Sequence[ColumnPlan], today: date) -> None:
        self.states: dict[str, ColumnState] = {}
        self.split: dict[str, SplitColumn] = {}
        for plan in plans:
            if not plan.counted:
                continue
            if plan.sql:
                self.split[plan.name] = SplitColumn(plan, today)
                continue
            state = _state(plan, today)
            if plan.subjects:
                state.count_subjects, state.distinct = True, DistinctCounter(capacity=_EXACT)
            self.states[plan.name] = state
        self.rows = 0
        self.young = 0

    def add(
        self, batch: pl.DataFrame, young: int = 0, flags: dict[Flag, int] | None = None
    ) -> None:
        """Count one batch (columns of any type; those without a plan are ignored).

        ``flags``: the batch's sums of SQL flags, for the columns split with SQL.
        """
        self.rows += batch.height
        self.young += young
        for flag, number in (flags or {}).items():
            column = self.split.get(flag[0])
            if column is not None:
                column.flags[flag] = column.flags.get(flag, 0) + number
        present = [name for name in [*self.states, *self.split] if name in batch.columns]
        if not present:
            return
        texts = text_frame(batch.select(present))
        for name in present:
            values = _nonempty(texts.get_column(name))
            if name in self.split:
                self.split[name].add(values)
            else:
                self.states[name].add(values)

    def partials(self) -> pl.DataFrame:
        """The partition's totals as rows of :data:`PARTIAL_COLUMNS`."""
        rows: list[tuple[str, str, str, int, int, int]] = [
            ("", "rows", "", self.rows, 0, 0),
            ("", "young", "", self.young, 0, 0),
        ]
        hashes: list[pl.DataFrame] = []
        for column in self.split.values():
            rows.extend(column.rows())
        for name, state in self.states.items():
            rows.append((name, "nonnull", "", state.nonnull, 0, 0))
            for code, count in state.counts.items():
                rows.append((name, "count", code, count.checked, count.strict, count.loose))
            for code, number in state.span_counts.items():
                rows.append((name, "span", code, number, 0, 0))
            rows.append((name, "span_rows", "", state.span_rows, 0, 0))
            for code, (seen, minors) in state.births.items():
                rows.append((name, "births", code, seen, minors, 0))
            if state.distinct is not None:
                state.distinct.estimate()  # merges what is pending into ``kept``
                hashes.append(
                    pl.DataFrame({"h": state.distinct.kept.reinterpret(signed=True)}).select(
                        column=pl.lit(name, dtype=pl.String),
                        kind=pl.lit("hash"),
                        key=pl.lit(""),
                        a=pl.lit(0, dtype=pl.Int64),
                        b=pl.lit(0, dtype=pl.Int64),
                        c=pl.lit(0, dtype=pl.Int64),
                        h=pl.col("h"),
                    )
                )
        counts = pl.DataFrame(
            rows, schema={k: v for k, v in PARTIAL_COLUMNS.items() if k != "h"}, orient="row"
        ).with_columns(h=pl.lit(None, dtype=pl.Int64))
        return pl.concat([counts, *hashes]).cast(PARTIAL_COLUMNS)  # type: ignore[arg-type]


MergedRow = tuple[str, str, str, int, int, int, int]
"""(column, kind, key, sum a, sum b, sum c, distinct h): one merged partial statistic."""


def merge_partials(partials: Iterable[pl.DataFrame]) -> list[MergedRow]:
    """Merge partitions' partials in memory (what the cluster does with a group-by)."""
    frame = pl.concat(list(partials))
    merged = frame.group_by("column", "kind", "key", maintain_order=True).agg(
        pl.col("a").sum(), pl.col("b").sum(), pl.col("c").sum(), pl.col("h").drop_nulls().n_unique()
    )
    return [
        (str(column), str(kind), str(key), int(a), int(b), int(c), int(h))
        for column, kind, key, a, b, c, h in merged.iter_rows()
    ]


class _Known(DistinctCounter):
    """A distinct count already made (by the cluster)."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number

    def estimate(self) -> int:
        return self.number


def merged_report(
    table: TableInfo,
    plans: Sequence[ColumnPlan],
    merged: Iterable[MergedRow],
    today: date,
    *,
    rules: Rules | None = None,
    sample: int | None = None,
) -> TableReport:
    """The table's report from merged partials, graded by the local engine's own code.

    Raises ``SourceError`` ``empty_table`` when no rows were read, as the local engine does.
    """
    states = {plan.name: _state(plan, today) for plan in plans}
    rows = young = 0
    for column, kind, key, a, b, c, distinct in merged:
        if kind == "rows":
            rows += a
        elif kind == "young":
            young += a
        elif column not in states:
            continue
        elif kind == "nonnull":
            states[column].nonnull += a
        elif kind == "count":
            states[column].counts[key] = TypeCount(checked=a, strict=b, loose=c)
        elif kind == "span":
            states[column].span_counts[key] = a
        elif kind == "span_rows":
            states[column].span_rows += a
        elif kind == "births":
            states[column].births[key] = [a, b]
        elif kind == "hash":
            states[column].distinct = _Known(distinct)
    if rows == 0:
        raise SourceError("empty_table", f"“{table.name}”中没有数据行", f"{table.name} has no rows")
    row_count = table.row_count
    if row_count is None and (sample is None or rows < sample):
        row_count = rows  # read to the end
    return engine._report(table, states, rows, row_count, young, rules or load_rules(None))
