"""CSV and TSV files, streamed in blocks with pyarrow whatever their size or encoding.

The encoding is detected once from the head (:mod:`.encoding`); a non-UTF-8 file is transcoded
on the fly by pyarrow's transcoding stream, so a multi-GB GBK export streams like a UTF-8 one.
Every column is read as text (no type inference: an ID number must keep its leading zeros and
its ``X``). A byte sequence that does not decode raises ``decode_error`` for the table instead
of passing garbage to the detectors.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from eduguard.discovery.connectors._frames import (
    FILE_SECONDS,
    check_columns,
    rebatch,
    unique_names,
)
from eduguard.discovery.connectors.encoding import detect_encoding
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS, SourceError

BLOCK_SIZES = (1 << 20, 16 << 20, 256 << 20)
_STRADDLING = "straddling"
NULL_VALUES = ["", "NULL", "null", "\\N"]
_HEADER_BYTES = 1 << 20


def _header(head: bytes, encoding: str, delimiter: str, name: str) -> list[str]:
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    # Counted before parsing: a single line of millions of fields is refused at once.
    first = text.split("\n", 1)[0]
    check_columns(first.count(delimiter) + 1, name)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for row in reader:
        if any(cell.strip() for cell in row):
            check_columns(len(row), name)
            return unique_names(row)
    return []


def _row_estimate(size: int, head: bytes) -> int:
    """Rows (header excluded) estimated from the file's size and the line length of its first
    megabyte (``head``): no full read. Exact for a file the head covers, unless values hold
    newlines."""
    lines = head.count(b"\n") + (0 if head.endswith(b"\n") or not head else 1)
    if not head:
        return 0
    if size <= len(head):
        return max(lines - 1, 0)
    return max(round(size * head.count(b"\n") / len(head)) - 1, 0)


def _sniff_delimiter(head: bytes, encoding: str, default: str) -> str:
    """A ``.csv`` saved by a Chinese Excel may use ``;`` or tabs: trust a clear majority."""
    first_line = head.split(b"\n", 1)[0].decode(encoding, errors="ignore")
    counts = {candidate: first_line.count(candidate) for candidate in (",", "\t", ";", "|")}
    best = max(counts, key=counts.__getitem__)
    if counts[default] == 0 and counts[best] > 0:
        return best
    return default


def _batches_of(reader: pacsv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return


class DelimitedTable:
    """One CSV/TSV file as a table."""

    def __init__(self, path: Path, name: str, delimiter: str = ",") -> None:
        self.path = path
        self.name = name
        self.comment: str | None = None
        self.column_comments: dict[str, str] = {}
        self.row_count: int | None = None
        self.skipped_rows = 0
        self.encoding = detect_encoding(path)
        with path.open("rb") as handle:  # the first megabyte: header, delimiter, row estimate
            head = handle.read(_HEADER_BYTES)
        # for progress and subjects, never row_count
        self.row_estimate = _row_estimate(path.stat().st_size, head)
        self.delimiter = _sniff_delimiter(head, self.encoding, delimiter)
        self.columns = _header(head, self.encoding, self.delimiter, name)
        if not self.columns:
            raise SourceError(
                "empty_file", f"文件“{name}”没有表头和数据", f"{name} has no header row"
            )

    def _skip_invalid_row(self, _row: pacsv.InvalidRow) -> Literal["skip", "error"]:
        self.skipped_rows += 1
        return "skip"

    def _open(self, block_bytes: int) -> pacsv.CSVStreamingReader:
        read_options = pacsv.ReadOptions(
            block_size=block_bytes,
            column_names=self.columns,
            skip_rows=1,
            encoding=self.encoding,
        )
        parse_options = pacsv.ParseOptions(
            delimiter=self.delimiter,
            newlines_in_values=True,
            invalid_row_handler=self._skip_invalid_row,
        )
        convert_options = pacsv.ConvertOptions(
            column_types=dict.fromkeys(self.columns, pa.string()),
            null_values=NULL_VALUES,
            strings_can_be_null=True,
        )
        try:
            return pacsv.open_csv(
                self.path,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as error:
            if _STRADDLING in str(error):
                raise
            raise self._read_error(error) from error
        except OSError as error:
            raise SourceError(
                "unreadable_file", f"无法读取文件“{self.name}”：{error}", str(error)
            ) from error

    def _record_batches(self) -> Iterator[pl.DataFrame]:
        """Arrow record batches as frames; a bigger block when a row exceeds the block size.

        The block size bounds memory: Arrow reads up to ~32 blocks ahead of the parser, so
        16 MB blocks would hold ~0.5 GB. Blocks start at 1 MB; a row longer than a block (a
        note with an embedded picture) reopens the file with bigger blocks and skips the rows
        already yielded.
        """
        yielded = 0
        for block_bytes in BLOCK_SIZES:
            seen = 0
            try:
                with self._open(block_bytes) as reader:
                    for batch in _batches_of(reader):
                        frame = pl.from_arrow(batch)
                        assert isinstance(frame, pl.DataFrame)
                        seen += frame.height
                        if seen <= yielded:
                            continue
                        if seen - frame.height < yielded:
                            frame = frame.slice(yielded - (seen - frame.height))
                        yielded = seen
                        yield frame
                return
            except (pa.ArrowInvalid, UnicodeDecodeError) as error:
                if _STRADDLING in str(error) and block_bytes != BLOCK_SIZES[-1]:
                    continue
                raise self._read_error(error) from error

    def _read_error(self, error: Exception) -> SourceError:
        text = str(error)
        if isinstance(error, UnicodeDecodeError) or "UTF8" in text or "decode" in text:
            return SourceError(
                "decode_error",
                f"文件“{self.name}”中有无法按 {self.encoding} 解码的内容（文件可能混用了多种编码）",
                f"{self.name} contains bytes that are not valid {self.encoding}: {text}",
            )
        return SourceError(
            "parse_error",
            f"文件“{self.name}”不是有效的分隔符文本：{text}",
            f"{self.name} is not valid delimited text: {text}",
        )

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        yield from rebatch(self._record_batches(), batch_rows, limit, self.name, FILE_SECONDS)
