"""Files and folders: which reader a path needs, and the walk over a folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from eduguard.discovery.connectors.columnar import JsonLinesTable, ParquetTable, open_json
from eduguard.discovery.connectors.ddlfile import open_ddl
from eduguard.discovery.connectors.delimited import DelimitedTable
from eduguard.discovery.connectors.encoding import detect_encoding
from eduguard.discovery.sources import FailedTable, SkippedFile, SourceError, TableSource
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
    ".sql",
    ".docx",
    ".pptx",
    ".pdf",
    ".html",
    ".htm",
    ".md",
    ".zip",
)
_FOLDER_SUFFIXES = frozenset(SUPPORTED_SUFFIXES)
_ARCHIVE_SUFFIXES = frozenset(SUPPORTED_SUFFIXES) - {".zip"}  # a zip in a zip is not opened
_SUPPORTED_TEXT = (
    "CSV/TSV、Excel、Parquet、JSON/JSONL、SQL 表结构（.sql）、Word（.docx）、PowerPoint（.pptx）、PDF、网页、"
    "文本（.txt/.md）、zip 压缩包"
)


def _delimited_text(path: Path) -> str | None:
    """The delimiter of a ``.txt`` that is really a table (Excel's "Text (Tab delimited)", a CSV
    renamed): every one of its first lines has as many tabs (or 2+ commas) as the first. Else
    None: the file is prose."""
    try:
        encoding = detect_encoding(path)
        with path.open("rb") as handle:
            head = handle.read(64 << 10).decode(encoding, errors="ignore").lstrip("\ufeff")
    except (SourceError, OSError):
        return None
    lines = [line for line in head.splitlines()[:20] if line.strip()]
    if len(head) == 64 << 10 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    if len(lines) < 2:
        return None
    for delimiter, least in (("\t", 1), (",", 2)):
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and min(counts) >= least:
            return delimiter
    return None


def open_file(
    path: Path, name: str, *, skipped: bool = False
) -> Iterator[TableSource | FailedTable]:
    """The tables in one file (several for a workbook, a document or a JSON object of arrays;
    every readable member of a ``.zip``). ``skipped``: a zip's members no reader knows are
    yielded as :class:`SkippedFile` s."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            yield DelimitedTable(path, name, ",")
        elif suffix == ".txt" and (delimiter := _delimited_text(path)) is not None:
            yield DelimitedTable(path, name, delimiter)
        elif suffix in (".txt", ".md"):
            from eduguard.discovery.connectors.documents import open_text  # python-docx

            yield from open_text(path, name)
        elif suffix == ".docx":
            from eduguard.discovery.connectors.documents import open_docx

            yield from open_docx(path, name)
        elif suffix == ".pptx":
            from eduguard.discovery.connectors.slides import open_pptx  # python-pptx

            yield from open_pptx(path, name)
        elif suffix == ".pdf":
            from eduguard.discovery.connectors.pdf import open_pdf  # pypdf: when needed

            yield from open_pdf(path, name)
        elif suffix in (".html", ".htm"):
            from eduguard.discovery.connectors.webpages import open_html  # lxml: when needed

            yield from open_html(path, name)
        elif suffix == ".zip":
            from eduguard.discovery.connectors.archives import open_zip

            yield from open_zip(path, name, open_file, _ARCHIVE_SUFFIXES, skipped)
        elif suffix == ".tsv":
            yield DelimitedTable(path, name, "\t")
        elif suffix in (".xlsx", ".xlsm"):
            from eduguard.discovery.connectors.sheets import open_workbook  # openpyxl: when needed

            yield from open_workbook(path, name)
        elif suffix == ".xls":
            from eduguard.discovery.connectors.excel import open_xls

            yield from open_xls(path, name)
        elif suffix == ".parquet":
            yield ParquetTable(path, name)
        elif suffix in (".jsonl", ".ndjson"):
            yield JsonLinesTable(path, name)
        elif suffix == ".json":
            yield from open_json(path, name)
        elif suffix == ".sql":
            yield from open_ddl(path, name)
        else:
            yield FailedTable(
                name,
                SourceError(
                    "unsupported_format",
                    f"不支持的文件格式“{suffix or path.name}”：支持 {_SUPPORTED_TEXT}",
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


def _skipped(relative: str, path: Path, hidden: bool) -> SkippedFile:
    if hidden:
        kind_zh, kind_en = (
            ("隐藏文件夹", "hidden folder") if path.is_dir() else ("隐藏文件", "hidden file")
        )
        if path.name.startswith("~$"):
            kind_zh, kind_en = "Office 临时文件（~$ 开头）", "Office lock file"
        return SkippedFile(
            relative,
            SourceError(
                "hidden_file",
                f"“{relative}”是{kind_zh}，未扫描",
                f"{relative} is a {kind_en}: not scanned",
            ),
        )
    suffix = path.suffix.lower() or path.name
    return SkippedFile(
        relative,
        SourceError(
            "unsupported_format",
            f"“{relative}”的格式“{suffix}”无法读取，未扫描（支持 {_SUPPORTED_TEXT}）",
            f"{relative}: no reader for {suffix!r}, not scanned",
        ),
    )


def open_folder(
    folder: Path, policy: SourcePolicy | None = None, *, skipped: bool = False
) -> Iterator[TableSource | FailedTable]:
    """Every supported file under ``folder``, recursively, in a stable order.

    Hidden files and folders (``.git``, ``~$`` Excel lock files) are not scanned; table names are
    paths relative to ``folder``. Every path is resolved: a symbolic link leading outside
    ``folder`` (or into ``policy.forbidden``, eduguard's home) is refused, never followed.
    With ``skipped``, each file (or hidden folder) not scanned is yielded as a
    :class:`SkippedFile` with its reason, so a report can list it.
    """
    found = False
    root = folder.resolve()
    forbidden = [f.expanduser().resolve() for f in (policy.forbidden if policy else ())]
    for path in _walk(folder, forbidden):
        relative = path.relative_to(folder)
        hidden = [part.startswith((".", "~$")) for part in relative.parts]
        if any(hidden):
            if skipped and not any(hidden[:-1]):  # the hidden entry itself, not what it holds
                yield _skipped(relative.as_posix(), path, hidden=True)
            continue
        resolved = path.resolve()
        walled = any(resolved.is_relative_to(f) for f in forbidden)
        supported = path.suffix.lower() in _FOLDER_SUFFIXES
        if not (walled or path.is_symlink() or supported):
            if skipped and path.is_file():
                yield _skipped(relative.as_posix(), path, hidden=False)
            continue
        if walled or not resolved.is_relative_to(root):
            found = True
            yield FailedTable(relative.as_posix(), _outside(relative.as_posix()))
            continue
        if path.is_file() and supported:
            found = True
            yield from open_file(path, relative.as_posix(), skipped=skipped)
    if not found:
        yield FailedTable(
            folder.name or str(folder),
            SourceError(
                "no_supported_files",
                f"文件夹“{folder}”中没有可扫描的文件（{_SUPPORTED_TEXT}）",
                f"no supported files under {folder}",
            ),
        )
