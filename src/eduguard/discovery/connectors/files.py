"""Files and folders: which reader a path needs, and the walk over a folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from eduguard.discovery.connectors.columnar import JsonLinesTable, ParquetTable, open_json
from eduguard.discovery.connectors.delimited import DelimitedTable
from eduguard.discovery.sources import FailedTable, SourceError, TableSource
from eduguard.source_urls import SourcePolicy

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
            from eduguard.discovery.connectors.excel import open_xlsx  # openpyxl: when needed

            yield from open_xlsx(path, name)
        elif suffix == ".xls":
            from eduguard.discovery.connectors.excel import open_xls

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


def _outside(relative: str) -> SourceError:
    return SourceError(
        "path_outside_source",
        f"“{relative}”（解析符号链接后）位于所扫描文件夹之外或 eduguard 数据目录内，已拒绝读取",
        f"{relative} resolves outside the scanned folder or into eduguard's home",
    )


def _walk(folder: Path, forbidden: list[Path]) -> Iterator[Path]:
    """Entries under ``folder`` in path order; symbolic links to folders, and folders inside
    ``forbidden``, are yielded but not entered."""
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return
    for child in children:
        yield child
        if child.is_dir() and not child.is_symlink():
            resolved = child.resolve()
            if not any(resolved.is_relative_to(f) for f in forbidden):
                yield from _walk(child, forbidden)


def open_folder(
    folder: Path, policy: SourcePolicy | None = None
) -> Iterator[TableSource | FailedTable]:
    """Every supported file under ``folder``, recursively, in a stable order.

    Hidden files and folders (``.git``, ``~$`` Excel lock files) are skipped; table names are
    paths relative to ``folder``. Every path is resolved: a symbolic link leading outside
    ``folder`` (or into ``policy.forbidden``, eduguard's home) is refused, never followed.
    """
    found = False
    root = folder.resolve()
    forbidden = [f.expanduser().resolve() for f in (policy.forbidden if policy else ())]
    for path in _walk(folder, forbidden):
        relative = path.relative_to(folder)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue
        resolved = path.resolve()
        walled = any(resolved.is_relative_to(f) for f in forbidden)
        if not (walled or path.is_symlink() or path.suffix.lower() in _FOLDER_SUFFIXES):
            continue
        if walled or not resolved.is_relative_to(root):
            found = True
            yield FailedTable(relative.as_posix(), _outside(relative.as_posix()))
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
