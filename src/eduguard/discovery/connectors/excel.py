"""Excel workbooks: every sheet is a table; its header is found by layout detection.

Small ``.xlsx`` workbooks are read with their layout by :mod:`.sheets` (merged cells, hidden
parts); this module streams the rest and ``.xls``, finding the header on the first rows.

``.xlsx`` is read with openpyxl in read-only mode (rows streamed from the zip, memory bounded);
``.xls`` (at most 65,536 rows a sheet) with xlrd. A workbook is opened once to list its sheets
and again, closed afterwards, each time a sheet is read. Notes on the header cells (``.xlsx``)
and a second header row of Chinese descriptions under a row of field codes become the columns'
comments (:mod:`.excel_notes`).
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import xlrd

from eduguard.discovery.connectors._frames import (
    FILE_SECONDS,
    check_columns,
    rebatch,
    rows_frame,
)
from eduguard.discovery.connectors.excel_notes import column_letter, description_row, sheet_notes
from eduguard.discovery.connectors.layout import HEAD_ROWS, find_table
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS, FailedTable, SourceError


def _unreadable(name: str, error: Exception) -> SourceError:
    return SourceError(
        "unreadable_file",
        f"无法打开 Excel 文件“{name}”（文件损坏、加密，或不是 Excel 格式）：{error}",
        f"cannot open the Excel file {name}: {error}",
    )


MAX_UNCOMPRESSED = 2 << 30  # bytes a workbook may expand to (a 2 MB bomb expanded to 4.3 GB)
MAX_RATIO = 200  # compression ratio allowed for a large member (real sheets: ~5-50)
LARGE_MEMBER = 16 << 20


def check_zip(path: Path, name: str) -> None:
    """Refuse a zip bomb before openpyxl opens it: the members' declared sizes and ratios."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (OSError, zipfile.BadZipFile) as error:
        raise _unreadable(name, error) from error
    total = sum(member.file_size for member in members)
    bomb = total > MAX_UNCOMPRESSED or any(
        member.file_size > LARGE_MEMBER
        and member.file_size > MAX_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if bomb:
        raise SourceError(
            "zip_bomb",
            f"Excel 文件“{name}”解压后过大（{total / (1 << 20):,.0f} MB）或压缩比异常，"
            "疑似压缩炸弹，未扫描",
            f"{name} expands to {total} bytes or has an abnormal compression ratio",
        )


def _is_blank(row: Sequence[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def _frames(
    rows: Iterator[Sequence[Any]],
    chunk_rows: int,
    names_out: list[str],
    table_name: str,
    comments_out: dict[str, str] | None = None,
    notes: dict[str, str] | None = None,
    on_description: Callable[[], None] | None = None,
) -> Iterator[pl.DataFrame]:
    """The header found by layout detection (:mod:`.layout`: title and notes rows, a two-level
    header, empty header cells kept) on the first rows, then frames of ``chunk_rows`` rows.

    ``notes`` (cell reference → note) on header cells, and a description row under a header of
    codes, are written to ``comments_out`` before the first frame is yielded."""
    head: list[Sequence[Any]] = []
    for row in rows:
        head.append(row)
        if len(head) > HEAD_ROWS:
            break
    width = max((_width(row) for row in head), default=0)
    check_columns(width, table_name)
    grid = find_table([list(row[:width]) for row in head])
    if grid is None:
        return
    names = grid.names
    names_out.extend(names)
    chunk: list[Sequence[Any]] = list(grid.rows)
    if comments_out is not None:
        for number in grid.header_rows:  # 0-based rows of the sheet: notes are A1-style
            for index, name in enumerate(names):
                note = (notes or {}).get(f"{column_letter(index)}{number + 1}")
                if note:
                    comments_out.setdefault(name, note)
        described = description_row(names, chunk[0]) if chunk else None
        if described is not None:
            for name, text in described.items():
                comments_out.setdefault(name, text)
            chunk = chunk[1:]
            if on_description is not None:
                on_description()
    for row in rows:
        if _is_blank(row):
            continue
        chunk.append(row)
        if len(chunk) >= chunk_rows:
            yield rows_frame(names, chunk)
            chunk = []
    if chunk:
        yield rows_frame(names, chunk)


def _width(row: Sequence[Any]) -> int:
    """Cells up to the last non-empty one (a stray format at XFD1 does not make 16,384 columns)."""
    width = len(row)
    while width and (row[width - 1] is None or row[width - 1] == ""):
        width -= 1
    return width


class _Sheet:
    """What both workbook formats' sheets share: the header found by layout detection, header
    notes and a description row as column comments, frames of ``batch_rows`` rows."""

    name: str
    row_count: int | None
    columns: list[str]
    column_comments: dict[str, str]
    _described: bool

    def _rows(self) -> Iterator[Sequence[Any]]:
        raise NotImplementedError

    def _notes(self) -> dict[str, str] | None:
        return None  # header-cell notes: .xlsx only

    def _description_row_read(self) -> None:
        """The second row described the columns: one data row fewer than the sheet's rows."""
        if self.row_count is not None and not self._described:
            self.row_count = max(self.row_count - 1, 0)
        self._described = True

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        self.columns = []
        self.column_comments = {}
        yield from rebatch(
            _frames(
                self._rows(),
                batch_rows,
                self.columns,
                self.name,
                self.column_comments,
                self._notes(),
                self._description_row_read,
            ),
            batch_rows,
            limit,
            self.name,
            FILE_SECONDS,
        )


class XlsxSheet(_Sheet):
    """One sheet of an ``.xlsx`` workbook."""

    def __init__(self, path: Path, sheet: str, name: str, row_count: int | None) -> None:
        self.path = path
        self.sheet = sheet
        self.name = name
        self.comment: str | None = None
        self.column_comments: dict[str, str] = {}
        self.row_count = row_count
        self.columns: list[str] = []
        self._described = False
        self.sheet_hidden = False

    def _rows(self) -> Iterator[Sequence[Any]]:
        check_zip(self.path, self.name)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about styles it ignores
                workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
            raise _unreadable(self.name, error) from error
        try:
            yield from workbook[self.sheet].iter_rows(values_only=True)
        finally:
            workbook.close()

    def _notes(self) -> dict[str, str]:
        return sheet_notes(self.path, self.sheet)


class XlsSheet(_Sheet):
    """One sheet of a legacy ``.xls`` workbook."""

    def __init__(self, path: Path, sheet_index: int, name: str, row_count: int) -> None:
        self.path = path
        self.sheet_index = sheet_index
        self.name = name
        self.comment: str | None = None
        self.column_comments: dict[str, str] = {}
        self.row_count: int | None = max(row_count - 1, 0)
        self.columns: list[str] = []
        self._described = False

    def _rows(self) -> Iterator[Sequence[Any]]:
        try:
            book = xlrd.open_workbook(str(self.path), on_demand=True)
        except (OSError, xlrd.XLRDError, ValueError) as error:
            raise _unreadable(self.name, error) from error
        try:
            sheet = book.sheet_by_index(self.sheet_index)
            for index in range(sheet.nrows):
                yield [_xls_value(cell, book.datemode) for cell in sheet.row(index)]
        finally:
            book.release_resources()


def _xls_value(cell: Any, datemode: int) -> Any:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError):
            return cell.value
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    return cell.value


def open_xlsx(path: Path, name: str) -> Iterator[XlsxSheet | FailedTable]:
    try:
        check_zip(path, name)
    except SourceError as error:
        yield FailedTable(name, error)
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
        yield FailedTable(name, _unreadable(name, error))
        return
    try:
        sheets = [
            (sheet.title, sheet.max_row, getattr(sheet, "sheet_state", "visible") != "visible")
            for sheet in workbook.worksheets
        ]
    finally:
        workbook.close()
    for title, max_row, hidden in sheets:
        row_count = max_row - 1 if isinstance(max_row, int) and max_row > 0 else None
        sheet = XlsxSheet(path, title, f"{name}:{title}", row_count)
        sheet.sheet_hidden = hidden  # known when streamed too (merges and hidden rows are not)
        yield sheet


def open_xls(path: Path, name: str) -> Iterator[XlsSheet | FailedTable]:
    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except (OSError, xlrd.XLRDError, ValueError, AssertionError) as error:
        yield FailedTable(name, _unreadable(name, error))
        return
    try:
        sheets = [(index, book.sheet_by_index(index)) for index in range(book.nsheets)]
        listing = [(index, sheet.name, sheet.nrows) for index, sheet in sheets]
    finally:
        book.release_resources()
    for index, title, nrows in listing:
        yield XlsSheet(path, index, f"{name}:{title}", nrows)
