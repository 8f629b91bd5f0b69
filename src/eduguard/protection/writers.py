"""Writing the de-identified copy: CSV, Parquet or XLSX, batch by batch, to a temporary file.

Nothing appears under the output name until everything is written: each file is written
next to its target under a hidden temporary name and renamed into place at the end
(``os.replace`` is atomic on one file system). A failure removes the temporary file.
CSV and XLSX cells go through ``eduguard.exports`` (no formula, no control character; CSV with
a byte order mark for Excel); Parquet keeps the values as they are.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

import polars as pl
import pyarrow.parquet as pq

from eduguard import exports

OutputFormat = Literal["csv", "parquet", "xlsx"]
FORMATS: tuple[OutputFormat, ...] = ("csv", "parquet", "xlsx")
XLSX_MAX_ROWS = 1_048_575


class WriteError(Exception):
    def __init__(self, message_zh: str) -> None:
        self.message_zh = message_zh
        super().__init__(message_zh)


def temporary_path(target: Path) -> Path:
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(descriptor)
    return Path(name)


class TableWriter:
    """Append frames to one output file; ``commit()`` renames it into place."""

    def __init__(self, target: Path, output_format: OutputFormat) -> None:
        self.target = target
        self.format = output_format
        self.temporary = temporary_path(target)
        self.rows = 0
        self.header: list[str] = []
        self._handle: IO[bytes] | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._xlsx: list[pl.DataFrame] = []

    def write(self, frame: pl.DataFrame) -> None:
        if self.format == "csv":
            if self._handle is None:
                self._handle = self.temporary.open("wb")
                self._handle.write(_csv_header(frame.columns))
            exports.safe_frame(frame).write_csv(self._handle, include_header=False)
        elif self.format == "parquet":
            table = frame.to_arrow()
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.temporary, table.schema)
            self._parquet.write_table(table)
        else:
            if self.rows + frame.height > XLSX_MAX_ROWS:
                raise WriteError(f"XLSX 最多 {XLSX_MAX_ROWS} 行，请改用 --format csv 或 parquet")
            self._xlsx.append(frame)
        self.rows += frame.height

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def commit(self) -> None:
        header = self.header
        if self.format == "xlsx":
            _write_xlsx(self.temporary, self._xlsx, header)
        elif self.rows == 0:
            empty = pl.DataFrame(schema=dict.fromkeys(header, pl.String))
            self.write(empty)
        self._close()
        os.replace(self.temporary, self.target)

    def abort(self) -> None:
        self._close()
        with contextlib.suppress(FileNotFoundError):
            self.temporary.unlink()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            self.abort()


def _write_xlsx(path: Path, frames: list[pl.DataFrame], header: list[str]) -> None:
    workbook = exports.write_only_workbook()
    sheet = workbook.create_sheet("data")
    # Fitted widths, a frozen header and a filter (rows streamed from the batches).
    exports.write_table(sheet, header, (row for frame in frames for row in frame.iter_rows()))
    workbook.save(path)


def _csv_header(columns: list[str]) -> bytes:
    """Byte order mark and header line (column names come from the source: made safe too)."""
    buffer = io.StringIO()
    exports.CsvExport(buffer, lineterminator="\n").writerow(columns)  # as polars ends lines
    return buffer.getvalue().encode("utf-8")


def write_text_atomically(target: Path, text: str) -> None:
    temporary = temporary_path(target)
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
