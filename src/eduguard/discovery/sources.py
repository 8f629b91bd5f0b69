"""What the scan engine reads: tables, each yielding bounded batches of rows.

Connectors (``discovery.connectors``) turn a SOURCE (file, folder, database URL) into
``TableSource`` objects; the engine (``discovery.engine``) reads them batch by batch, so memory
stays bounded by the batch size whatever the size of the source.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import polars as pl

DEFAULT_BATCH_ROWS = 50_000


class TableSource(Protocol):
    """One table (or file, or sheet) to scan."""

    name: str
    comment: str | None
    column_comments: dict[str, str]
    row_count: int | None  # when known without a full read, else None

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        """Yield the table's rows in frames of at most ``batch_rows`` rows, ``limit`` rows in all.

        Raises :class:`SourceError` when the table cannot be read.
        """
        ...


class SourceError(Exception):
    """A table or file that cannot be read. ``code`` is stable; the message is Chinese first."""

    def __init__(self, code: str, message_zh: str, message_en: str | None = None) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        super().__init__(message_zh)


@dataclass
class FailedTable:
    """A table that could not even be opened: reported with its error, the scan goes on."""

    name: str
    error: SourceError


@dataclass
class SkippedFile(FailedTable):
    """A file of a folder that was not scanned on purpose (a type no reader knows, a hidden or
    lock file): listed in the report's ``skipped`` with its reason, never silently left out."""


@dataclass
class DataFrameTable:
    """An in-memory table: for the library API, tests and benchmarks."""

    name: str
    frame: pl.DataFrame
    comment: str | None = None
    column_comments: dict[str, str] = field(default_factory=dict)
    # optional, as a connector may give them: declared SQL types, key kinds ("auto_increment",
    # "primary") — read by the engine with ``getattr``, so other tables need not have them
    column_types: dict[str, str] = field(default_factory=dict)
    column_keys: dict[str, str] = field(default_factory=dict)

    @property
    def row_count(self) -> int | None:
        return self.frame.height

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        frame = self.frame if limit is None else self.frame.head(limit)
        for offset in range(0, frame.height, batch_rows):
            yield frame.slice(offset, batch_rows)
