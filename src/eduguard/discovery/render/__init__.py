"""Renderers of a :class:`~eduguard.discovery.report.ScanReport`: table, json, xlsx, html."""

from __future__ import annotations

import io
from typing import Literal, get_args

from rich.console import Console

from eduguard.discovery.render.json_report import render_json
from eduguard.discovery.render.terminal import render_table
from eduguard.discovery.report import ScanReport

ReportFormat = Literal["table", "json", "xlsx", "html"]
FORMATS: tuple[str, ...] = get_args(ReportFormat)

__all__ = [
    "FORMATS",
    "ReportFormat",
    "render_bytes",
    "render_html",
    "render_json",
    "render_table",
    "render_xlsx",
]


def __getattr__(name: str) -> object:
    """``render_html`` and ``render_xlsx`` imported on first use."""
    if name == "render_html":
        from eduguard.discovery.render.html import render_html

        return render_html
    if name == "render_xlsx":
        from eduguard.discovery.render.excel import render_xlsx

        return render_xlsx
    raise AttributeError(name)


def render_bytes(report: ScanReport, report_format: ReportFormat) -> bytes:
    """The report as a file's content (``table`` as plain text, 160 columns wide)."""
    if report_format == "json":
        return render_json(report).encode("utf-8")
    if report_format == "html":  # jinja2 and openpyxl are imported for their formats only
        from eduguard.discovery.render.html import render_html

        return render_html(report).encode("utf-8")
    if report_format == "xlsx":
        from eduguard.discovery.render.excel import render_xlsx

        return render_xlsx(report)
    buffer = io.StringIO()
    render_table(report, Console(file=buffer, width=160, no_color=True, highlight=False))
    return buffer.getvalue().encode("utf-8")
