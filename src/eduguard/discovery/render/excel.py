"""``--format xlsx``: a workbook a school's data officer can read without help.

Sheet 1 《摘要》: what was scanned and found, failed tables with reasons, and how to read the
workbook. Sheet 2 《字段清单》: one row per column, sensitive and children's columns filled red,
filterable, with the evidence for each answer. Sheet 3 《表清单》: one row per table.
Every row goes through ``eduguard.exports``: file, table and column names come from the scanned
system and are shown as text (never a formula, no control character).
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from eduguard import exports
from eduguard.discovery.render.labels import level_label, pi_type_label, pi_types_text, yes_no
from eduguard.discovery.render.summary import is_highlighted, is_personal, summarise
from eduguard.discovery.report import ScanReport

_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_SENSITIVE_FILL = PatternFill("solid", fgColor="F8CBAD")
_PERSONAL_FILL = PatternFill("solid", fgColor="FFF2CC")
_FAILED_FILL = PatternFill("solid", fgColor="D9D9D9")
_TITLE_FONT = Font(bold=True, size=14)
_WRAP = Alignment(wrap_text=True, vertical="top")

COLUMN_HEADERS = (
    "表名",
    "字段名",
    "字段注释",
    "个人信息类型",
    "敏感个人信息",
    "未成年人信息",
    "分类",
    "级别",
    "置信度",
    "判断依据",
)
TABLE_HEADERS = ("表名", "表注释", "总行数", "抽样行数", "级别", "估计人数", "未成年人信息", "状态")
_GUIDE = (
    "红色底纹：敏感个人信息、未成年人信息或一般数据 4 级及以上的字段，应优先保护。",
    "黄色底纹：其他个人信息字段。",
    "级别按 GB/T 43697-2024《数据安全技术 数据分类分级规则》：核心、重要、一般数据 4–1 级；"
    "表的级别取其字段的最高级别（就高从严）。",
    "“重要数据”仅为建议，需按规定认定。扫描结果须经人工复核后方可纳入数据资源目录。",
)


def _header_row(sheet: Worksheet, headers: tuple[str, ...], widths: tuple[int, ...]) -> None:
    exports.append(sheet, list(headers))
    for index, width in enumerate(widths, start=1):
        cell = sheet.cell(row=sheet.max_row, column=index)
        cell.fill = _HEADER_FILL
        cell.font = _HEADER_FONT
        cell.alignment = _WRAP
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{sheet.max_row + 1}"


def _fill_row(sheet: Worksheet, fill: PatternFill | None) -> None:
    for cell in sheet[sheet.max_row]:
        cell.alignment = _WRAP
        if fill is not None:
            cell.fill = fill


def _summary_sheet(sheet: Worksheet, report: ScanReport) -> None:
    summary = summarise(report)
    sheet.title = "摘要"
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 90
    exports.append(sheet, ["数据扫描报告（eduguard）"])
    sheet["A1"].font = _TITLE_FONT
    rows: list[tuple[str, str | int]] = [
        ("数据源", report.source),
        ("扫描时间", report.scanned_at),
        ("扫描表数", summary.tables),
        ("失败表数", summary.tables_failed),
        ("含个人信息的表", summary.tables_personal),
        ("含个人信息的字段", f"{summary.columns_personal}（共 {summary.columns} 个字段）"),
        ("敏感个人信息字段", summary.columns_sensitive),
        ("含未成年人信息的表", summary.tables_minors),
        ("最高级别", level_label(summary.highest_level)),
        ("估计涉及人数（各表之和）", summary.subjects),
    ]
    for label, value in rows:
        exports.append(sheet, [label, value])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        if label == "敏感个人信息字段" and summary.columns_sensitive:
            sheet.cell(row=sheet.max_row, column=2).fill = _SENSITIVE_FILL
    if summary.pi_type_counts:
        exports.append(sheet, [])
        exports.append(sheet, ["发现的个人信息类型", "字段数"])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        for code, count in summary.pi_type_counts:
            exports.append(sheet, [pi_type_label(code), count])
    if summary.failed:
        exports.append(sheet, [])
        exports.append(sheet, ["未能扫描的表", "原因"])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        for table in summary.failed:
            error = table.error or {}
            exports.append(
                sheet, [table.name, f"[{error.get('code', '')}] {error.get('message', '')}"]
            )
            _fill_row(sheet, _FAILED_FILL)
    if report.skipped:
        exports.append(sheet, [])
        exports.append(sheet, ["未扫描的文件", "原因"])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        for entry in report.skipped:
            exports.append(sheet, [entry["name"], f"[{entry['code']}] {entry['message']}"])
            _fill_row(sheet, _FAILED_FILL)
    exports.append(sheet, [])
    exports.append(sheet, ["如何阅读"])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    for line in _GUIDE:
        exports.append(sheet, ["", line])
        _fill_row(sheet, None)


def _tables_sheet(sheet: Worksheet, report: ScanReport) -> None:
    _header_row(sheet, TABLE_HEADERS, (30, 24, 10, 10, 16, 10, 12, 50))
    for table in report.tables:
        status = "扫描完成" if table.error is None else f"失败：{table.error.get('message', '')}"
        exports.append(
            sheet,
            [
                table.name,
                table.comment or "",
                table.row_count,
                table.rows_sampled,
                level_label(table.level),
                table.subjects,
                yes_no(table.minors),
                status,
            ],
        )
        if table.error is not None:
            _fill_row(sheet, _FAILED_FILL)
        elif table.minors or table.level in ("core", "important", "general-4"):
            _fill_row(sheet, _SENSITIVE_FILL)
    sheet.auto_filter.ref = sheet.dimensions


def _columns_sheet(sheet: Worksheet, report: ScanReport) -> None:
    _header_row(sheet, COLUMN_HEADERS, (26, 20, 20, 24, 12, 12, 22, 16, 9, 70))
    for table in report.tables:
        for column in table.columns:
            exports.append(
                sheet,
                [
                    table.name,
                    column.name,
                    column.comment or "",
                    pi_types_text(column.pi_types) if column.pi_types else "",
                    yes_no(column.sensitive),
                    yes_no(column.minors),
                    column.category or "",
                    level_label(column.level),
                    round(column.confidence, 4),
                    "\n".join(column.evidence),
                ],
            )
            if is_highlighted(column):
                _fill_row(sheet, _SENSITIVE_FILL)
            elif is_personal(column):
                _fill_row(sheet, _PERSONAL_FILL)
            else:
                _fill_row(sheet, None)
            sheet.cell(row=sheet.max_row, column=9).number_format = "0%"
    sheet.auto_filter.ref = sheet.dimensions


def build_workbook(report: ScanReport) -> Workbook:
    workbook = Workbook()
    summary_sheet = workbook.active
    assert summary_sheet is not None
    _summary_sheet(summary_sheet, report)
    _columns_sheet(workbook.create_sheet("字段清单"), report)
    _tables_sheet(workbook.create_sheet("表清单"), report)
    return workbook


def render_xlsx(report: ScanReport) -> bytes:
    buffer = io.BytesIO()
    build_workbook(report).save(buffer)
    return buffer.getvalue()


def write_xlsx(report: ScanReport, path: Path) -> None:
    path.write_bytes(render_xlsx(report))
