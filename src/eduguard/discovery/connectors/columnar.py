"""Parquet and JSON/JSONL files.

Parquet is read batch by batch (``ParquetFile.iter_batches``); its row count comes free from the
footer, and the comments it carries become column and table comments (:func:`parquet_comments`:
a field's ``comment``/``description`` metadata, Spark's row metadata, the schema's own). JSONL is read a block of lines at a time, so it streams; a ``.json`` document (an array
of records, or an object whose values are arrays of records) is read whole: large exports should
be JSONL.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from eduguard.discovery.connectors._frames import (
    FILE_SECONDS,
    check_columns,
    check_nesting,
    rebatch,
    rows_frame,
    to_utf8_frame,
    too_deep,
    unique_names,
)
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS, FailedTable, SourceError

JSONL_BLOCK_BYTES = 8 << 20
_COMMENT_KEYS = (b"comment", b"COMMENT", b"description", b"DESCRIPTION", b"doc", b"label")
_SPARK_ROW_METADATA = b"org.apache.spark.sql.parquet.row.metadata"
logger = logging.getLogger("eduguard.discovery.columnar")


def _metadata_text(metadata: dict[bytes, bytes] | None) -> str | None:
    for key in _COMMENT_KEYS:
        value = (metadata or {}).get(key)
        if value and value.strip():
            return value.decode("utf-8", errors="replace").strip()
    return None


def parquet_comments(schema: pa.Schema) -> tuple[str | None, dict[str, str]]:
    """(table comment, column comments) a Parquet file's schema carries.

    A field's metadata ``comment`` (Hive, Arrow writers) or ``description``/``doc``/``label``;
    where a field has none, the comment Spark keeps in its row metadata (a JSON schema under
    ``org.apache.spark.sql.parquet.row.metadata``); the schema's own ``comment`` or
    ``description`` is the table's.
    """
    columns: dict[str, str] = {}
    for field in schema:
        text = _metadata_text(field.metadata)
        if text:
            columns[field.name] = text
    spark = (schema.metadata or {}).get(_SPARK_ROW_METADATA)
    if spark:
        try:
            fields = json.loads(spark).get("fields", [])
            for item in fields if isinstance(fields, list) else []:
                comment = (item.get("metadata") or {}).get("comment")
                name = item.get("name")
                if isinstance(name, str) and isinstance(comment, str) and comment.strip():
                    columns.setdefault(name, comment.strip())
        except (ValueError, AttributeError) as error:  # not JSON, or not Spark's shape
            logger.warning("Spark row metadata not read: %s", error)
    return _metadata_text(schema.metadata), columns


def _unreadable(name: str, kind: str, error: Exception) -> SourceError:
    return SourceError(
        "unreadable_file",
        f"无法读取 {kind} 文件“{name}”（文件损坏或不是 {kind} 格式）：{error}",
        f"cannot read the {kind} file {name}: {error}",
    )


class ParquetTable:
    """A Parquet file as one table."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.comment: str | None = None
        self.column_comments: dict[str, str] = {}
        try:
            with pq.ParquetFile(path) as parquet:
                self.row_count: int | None = parquet.metadata.num_rows
                schema = parquet.schema_arrow
        except (OSError, pa.ArrowException) as error:
            raise _unreadable(name, "Parquet", error) from error
        check_columns(len(schema), name)
        self.comment, self.column_comments = parquet_comments(schema)

    def _frames(self, batch_rows: int) -> Iterator[pl.DataFrame]:
        try:
            with pq.ParquetFile(self.path) as parquet:
                for batch in parquet.iter_batches(batch_size=batch_rows):
                    frame = pl.from_arrow(batch)
                    assert isinstance(frame, pl.DataFrame)
                    yield to_utf8_frame(frame)
        except (OSError, pa.ArrowException) as error:
            raise _unreadable(self.name, "Parquet", error) from error

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        yield from rebatch(self._frames(batch_rows), batch_rows, limit, self.name, FILE_SECONDS)


def _records_frame(records: list[Any], table_name: str) -> pl.DataFrame:
    """Records (dicts) as text columns; the union of their keys, in order of appearance."""
    keys: dict[str, None] = {}
    for record in records:
        if isinstance(record, dict):
            keys.update(dict.fromkeys(str(key) for key in record))
            check_columns(len(keys), table_name)
    names = list(keys)
    rows = [
        [record.get(key) for key in names] if isinstance(record, dict) else [record]
        for record in records
    ]
    return rows_frame(unique_names(names) if names else ["value"], rows)


