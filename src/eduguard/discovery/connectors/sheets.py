"""Excel sheets read with their layout: merged cells, title and notes rows, hidden parts.

A published workbook (公示名单) is laid out for people: a merged title over the table, notes
rows, a two-level header (家庭成员 over 姓名 and 关系), header cells left empty, and sometimes a
hidden sheet, hidden rows or hidden columns still holding the raw data. A workbook up to
:data:`LAYOUT_MAX_BYTES` is opened whole with openpyxl (not read-only: merged ranges and hidden
rows and columns are only known so), every merged range filled with its value, and each sheet's
table found by :mod:`.layout`. Each sheet says what of it is hidden, and every finding is a cell
(“学生!C5（隐藏列）”). Larger workbooks are streamed (``excel.XlsxSheet``): the header is still
found by layout detection on the first rows, but merges and hidden parts are not known.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from eduguard.discovery.connectors._frames import check_columns, rows_frame
from eduguard.discovery.connectors.documents import DocumentPart, TextCollector
from eduguard.discovery.connectors.excel import XlsxSheet, check_zip, open_xlsx
from eduguard.discovery.connectors.excel_notes import description_row, sheet_notes
from eduguard.discovery.connectors.layout import Grid, find_table
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS, FailedTable, SourceError

LAYOUT_MAX_BYTES = 5 << 20  # openpyxl needs ~50× the file in memory when not read-only
MAX_CELLS = 5_000_000  # cells of one sheet read with its layout


@dataclass
class SheetPart(DocumentPart):
    """One sheet's table, with the Excel row of each data row and the letter of each column."""

    sheet: str = ""
    excel_rows: list[int] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[str] = frozenset()

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        if self.frame.height == 0:
            raise SourceError(
                "empty_table", f"“{self.name}”中没有数据行", f"{self.name} has no rows"
            )
        yield from super().batches(batch_rows, limit)

    def locate(self, row: int, column: str) -> str:
        excel_row = self.excel_rows[row]
        letter = self.letters.get(column, "?")
        hidden = []
        if self.hidden.get("sheet"):
            hidden.append("隐藏工作表")
        if excel_row in self.hidden_rows:
            hidden.append("隐藏行")
        if letter in self.hidden_columns:
            hidden.append("隐藏列")
        marks = f"（{'、'.join(hidden)}）" if hidden else ""
        return f"{self.sheet}!{letter}{excel_row}{marks}"


def _values(sheet: Worksheet, name: str) -> list[list[Any]]:
    """The sheet's values from A1, every merged range filled with its top-left value."""
    rows = sheet.max_row or 0
    columns = sheet.max_column or 0
    if rows * columns > MAX_CELLS:
        raise SourceError(
            "too_many_cells",
            f"工作表“{name}”有 {rows:,} 行 × {columns:,} 列，超过按版式读取的上限，未扫描",
            f"{name} has {rows} x {columns} cells",
        )
    values = [list(row) for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)]
    width = max((_last(row) for row in values), default=0)
    check_columns(width, name)
    for merged in sheet.merged_cells.ranges:
        top = (
            values[merged.min_row - 1][merged.min_col - 1]
            if merged.min_row <= len(values)
            else None
        )
        for r in range(merged.min_row, min(merged.max_row, len(values)) + 1):
            row = values[r - 1]
            for c in range(merged.min_col, min(merged.max_col, len(row)) + 1):
                row[c - 1] = top
    return values


def _last(row: list[Any]) -> int:
    return max((index + 1 for index, cell in enumerate(row) if cell not in (None, "")), default=0)


def _hidden(sheet: Worksheet) -> tuple[frozenset[int], frozenset[str]]:
    rows = frozenset(index for index, dim in sheet.row_dimensions.items() if dim.hidden)
    columns: set[str] = set()
    for dim in sheet.column_dimensions.values():
        if dim.hidden and dim.min is not None and dim.max is not None:
            columns.update(get_column_letter(c) for c in range(dim.min, dim.max + 1))
    return rows, frozenset(columns)


