"""The one writer of every spreadsheet and CSV export (scan, mask, release, catalog, audit).

Values in exports come from outside: file, table and column names of scanned systems, data
values being de-identified, account names typed at the login form. Two rules for every text
cell, applied here and nowhere else:

* **Control characters are escaped**, visibly: ESC becomes the four characters ``\\x1b``,
  U+202E becomes ``\\u202e`` (Unicode categories Cc and Cf; tab, line feed and carriage return
  are kept inside a cell). openpyxl refuses most controls (an export would fail), and a
  terminal or viewer would act on them.
* **No cell starts a formula** (CSV/Excel formula injection): a text starting with ``=``,
  ``+``, ``-``, ``@``, tab or carriage return gets a leading single quote, so
  ``=HYPERLINK(…)`` is shown as text, never evaluated.

CSV meant for Excel starts with a UTF-8 byte order mark (Excel reads Chinese correctly only
then; csv/polars/pandas readers skip it).

Office-ready sheets (:func:`write_table`): a bold header row that stays in view when
scrolling, an auto-filter over the table, and column widths fitted to the content (a Chinese
character counts two). Downloads are named for people (:func:`attachment`: the UTF-8 name as
RFC 5987 ``filename*`` and an ASCII name for old clients).
"""

from __future__ import annotations

import csv
import functools
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    import polars as pl
    from openpyxl import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_BOM = "\ufeff"
_KEPT_IN_CELLS = "\t\n\r"


@functools.cache
def control_characters() -> str:
    """Every code point of Unicode categories Cc and Cf (computed once, on first use)."""
    return "".join(
        chr(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in ("Cc", "Cf")
    )


def _class(characters: str) -> str:
    return "[" + "".join(f"\\U{ord(char):08x}" for char in characters) + "]"


@functools.cache
def _pattern(keep: str) -> re.Pattern[str]:
    return re.compile(_class("".join(c for c in control_characters() if c not in keep)))


def visible(char: str) -> str:
    """``\\x1b`` for ESC, ``\\u202e`` for U+202E: what is shown in place of a control."""
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_controls(text: str, keep: str = _KEPT_IN_CELLS) -> str:
    """``text`` with every control character (except those in ``keep``) shown escaped."""
    return _pattern(keep).sub(lambda match: visible(match.group()), text)


def has_controls(text: str, keep: str = "") -> bool:
    return _pattern(keep).search(text) is not None


def safe_text(text: str) -> str:
    escaped = escape_controls(text)
    return "'" + escaped if escaped.startswith(FORMULA_START) else escaped


def safe_cell(value: Any) -> Any:
    """A cell value as every export writes it (only text is changed)."""
    return safe_text(value) if isinstance(value, str) else value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


class CsvExport:
    """``csv.writer`` whose every row goes through :func:`safe_row`; with ``bom`` (the
    default), the first write starts with the UTF-8 byte order mark."""

    def __init__(self, handle: IO[str], *, bom: bool = True, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(handle, lineterminator=lineterminator)
        if bom:
            handle.write(CSV_BOM)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow(safe_row(values))


def append(sheet: Worksheet | WriteOnlyWorksheet, values: Iterable[Any]) -> None:
    """Append one row to an openpyxl sheet (write-only or not), every cell made safe."""
    sheet.append(safe_row(values))


def text_width(value: Any) -> int:
    """How many columns ``value`` takes in a spreadsheet: its longest line, a wide character
    (East Asian width W or F: Chinese, full-width punctuation) counting two."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    return max(
        (
            sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in line)
            for line in text.split("\n")
        ),
        default=0,
    )


def column_widths(
    rows: Iterable[Sequence[Any]], *, minimum: int = 6, maximum: int = 60
) -> list[float]:
    """One width per column: the widest cell plus a little room, between the bounds (long
    texts wrap rather than make a column a screen wide)."""
    widest: list[int] = []
    for row in rows:
        for index, value in enumerate(row):
            if index == len(widest):
                widest.append(0)
            widest[index] = max(widest[index], text_width(value))
    return [float(min(max(width + 2, minimum), maximum)) for width in widest]


def write_table(
    sheet: Worksheet | WriteOnlyWorksheet,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    maximum_width: int = 60,
    sample: int = 1000,
) -> int:
    """``header`` and ``rows`` as an office-ready table on an empty sheet: widths fitted to
    the header and the first ``sample`` rows, the header bold and frozen, an auto-filter over
    every row. ``rows`` may be a stream (only the sample is held: a write-only sheet takes its
    widths and frozen pane before its first row). Returns the number of rows written."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    target: Any = sheet  # a write-only sheet has these attributes too (not in the stubs)
    stream = iter(rows)
    first = [safe_row(row) for _index, row in zip(range(sample), stream, strict=False)]
    header_cells = safe_row(header)
    widths = column_widths([header_cells, *first], maximum=maximum_width)
    for index, width in enumerate(widths, start=1):
        target.column_dimensions[get_column_letter(index)].width = width
    target.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    top = Alignment(vertical="top", wrap_text=True)
    styled = []
    for value in header_cells:
        cell = WriteOnlyCell(target, value=value)
        cell.font, cell.fill, cell.alignment = bold, fill, top
        styled.append(cell)
    sheet.append(styled)
    for safe in first:
        sheet.append(safe)
    count = len(first)
    for row in stream:
        sheet.append(safe_row(row))
        count += 1
    last = get_column_letter(max(len(header_cells), 1))
    target.auto_filter.ref = f"A1:{last}{count + 1}"
    return count


_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def file_name(*parts: str, suffix: str) -> str:
    """``单位-数据资源目录-20261202.xlsx``: the parts joined by "-", characters that a file
    system or a header refuses replaced by "_"."""
    cleaned = [_UNSAFE_IN_NAMES.sub("_", escape_controls(part, keep="")).strip() for part in parts]
    return "-".join(part for part in cleaned if part) + "." + suffix


def attachment(filename: str, fallback: str) -> str:
    """A ``Content-Disposition`` header value: ``fallback`` (ASCII) for old clients, the
    UTF-8 ``filename`` (RFC 5987 / RFC 6266 ``filename*``) for every current browser."""
    ascii_name = fallback.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def write_only_workbook() -> Workbook:
    from openpyxl import Workbook

    return Workbook(write_only=True)


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The same rules on a polars frame, column-wise (the masking writer's batches)."""
    import polars as pl

    strings = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not strings:
        return frame
    controls = _class("".join(c for c in control_characters() if c not in _KEPT_IN_CELLS))
    expressions = []
    for name in strings:
        column = pl.col(name)
        found = frame.get_column(name).str.extract_all(controls).explode().drop_nulls().unique()
        for char in found.to_list():
            column = column.str.replace_all(char, visible(char), literal=True)
        expressions.append(
            pl.when(column.str.contains(r"^[=+\-@\t\r]"))
            .then(pl.lit("'") + column)
            .otherwise(column)
            .alias(name)
        )
    return frame.with_columns(expressions)
