"""The Spark engine: one table in, the same graded ``TableReport`` as the local engine out.

For each table:

1. **Schema and names, on the driver.** Column names and comments are evidence; the table's
   first rows (read in order, in the local engine's batch size) choose each column's detectors
   with the local engine's own code (:func:`eduguard.discovery.partials.decide`).
2. **SQL, in the JVM.** Only the columns that need counting are selected (the scan reads no
   other column: projection push-down into Parquet/ORC/JDBC); what compiles to Spark SQL is
   evaluated there (:mod:`.compile`): the detectors' declared rules (patterns as ``RLIKE``, word
   lists as ``IN``, lengths) become one boolean flag per check and value, and a value is sent on
   only where a check's code (check digits, ranges) still has to look at it; the others cross
   as nulls. The primary/kindergarten grade regex is ``RLIKE`` too.
3. **Arrow, on the executors.** ``mapInArrow`` hands each partition's Arrow batches to the local
   engine's per-batch counting (polars frames from ``pl.from_arrow``): the SQL flags are summed,
   and the code halves of the checks run on the values sent (check digits, birth dates); columns
   that count people or hold free text are counted whole, by ``ColumnState``, as before.
   With ``--sample N`` each partition stops after its share of N rows, so a sampled scan reads
   only the start of every partition.
4. **Aggregation, on the cluster.** Partitions' partial statistics are merged by a group-by
   (sums; distinct hashes counted once); only the merged summary rows reach the driver, where the
   local engine's scoring and grading turn them into the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl
import pyarrow as pa
from pyspark import TaskContext
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf

from eduguard.classification import Rules
from eduguard.discovery.columns import SAMPLE_VALUES
from eduguard.discovery.detectors import Values
from eduguard.discovery.partials import (
    YOUNG_GRADE_PATTERN,
    ColumnPlan,
    Flag,
    MergedRow,
    PartitionCounter,
    TableInfo,
    decide,
    merged_report,
    text_frame,
)
from eduguard.discovery.report import TableReport
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS
from eduguard.discovery.spark import compile as sql
from eduguard.discovery.spark.sources import SparkTable
from eduguard.discovery.sqlsplit import column_work, sent_share

HEAD_MAX_ROWS = 1_000_000  # rows the driver reads at most to choose detectors on
MAX_SENT_SHARE = 0.5  # a column is split with SQL when less of its values go on to Python
HEAD_SHARE = 10_000  # first values the share is measured on
SMALL_HEAD = 4 * SAMPLE_VALUES  # rows read first: usually enough to choose on
PARTIAL_SCHEMA = "column string, kind string, key string, a long, b long, c long, h long"
_ARROW_PARTIAL = pa.schema(
    [pa.field(name, pa.string()) for name in ("column", "kind", "key")]
    + [pa.field(name, pa.int64()) for name in ("a", "b", "c", "h")]
)
_YOUNG = "__eduguard_young_"
_ROW = "__eduguard_row"
_FLAG = "__eduguard_flag_"


def _collect(frame: DataFrame, rows: int) -> pl.DataFrame:
    """The first ``rows`` rows, in order (``limit`` collects partitions in order)."""
    collected = frame.limit(rows).collect()
    return pl.DataFrame(
        [tuple(row) for row in collected],
        schema=frame.columns,
        orient="row",
        infer_schema_length=None,
    )


def _enough_to_choose(head: pl.DataFrame) -> bool:
    """Whether every column has the values detectors are chosen on (``SAMPLE_VALUES``).

    The local engine chooses on a column's first ``SAMPLE_VALUES`` non-empty values; when a small
    head holds that many in every column, the choice is the same as on a whole first batch.
    """
    texts = text_frame(head)
    nonempty = texts.select(
        [(pl.col(name).is_not_null() & (pl.col(name) != "")).sum() for name in texts.columns]
    )
    return all(int(count) >= SAMPLE_VALUES for count in nonempty.row(0))


def head_batches(frame: DataFrame, batch_rows: int, limit: int | None) -> Iterator[pl.DataFrame]:
    """The table's first rows, in order, as the local engine's first batches.

    First a small head (``SMALL_HEAD`` rows): when it holds enough values in every column to
    choose on, it is all the driver reads. Otherwise whole batches of ``batch_rows`` rows, each
    fetch four times larger than the last, and only while the caller asks for more.
    """
    cap = min(limit, HEAD_MAX_ROWS) if limit is not None else HEAD_MAX_ROWS
    small = _collect(frame, min(SMALL_HEAD, cap))
    if cap <= SMALL_HEAD or small.height < SMALL_HEAD or _enough_to_choose(small):
        yield small
        return
    done = 0
    wanted = min(batch_rows, cap)
    while done < cap:
        head = _collect(frame, wanted).slice(done)
        for offset in range(0, head.height, batch_rows):
            yield head.slice(offset, batch_rows)
        if done + head.height < wanted:
            return
        done = wanted
        wanted = min(wanted * 4, cap)


def _kept(batches: Iterator[pl.DataFrame], kept: list[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """The batches, each also kept in ``kept`` (the head, read once, serves twice)."""
    for batch in batches:
        kept.append(batch)
        yield batch


def _quota(sample: int | None, partitions: int) -> Callable[[int], int | None]:
    """Rows each partition counts: all, or an even share of ``sample``."""
    if sample is None:
        return lambda _partition: None
    base, extra = divmod(sample, max(partitions, 1))
    return lambda partition: base + (1 if partition < extra else 0)


def count_partitions(
    plans: Sequence[ColumnPlan],
    today: date,
    quota: Callable[[int], int | None],
    young: int,
    flags: Sequence[Flag] = (),
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: one partition's batches in, its partial statistics out."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        context = TaskContext.get()
        remaining = quota(context.partitionId() if context is not None else 0)
        counter = PartitionCounter(plans, today)
        young_names = [f"{_YOUNG}{index}" for index in range(young)]
        flag_names = [f"{_FLAG}{index}" for index in range(len(flags))]
        for batch in batches:
            if remaining is not None:
                if remaining <= 0:
                    break
                batch = batch.slice(0, remaining)
                remaining -= batch.num_rows
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            grades = (
                int(frame.select(pl.sum_horizontal(young_names).sum()).item()) if young_names else 0
            )
            sums = frame.select(pl.col(flag_names).sum()).row(0) if flag_names else ()
            counter.add(
                frame.drop([*young_names, *flag_names, _ROW], strict=False),
                grades,
                {flag: int(number or 0) for flag, number in zip(flags, sums, strict=True)},
            )
        table = counter.partials().to_arrow().cast(_ARROW_PARTIAL)
        yield from table.to_batches()

    return run


def _merged(partials: DataFrame, distinct: bool) -> list[MergedRow]:
    """Merge the partitions' partials on the cluster; only the summary comes back.

    Sums by (column, kind, key); the hashes of the columns that count people are counted
    distinct (only when some column does: the distinct count costs a second shuffle).
    """
    sums = [sf.sum(name).alias(name) for name in ("a", "b", "c")]
    hashes = [sf.count_distinct("h").alias("h")] if distinct else [sf.lit(0).alias("h")]
    merged = partials.groupBy("column", "kind", "key").agg(*sums, *hashes)
    return [
        (str(row["column"]), str(row["kind"]), str(row["key"]), int(row["a"] or 0),
         int(row["b"] or 0), int(row["c"] or 0), int(row["h"] or 0))
        for row in merged.collect()
    ]  # fmt: skip


def split_plans(
    frame: DataFrame, plans: Sequence[ColumnPlan], head: Sequence[pl.DataFrame] = ()
) -> list[ColumnPlan]:
    """Mark the columns whose checks are split with SQL (``ColumnPlan.sql``).

    A column of text or integers, with detectors, that neither holds free text nor counts
    people (both need every value in Python), and of whose first values (``head``) the SQL half
    would send fewer than ``MAX_SENT_SHARE`` on to Python: where nearly every value needs the
    Python half anyway (a column of card numbers, all shaped like one, for the Luhn check), a
    SQL prefilter would only add work.
    """
    types = dict(frame.dtypes)
    texts = text_frame(pl.concat(head, how="diagonal_relaxed")) if head else None
    split = []
    for plan in plans:
        if (
            not plan.codes
            or plan.free_text
            or plan.subjects
            or types.get(plan.name) not in sql.COMPILABLE_TYPES
        ):
            split.append(plan)
            continue
        if texts is not None and plan.name in texts.columns:
            column = texts.get_column(plan.name)
            values = Values(column.filter(column.is_not_null() & (column != "")).head(HEAD_SHARE))
            work = column_work(plan.name, plan.comment, plan.codes)
            if sent_share(work, values) >= MAX_SENT_SHARE:
                split.append(plan)
                continue
        split.append(replace(plan, sql=True))
    return split


def compiled_source(
    frame: DataFrame, plans: Sequence[ColumnPlan]
) -> tuple[DataFrame, list[Flag], int]:
    """The table as the Arrow stage reads it: values, SQL flags and grade counts (how many)."""
    projection: list[Column] = []
    flags: list[Flag] = []
    for plan in plans:
        if not plan.counted:
            continue
        if not plan.sql:
            projection.append(sql.column(plan.name))
            continue
        compiled = sql.compile_column(plan)
        projection.append(compiled.value.alias(plan.name))
        for flag, expression in compiled.flags:
            projection.append(expression.alias(f"{_FLAG}{len(flags)}"))
            flags.append(flag)
    grade_plans = [plan for plan in plans if plan.grades]
    young_exprs = [sql.count_matches(plan.name, YOUNG_GRADE_PATTERN) for plan in grade_plans]
    compiled_young = [expr for expr in young_exprs if expr is not None]
    if len(compiled_young) != len(young_exprs):  # not portable: count in the Arrow stage instead
        raise RuntimeError("the grade pattern no longer compiles to Spark SQL")
    projection += [expr.alias(f"{_YOUNG}{i}") for i, expr in enumerate(compiled_young)]
    if not projection:
        projection = [sf.lit(0).alias(_ROW)]
    return frame.select(*projection), flags, len(compiled_young)


def scan_spark_table(
    table: SparkTable,
    frame: DataFrame,
    *,
    sample: int | None,
    rules: Rules | None,
    today: date,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    sent: dict[str, int] | None = None,
) -> TableReport:
    """Discover, classify and grade one Spark table (``frame``), as ``engine.scan_table`` does."""
    comments: dict[str, str] = {}
    for spark_field in frame.schema.fields:
        metadata: dict[str, Any] = spark_field.metadata or {}
        comment = table.column_comments.get(spark_field.name) or metadata.get("comment")
        if comment:
            comments[spark_field.name] = str(comment)
    columns = [(name, comments.get(name)) for name in frame.columns]
    head: list[pl.DataFrame] = []
    plans = decide(
        columns,
        _kept(head_batches(frame, batch_rows, sample), head),
        today,
        table.name,
        table.comment,
        types=table.column_types,
        keys=table.column_keys,
    )
    row_count: int | None = None
    quota_sample = sample
    if sample is not None:
        row_count = frame.count()
        if row_count <= sample:
            quota_sample = None  # the whole table fits in the sample: read it all
    plans = split_plans(frame, plans, head)
    source, flags, young = compiled_source(frame, plans)
    quota = _quota(quota_sample, source.rdd.getNumPartitions() if quota_sample else 1)
    partials = source.mapInArrow(
        count_partitions(plans, today, quota, young, flags), PARTIAL_SCHEMA
    )
    merged = _merged(partials, any(plan.subjects for plan in plans))
    if sent is not None:  # values each split column sent to Python (the rest stayed in SQL)
        sent.update({column: a for column, kind, _, a, _, _, _ in merged if kind == "sent"})
    info = TableInfo(
        table.name, table.comment, comments, row_count, table.column_types, table.column_keys
    )
    return merged_report(info, plans, merged, today, rules=rules, sample=sample)