def _comments(
    path: Path, sheet: str, names: list[str], grid: Grid
) -> tuple[dict[str, str], list[list[str | None]], list[int]]:
    """Column comments from the header cells' notes and from a row of Chinese descriptions under
    a header of field codes (that row is then not data); the data rows and their numbers."""
    notes = sheet_notes(path, sheet)
    comments: dict[str, str] = {}
    for number in grid.header_rows:
        for index, name in enumerate(names, start=1):
            note = notes.get(f"{get_column_letter(index)}{number + 1}")
            if note:
                comments.setdefault(name, note)
    rows, numbers = list(grid.rows), list(grid.row_numbers)
    described = description_row(names, rows[0]) if rows else None
    if described is not None:
        for name, text in described.items():
            comments.setdefault(name, text)
        rows, numbers = rows[1:], numbers[1:]
    return comments, rows, numbers


def _sheet_parts(path: Path, name: str, sheet: Worksheet) -> Iterator[DocumentPart]:
    table_name = f"{name}:{sheet.title}"
    values = _values(sheet, table_name)
    hidden_rows, hidden_columns = _hidden(sheet)
    hidden: dict[str, list[str]] = {}
    if sheet.sheet_state != "visible":
        hidden["sheet"] = [sheet.sheet_state]  # hidden or veryHidden
    document = {"path": name, "format": path.suffix.lower().lstrip("."), "part": "sheet"}
    grid = find_table(values)
    if grid is None:
        yield SheetPart(table_name, pl.DataFrame(), [], document, sheet=sheet.title, hidden=hidden)
        return
    if hidden_rows:
        hidden["rows"] = [str(row) for row in sorted(hidden_rows) if row <= len(values)][:1000]
    if hidden_columns:
        hidden["columns"] = sorted(hidden_columns, key=lambda letter: (len(letter), letter))
    hidden = {key: value for key, value in hidden.items() if value}
    comments, rows, numbers = _comments(path, sheet.title, grid.names, grid)
    excel_rows = [number + 1 for number in numbers]
    yield SheetPart(
        name=table_name,
        frame=rows_frame(grid.names, rows),
        locations=[f"{sheet.title}!第 {row} 行" for row in excel_rows],
        document=document,
        comment=grid.title,
        column_comments=comments,
        hidden=hidden,
        sheet=sheet.title,
        excel_rows=excel_rows,
        letters={column: get_column_letter(i) for i, column in enumerate(grid.names, start=1)},
        hidden_rows=hidden_rows,
        hidden_columns=hidden_columns,
    )
    notes = TextCollector(table_name)
    for number, text in grid.notes:
        notes.add(text, f"{sheet.title}!第 {number + 1} 行")
    prose = notes.part(table_name, document["format"], grid.title)
    if prose is not None:
        prose.name = f"{table_name}:说明"
        yield prose


def open_xlsx_layout(path: Path, name: str) -> Iterator[DocumentPart | FailedTable]:
    """Every sheet of a small workbook, read with its layout (the caller checked for bombs)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it ignores
            workbook = openpyxl.load_workbook(path, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as error:
        yield FailedTable(
            name,
            SourceError(
                "unreadable_file",
                f"无法打开 Excel 文件“{name}”（文件损坏、加密，或不是 Excel 格式）：{error}",
                f"cannot open the Excel file {name}: {error}",
            ),
        )
        return
    try:
        for sheet in workbook.worksheets:
            try:
                yield from _sheet_parts(path, name, sheet)
            except SourceError as error:
                yield FailedTable(f"{name}:{sheet.title}", error)
    finally:
        workbook.close()


def open_workbook(path: Path, name: str) -> Iterator[DocumentPart | XlsxSheet | FailedTable]:
    """An ``.xlsx``: with its layout up to :data:`LAYOUT_MAX_BYTES`, streamed beyond."""
    try:
        check_zip(path, name)
        size = path.stat().st_size
    except SourceError as error:
        yield FailedTable(name, error)
        return
    except OSError as error:
        yield FailedTable(name, SourceError("unreadable_file", f"无法读取文件“{name}”：{error}"))
        return
    if size <= LAYOUT_MAX_BYTES:
        yield from open_xlsx_layout(path, name)
    else:
        yield from open_xlsx(path, name)
