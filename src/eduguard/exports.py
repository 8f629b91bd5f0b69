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
"""

from __future__ import annotations

import csv
import functools
import re
import sys
import unicodedata
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

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
