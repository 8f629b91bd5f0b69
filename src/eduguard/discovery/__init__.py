"""Sensitive-data discovery and grading (``eduguard scan``).

Public contract: ../shared/contracts/scan-report.md and pi-types.md.

``scan(source)`` returns a :class:`ScanReport`; ``scan_table(table)`` one :class:`TableReport`;
``find_spans(text)`` the personal information in one free text (for masking).
"""

from __future__ import annotations

from eduguard.discovery.api import DEFAULT_SAMPLE, scan
from eduguard.discovery.engine import ProgressCallback, scan_table
from eduguard.discovery.report import ColumnReport, ScanReport, TableReport
from eduguard.discovery.sources import DataFrameTable, FailedTable, SourceError, TableSource
from eduguard.discovery.textscan import Span, extract_spans, find_spans

__all__ = [
    "DEFAULT_SAMPLE",
    "ColumnReport",
    "DataFrameTable",
    "FailedTable",
    "ProgressCallback",
    "ScanReport",
    "SourceError",
    "Span",
    "TableReport",
    "TableSource",
    "extract_spans",
    "find_spans",
    "scan",
    "scan_table",
]
