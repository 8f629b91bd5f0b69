"""Files and folders: which reader a path needs, and the walk over a folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from eduguard.discovery.connectors.columnar import JsonLinesTable, ParquetTable, open_json
from eduguard.discovery.connectors.delimited import DelimitedTable
from eduguard.discovery.connectors.excel import open_xls, open_xlsx
from eduguard.discovery.sources import FailedTable, SourceError, TableSource

SUPPORTED_SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".xlsx",
    ".xlsm",
    ".xls",
    ".parquet",
    ".json",
    ".jsonl",
    ".ndjson",
)
_FOLDER_SUFFIXES = frozenset(SUPPORTED_SUFFIXES) - {".txt"}


def open_file(path: Path, name: str) -> Iterator[TableSource | FailedTable]:
    """The tables in one file (several for a workbook or a JSON object of arrays)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            yield DelimitedTable(path, name, ",")
        elif suffix == ".tsv":
            yield DelimitedTable(path, name, "\t")
        elif suffix in (".xlsx", ".xlsm"):
            yield from open_xlsx(path, name)
        elif suffix == ".xls":
            yield from open_xls(path, name)
        elif suffix == ".parquet":
            yield ParquetTable(path, name)
        elif suffix in (".jsonl", ".ndjson"):
            yield JsonLinesTable(path, name)
        elif suffix == ".json":
            yield from open_json(path, name)
        else:
            yield FailedTable(
                name,
                SourceError(
                    "unsupported_format",
                    f"不支持的文件格式“{suffix or path.name}”"
                    "：支持 CSV/TSV、Excel、Parquet、JSON/JSONL",
                    f"unsupported file type {suffix or path.name!r}",
                ),
            )
    except SourceError as error:
        yield FailedTable(name, error)


def open_folder(folder: Path) -> Iterator[TableSource | FailedTable]:
    """Every supported file under ``folder``, recursively, in a stable order.

    Hidden files and folders (``.git``, ``~$`` Excel lock files) are skipped; table names are
    paths relative to ``folder``.
    """
    found = False
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue
        if path.is_file() and path.suffix.lower() in _FOLDER_SUFFIXES:
            found = True
            yield from open_file(path, relative.as_posix())
    if not found:
        yield FailedTable(
            folder.name or str(folder),
            SourceError(
                "no_supported_files",
                f"文件夹“{folder}”中没有可扫描的文件（CSV/TSV、Excel、Parquet、JSON/JSONL）",
                f"no supported files under {folder}",
            ),
        )
