"""``eduguard mask``: a de-identified copy of a file, folder or database, and its report.

The source is read with discovery's connectors and never written (SQLite is opened read-only,
PostgreSQL sessions are read-only). Columns get their operators from the scan and the policy
(:mod:`.masking`); with quasi-identifiers, each table is then made k-anonymous (and l-diverse)
by Mondrian (:mod:`.kanonymity`). Each table's copy is written to a temporary file and renamed
into place; the JSON report is written last, next to the output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from eduguard.discovery import api
from eduguard.discovery.connectors import describe_source, is_database_url, open_source
from eduguard.discovery.report import TableReport
from eduguard.discovery.sources import (
    DEFAULT_BATCH_ROWS,
    FailedTable,
    SourceError,
    TableSource,
)
from eduguard.errors import ValidationFailed
from eduguard.protection.kanonymity import anonymise
from eduguard.protection.masking import ColumnPlan, mask_frame, plan_table
from eduguard.protection.operators import Context
from eduguard.protection.policy import Policy
from eduguard.protection.writers import OutputFormat, TableWriter, WriteError, write_text_atomically
from eduguard.source_urls import SourcePolicy

REPORT_VERSION = 1


@dataclass(frozen=True)
class Deidentification:
    """k-anonymity / l-diversity settings for ``--k/--l/--quasi``."""

    quasi_identifiers: list[str]
    k: int = 5
    l_diversity: int = 1
    sensitive: str | None = None
    sampling_fraction: float = 1.0


@dataclass
class MaskJob:
    source: str
    policy: Policy
    output: Path
    output_format: OutputFormat
    pseudonym_key: bytes | None
    sample: int | None = api.DEFAULT_SAMPLE
    deidentify: Deidentification | None = None
    seed: int | None = None
    tables_wanted: list[str] | None = None
    # Only these columns are read, scanned and written (every table must have them all): an
    # approved release exports its approved fields and nothing else.
    columns_wanted: list[str] | None = None
    tables: list[dict[str, Any]] = field(default_factory=list)
    # A registered source (a release): the host allow-list, scan roots and driver timeouts the
    # catalog's scans obey. None: the operator's own shell (options and timeouts still apply).
    source_policy: SourcePolicy | None = None


class MaskFailed(ValidationFailed):
    default_code = "mask_failed"


def _same_file(source: str, output: Path) -> bool:
    if is_database_url(source):
        return False
    source_path = Path(source).expanduser().resolve()
    target = output.expanduser().resolve()
    return source_path == target or (source_path.is_dir() and target.is_relative_to(source_path))


def _file_name(table: str, output_format: str) -> str:
    stem = re.sub(r"[^\w.\-]+", "_", table).strip("._") or "table"
    stem = re.sub(r"\.(csv|tsv|txt|xlsx|xlsm|xls|parquet|json|jsonl|ndjson)$", "", stem, flags=re.I)
    return f"{stem}.{output_format}"


def report_path(output: Path) -> Path:
    return (
        output / "mask-report.json"
        if output.suffix == ""
        else output.with_name(output.name + ".report.json")
    )


def run(job: MaskJob) -> dict[str, Any]:
    """Mask every table of the source; returns the report (also written next to the output)."""
    if _same_file(job.source, job.output):
        raise MaskFailed(
            "output_is_source", "输出位置不能是数据源本身或其中的文件：脱敏从不改动源数据"
        )
    tables = list(open_source(job.source, job.source_policy))
    if tables and all(isinstance(table, FailedTable) for table in tables):
        # the source itself could not be opened (refused host, no connection): say that, not
        # "no such table" with the failure's name as the only choice
        first = tables[0]
        assert isinstance(first, FailedTable)
        raise MaskFailed("source_unreadable", first.error.message_zh)
    if job.tables_wanted is not None:
        names = {table.name for table in tables}
        unknown = [name for name in job.tables_wanted if name not in names]
        if unknown:
            raise MaskFailed(
                "table_unknown",
                f"数据源中没有表：{'、'.join(unknown)}（可选：{'、'.join(sorted(names))}）",
            )
        tables = [table for table in tables if table.name in job.tables_wanted]
    failed = [table for table in tables if isinstance(table, FailedTable)]
    if failed:
        first = failed[0]
        raise MaskFailed("source_unreadable", f"无法读取“{first.name}”：{first.error.message_zh}")
    readable = [table for table in tables if not isinstance(table, FailedTable)]
    if job.columns_wanted is not None:
        readable = [_Projected(table, job.columns_wanted) for table in readable]
    scan = api.scan(readable, sample=job.sample)
    reports = {table.name: table for table in scan.tables}
    several = len(readable) > 1
    folder = job.output
    if several:
        if folder.exists() and any(folder.iterdir()):
            raise MaskFailed("output_exists", f"输出文件夹“{folder}”已存在且不为空")
        folder.mkdir(parents=True, exist_ok=True)
    elif not job.output.expanduser().resolve().parent.is_dir():
        raise MaskFailed("output_folder_missing", f"输出目录不存在：{job.output.parent}")
    context = Context(pseudonym_key=job.pseudonym_key, seed=job.seed)
    written: list[TableWriter] = []
    try:
        for table in readable:
            target = folder / _file_name(table.name, job.output_format) if several else job.output
            writer = TableWriter(target, job.output_format)
            written.append(writer)
            job.tables.append(_mask_table(job, table, reports.get(table.name), writer, context))
        for writer in written:
            writer.commit()
    except SourceError as error:
        _abort(written)
        raise MaskFailed(error.code, error.message_zh) from None
    except WriteError as error:
        _abort(written)
        raise MaskFailed("write_failed", error.message_zh) from None
    except BaseException:
        _abort(written)
        raise
    report = {
        "report_version": REPORT_VERSION,
        "source": describe_source(job.source),
        "policy": job.policy.source,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "output": str(job.output),
        "format": job.output_format,
        "tables": job.tables,
    }
    write_text_atomically(report_path(job.output), json.dumps(report, ensure_ascii=False, indent=2))
    return report


class _Projected:
    """A table narrowed to ``columns``, in that order; a missing column fails the job."""

    def __init__(self, table: TableSource, columns: list[str]) -> None:
        self.table, self.columns = table, columns
        self.name = table.name
        self.comment = table.comment
        self.column_comments = {k: v for k, v in table.column_comments.items() if k in columns}
        self.row_count = table.row_count

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        for batch in self.table.batches(batch_rows, limit):
            missing = [name for name in self.columns if name not in batch.columns]
            if missing:
                raise SourceError(
                    "column_unknown", f"表“{self.name}”中没有列：{'、'.join(missing)}"
                )
            yield batch.select(self.columns)


def _abort(writers: list[TableWriter]) -> None:
    for writer in writers:
        writer.abort()


def _mask_table(
    job: MaskJob,
    table: TableSource,
    report: TableReport | None,
    writer: TableWriter,
    context: Context,
) -> dict[str, Any]:
    plans: list[ColumnPlan] | None = None
    held: list[pl.DataFrame] = []
    quasi = job.deidentify.quasi_identifiers if job.deidentify else []
    for batch in table.batches():
        if plans is None:
            missing = [name for name in quasi if name not in batch.columns]
            if missing:
                raise MaskFailed(
                    "quasi_unknown", f"表“{table.name}”中没有准标识符列：{'、'.join(missing)}"
                )
            plans = plan_table(table.name, batch.columns, report, job.policy)
            for plan in plans:  # quasi-identifiers are generalised by the model, not masked
                if plan.name in quasi or (job.deidentify and plan.name == job.deidentify.sensitive):
                    plan.rule, plan.operator, plan.source = None, None, "model"
            writer.header = list(batch.columns)
        masked = mask_frame(batch, plans, context)
        if job.deidentify:
            held.append(masked)
        else:
            writer.write(masked)
    entry: dict[str, Any] = {
        "table": table.name,
        "output": str(writer.target),
        "rows": 0,
        "columns": [plan.to_dict() for plan in plans or []],
    }
    if job.deidentify and held:
        settings = job.deidentify
        whole = pl.concat(held)
        result = anonymise(
            whole,
            quasi,
            settings.k,
            settings.l_diversity,
            settings.sensitive,
            settings.sampling_fraction,
        )
        writer.write(result.frame)
        entry["k_anonymity"] = result.to_dict()
        for column in entry["columns"]:
            if column["column"] in quasi:
                original = whole[column["column"]]
                column["operator"] = "mondrian"
                column["rows_changed"] = (
                    int(original.ne_missing(result.frame[column["column"]]).sum())
                    if result.frame.height == whole.height
                    else int(original.len())
                )
    entry["rows"] = writer.rows
    return entry