class JsonLinesTable:
    """A JSON Lines file (one record per line), read a block of lines at a time."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.comment: str | None = None
        self.column_comments: dict[str, str] = {}
        self.row_count: int | None = None

    def _blocks(self) -> Iterator[bytes]:
        try:
            with self.path.open("rb") as handle:
                while True:
                    block = handle.read(JSONL_BLOCK_BYTES)
                    if not block:
                        return
                    block += handle.readline()  # end on a line boundary
                    yield block
        except OSError as error:
            raise _unreadable(self.name, "JSON Lines", error) from error

    def _frames(self) -> Iterator[pl.DataFrame]:
        line_number = 0
        for block in self._blocks():
            try:
                frame = pl.read_ndjson(io.BytesIO(block), infer_schema_length=None)
                check_columns(frame.width, self.name)
                yield to_utf8_frame(frame)
            except (pl.exceptions.PolarsError, ValueError):
                # mixed types or a broken line: fall back to the json module for exact messages
                yield _records_frame(self._parse_lines(block, line_number), self.name)
            line_number += block.count(b"\n")

    def _parse_lines(self, block: bytes, first_line: int) -> list[Any]:
        records: list[Any] = []
        for offset, line in enumerate(block.splitlines(), start=first_line + 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except RecursionError as error:
                raise too_deep(self.name) from error
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise SourceError(
                    "parse_error",
                    f"文件“{self.name}”第 {offset} 行不是有效的 JSON：{error}",
                    f"{self.name} line {offset} is not valid JSON: {error}",
                ) from error
            check_nesting(record, self.name)
            records.append(record)
        return records

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        yield from rebatch(self._frames(), batch_rows, limit, self.name, FILE_SECONDS)


class JsonRecordsTable:
    """An array of records already parsed from a ``.json`` document."""

    def __init__(self, name: str, records: list[Any]) -> None:
        self.name = name
        self.comment: str | None = None
        self.column_comments: dict[str, str] = {}
        self.row_count: int | None = len(records)
        self.records = records

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        records = self.records if limit is None else self.records[:limit]
        frames = (
            _records_frame(records[start : start + batch_rows], self.name)
            for start in range(0, len(records), batch_rows)
        )
        yield from rebatch(frames, batch_rows, limit, self.name, FILE_SECONDS)


def open_json(path: Path, name: str) -> Iterator[JsonRecordsTable | JsonLinesTable | FailedTable]:
    """A ``.json`` file: an array of records, an object of arrays, or JSON Lines after all."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        yield FailedTable(name, _unreadable(name, "JSON", error))
        return
    if not raw.strip():
        yield FailedTable(
            name, SourceError("empty_file", f"文件“{name}”是空的", f"{name} is empty")
        )
        return
    try:
        document = json.loads(raw.decode("utf-8-sig"))
        check_nesting(document, name)
    except RecursionError:
        yield FailedTable(name, too_deep(name))
        return
    except SourceError as error:
        yield FailedTable(name, error)
        return
    except UnicodeDecodeError as error:
        yield FailedTable(
            name,
            SourceError(
                "decode_error", f"JSON 文件“{name}”不是 UTF-8 编码", f"{name} is not UTF-8: {error}"
            ),
        )
        return
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":  # several documents, one per line: JSON Lines
            yield JsonLinesTable(path, name)
            return
        yield FailedTable(
            name,
            SourceError(
                "parse_error",
                f"文件“{name}”不是有效的 JSON：{error}",
                f"{name} is not valid JSON: {error}",
            ),
        )
        return
    if isinstance(document, list):
        yield JsonRecordsTable(name, document)
        return
    if isinstance(document, dict):
        arrays = {key: value for key, value in document.items() if isinstance(value, list)}
        if arrays:
            for key, records in arrays.items():
                yield JsonRecordsTable(f"{name}:{key}", records)
        else:
            yield JsonRecordsTable(name, [document])
        return
    yield FailedTable(
        name,
        SourceError(
            "unsupported_json_shape",
            f"JSON 文件“{name}”既不是记录数组也不是对象，无法作为表格扫描",
            f"{name} holds neither an array of records nor an object",
        ),
    )
