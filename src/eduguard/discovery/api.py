"""The library API: ``scan(source)`` returns the same report ``eduguard scan`` prints.

>>> import polars as pl
>>> from eduguard.discovery.sources import DataFrameTable
>>> report = scan([DataFrameTable("xs", pl.DataFrame({"sfzjh": ["11010519491231002X"]}))])
>>> report.tables[0].columns[0].pi_types
['CN_RESIDENT_ID']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import cast

from eduguard.classification import Rules, load_rules
from eduguard.discovery.engine import ProgressCallback, scan_table
from eduguard.discovery.findings import (
    Locatable,
    RowsLocator,
    is_locatable,
    locate_findings,
    publishable_file,
)
from eduguard.discovery.model.infer import load_model
from eduguard.discovery.report import ScanReport, TableReport
from eduguard.discovery.sources import FailedTable, SkippedFile, SourceError, TableSource
from eduguard.source_urls import CrawlLimits

__all__ = ["DEFAULT_SAMPLE", "ProgressCallback", "scan"]

DEFAULT_SAMPLE = 10_000
"""Rows read per table by default: enough for a confident answer on every column type."""
LOCATE_MAX_ROWS = 200_000
"""Rows of a plain file table whose values are located when the whole table is scanned."""


def _open(
    source: str | os.PathLike[str], crawl: CrawlLimits | None = None
) -> Iterator[TableSource | FailedTable]:
    try:
        from eduguard.discovery.connectors import open_source
    except ImportError as error:  # connectors are optional for in-memory scans
        raise SourceError(
            "connectors_missing", "未安装数据源连接器，无法读取该来源", str(error)
        ) from error
    return open_source(source, skipped=True, crawl=crawl)


def _failed(name: str, error: SourceError) -> TableReport:
    return TableReport(name=name, error={"code": error.code, "message": error.message_zh})


def scan(
    source: str | os.PathLike[str] | TableSource | list[TableSource],
    *,
    sample: int | None = DEFAULT_SAMPLE,
    rules: Rules | None = None,
    progress: ProgressCallback | None = None,
    crawl: CrawlLimits | None = None,
) -> ScanReport:
    """Discover, classify and grade every table of ``source``.

    ``source`` is a file, folder or database URL (read by ``discovery.connectors``), one table
    or a list of tables. ``sample`` rows are read per table (None: all rows). A table that cannot
    be read is reported with its error and the scan goes on; a folder's file that is not scanned
    (no reader for its type, hidden) is listed in ``report.skipped`` with the reason. An
    ``http(s)://`` source is a website crawled within ``crawl``'s limits (same host only).

    Raises :class:`~eduguard.discovery.model.infer.ModelError` before reading anything when the
    column model file is missing or damaged.
    """
    rules = rules or load_rules(None)
    load_model()
    tables: Iterable[TableSource | FailedTable]
    if isinstance(source, str | os.PathLike):
        label = os.fspath(source)
        try:
            tables = _open(source, crawl)
        except SourceError as error:
            return ScanReport(source=label, scanned_at=_now(), tables=[_failed(label, error)])
    elif isinstance(source, list):
        label = ", ".join(table.name for table in source) or "<memory>"
        tables = source
    else:
        label = source.name
        tables = [source]
    report = ScanReport(source=label, scanned_at=_now())
    iterator = iter(tables)
    while True:
        try:
            table = next(iterator)
        except StopIteration:
            break
        except (
            SourceError
        ) as error:  # the source itself failed part-way (e.g. a dropped connection)
            report.tables.append(_failed(label, error))
            break
        if isinstance(table, SkippedFile):
            reason = table.error
            report.skipped.append(
                {"name": table.name, "code": reason.code, "message": reason.message_zh}
            )
            continue
        if isinstance(table, FailedTable):
            report.tables.append(_failed(table.name, table.error))
            continue
        try:
            scanned = scan_table(table, sample=sample, rules=rules, progress=progress)
            if is_locatable(table):
                locate_findings(cast(Locatable, table), scanned, sample)
            elif (fmt := publishable_file(table)) is not None:
                # a CSV or a streamed sheet can be posted as it is: its unmasked direct
                # identifiers are a leak, as publish-check says (in the rows read: ``sample``,
                # at most LOCATE_MAX_ROWS when the whole table is scanned)
                located = RowsLocator(table, fmt)
                locate_findings(located, scanned, sample or LOCATE_MAX_ROWS)
        except SourceError as error:
            report.tables.append(_failed(table.name, error))
        else:
            report.tables.append(scanned)
    return report


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
