"""Shared helpers: every connector hands the engine polars frames of ``Utf8`` columns.

Values are turned into text once, here, so detectors see one representation whatever the
source: ISO dates, integers without a trailing ``.0``, binary as base64 (a JPEG portrait starts
``/9j/``), nested values as JSON.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import polars as pl

from eduguard.discovery.sources import SourceError

_CASTABLE = (
    pl.Boolean,
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.UInt64,
    pl.Float32,
    pl.Float64,
    pl.Decimal,
    pl.Date,
    pl.Datetime,
    pl.Time,
    pl.Duration,
    pl.Categorical,
    pl.Enum,
    pl.Null,
)


def value_text(value: Any) -> str | None:
    """One Python value as the text a detector sees (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN is a missing value, not text
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def to_utf8_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast every column of ``frame`` to ``Utf8`` (one cast per column)."""
    columns: list[pl.Series] = []
    for series in frame.get_columns():
        dtype = series.dtype
        if dtype == pl.Utf8:
            columns.append(series)
        elif isinstance(dtype, _CASTABLE) or dtype in _CASTABLE:
            columns.append(series.cast(pl.Utf8))
        elif dtype == pl.Struct:
            columns.append(series.struct.json_encode())
        else:  # binary, lists, objects: rare, converted value by value
            texts = [value_text(value) for value in series.to_list()]
            columns.append(pl.Series(series.name, texts, dtype=pl.Utf8))
    return pl.DataFrame(columns)


def unique_names(raw: Sequence[object]) -> list[str]:
    """Header cells as column names: blanks named ``column_N``, duplicates suffixed ``_2``."""
    names: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(raw, start=1):
        base = value_text(cell)
        base = base.strip() if base else ""
        base = base or f"column_{index}"
        name, suffix = base, 2
        while name in seen:
            name, suffix = f"{base}_{suffix}", suffix + 1
        seen.add(name)
        names.append(name)
    return names


def rows_frame(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> pl.DataFrame:
    """Python rows (each as long as ``names`` or shorter) as a frame of text columns."""
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for row in rows:
        for index in range(width):
            columns[index].append(value_text(row[index]) if index < len(row) else None)
    return pl.DataFrame(
        {
            name: pl.Series(name, values, dtype=pl.Utf8)
            for name, values in zip(names, columns, strict=True)
        }
    )


MAX_COLUMNS = 10_000  # a table wider than this is refused (a 5-million-column line never ends)
MAX_NESTING = 100  # JSON nested deeper than this is refused (100k deep: RecursionError)
FILE_SECONDS = 600.0  # reading one file may take this long (checked between batches)


def check_columns(count: int, table_name: str) -> None:
    """Raise ``too_many_columns`` for a table wider than :data:`MAX_COLUMNS`."""
    if count > MAX_COLUMNS:
        raise SourceError(
            "too_many_columns",
            f"“{table_name}”有 {count:,} 列以上，超过上限 {MAX_COLUMNS:,} 列，未扫描",
            f"{table_name} has more than {MAX_COLUMNS} columns ({count})",
        )


def too_deep(table_name: str) -> SourceError:
    return SourceError(
        "json_too_deep",
        f"“{table_name}”中的 JSON 嵌套超过 {MAX_NESTING} 层，未扫描",
        f"{table_name} nests JSON deeper than {MAX_NESTING} levels",
    )


def check_nesting(value: Any, table_name: str) -> None:
    """Raise ``json_too_deep`` when ``value`` nests lists/objects deeper than the limit."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_NESTING:
                raise too_deep(table_name)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def rebatch(
    frames: Iterable[pl.DataFrame],
    batch_rows: int,
    limit: int | None,
    table_name: str,
    seconds: float | None = None,
) -> Iterator[pl.DataFrame]:
    """Re-cut ``frames`` into frames of exactly ``batch_rows`` rows (the last may be shorter).

    Stops after ``limit`` rows. Raises ``empty_table`` when the source has no rows at all: the
    report lists an empty table as an error rather than as a table with nothing in it, and
    ``file_too_slow`` when reading takes longer than ``seconds`` (checked between frames).
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    deadline = None if seconds is None else time.monotonic() + seconds
    remaining = limit
    pending: list[pl.DataFrame] = []
    pending_rows = 0
    emitted = 0
    for frame in frames:
        if deadline is not None and time.monotonic() > deadline:
            raise SourceError(
                "file_too_slow",
                f"读取“{table_name}”超过 {seconds:.0f} 秒，已停止（文件过大或结构异常）",
                f"reading {table_name} took longer than {seconds:.0f} s",
            )
        if remaining is not None:
            if remaining <= 0:
                break
            frame = frame.head(remaining)
            remaining -= frame.height
        if frame.height == 0:
            continue
        pending.append(frame)
        pending_rows += frame.height
        while pending_rows >= batch_rows:
            joined = pl.concat(pending, how="diagonal") if len(pending) > 1 else pending[0]
            yield joined.slice(0, batch_rows)
            emitted += batch_rows
            rest = joined.slice(batch_rows)
            pending, pending_rows = ([rest], rest.height) if rest.height else ([], 0)
    if pending_rows:
        emitted += pending_rows
        yield pl.concat(pending, how="diagonal") if len(pending) > 1 else pending[0]
    if emitted == 0 and (limit is None or limit > 0):
        raise SourceError(
            "empty_table",
            f"“{table_name}”中没有数据行",
            f"{table_name} has no rows",
        )
