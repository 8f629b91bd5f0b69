"""Connectors: turn a SOURCE (file, folder, database URL) into tables the engine can read.

``open_source`` never raises for bad input: a file or database that cannot be read becomes a
:class:`~eduguard.discovery.sources.FailedTable` with a stable code and a Chinese message, and
the scan goes on with the rest. A table that fails part-way raises ``SourceError`` from its
``batches()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike
from pathlib import Path

from eduguard.discovery.connectors.database import (
    display_url,
    is_database_url,
    normalise_url,
    open_database,
)
from eduguard.discovery.connectors.files import SUPPORTED_SUFFIXES, open_file, open_folder
from eduguard.discovery.sources import FailedTable, SourceError, TableSource

__all__ = ["SUPPORTED_SUFFIXES", "describe_source", "is_database_url", "open_source"]


def open_source(source: str | PathLike[str]) -> Iterator[TableSource | FailedTable]:
    """The tables of ``source``: a file, a folder (recursively) or a SQLAlchemy database URL."""
    text = str(source)
    if is_database_url(text):
        yield from open_database(text)
        return
    path = Path(text).expanduser()
    if path.is_dir():
        yield from open_folder(path)
    elif path.is_file():
        yield from open_file(path, path.name)
    else:
        yield FailedTable(
            text,
            SourceError(
                "source_not_found",
                f"找不到数据源：{text}",
                f"no such file, folder or database: {text}",
            ),
        )


def describe_source(source: str | PathLike[str]) -> str:
    """``source`` as it may be shown in a report: a database URL without its password."""
    text = str(source)
    if is_database_url(text):
        try:
            return display_url(normalise_url(text))
        except SourceError:
            return text.split("@")[-1]
    return text
