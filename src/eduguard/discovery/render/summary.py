"""The figures every report shows first: how much was scanned, what was found, what failed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from eduguard.discovery.report import ColumnReport, ScanReport, TableReport, highest_level

SENSITIVE_LEVELS = ("core", "important", "general-4")


@dataclass
class ReportSummary:
    tables: int = 0
    tables_failed: int = 0
    tables_personal: int = 0
    tables_minors: int = 0
    columns: int = 0
    columns_personal: int = 0
    columns_sensitive: int = 0
    columns_minors: int = 0
    rows_sampled: int = 0
    subjects: int = 0
    highest_level: str = "general-1"
    pi_type_counts: list[tuple[str, int]] = field(default_factory=list)
    failed: list[TableReport] = field(default_factory=list)


def is_personal(column: ColumnReport) -> bool:
    return bool(column.pi_types)


def is_highlighted(column: ColumnReport) -> bool:
    """Columns a school officer must look at: sensitive, children's, or graded 4 and above."""
    return column.sensitive or column.minors or column.level in SENSITIVE_LEVELS


def summarise(report: ScanReport) -> ReportSummary:
    summary = ReportSummary()
    type_counts: Counter[str] = Counter()
    levels: list[str] = []
    for table in report.tables:
        summary.tables += 1
        if table.error is not None:
            summary.tables_failed += 1
            summary.failed.append(table)
        if table.minors:
            summary.tables_minors += 1
        if any(is_personal(column) for column in table.columns):
            summary.tables_personal += 1
        summary.rows_sampled += table.rows_sampled
        summary.subjects += table.subjects or 0
        levels.append(table.level)
        for column in table.columns:
            summary.columns += 1
            levels.append(column.level)
            if is_personal(column):
                summary.columns_personal += 1
                type_counts.update(column.pi_types)
            summary.columns_sensitive += column.sensitive
            summary.columns_minors += column.minors
    summary.highest_level = highest_level(levels)
    summary.pi_type_counts = sorted(type_counts.items(), key=lambda item: (-item[1], item[0]))
    return summary
