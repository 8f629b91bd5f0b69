"""Documents as tables: each table in a document is a table, its prose one free-text column.

A Word, PDF, HTML or text document becomes :class:`DocumentPart` s: every table found in it
(header found by :mod:`.layout`, so a title row or a two-level header is read as such) is
scanned like a CSV, column by column; the prose (paragraphs, headers and footers, comments,
lines of a page, the text of a web page, titles and notes around the tables) is one column
``正文`` that the engine hands to the free-text scanner. Every row keeps where it came from
(“第 2 页 第 5 行”, “表格 1 第 3 行”, “段落 12”), so a finding can be located.

Documents are read whole, one at a time, and bounded: a file larger than
:data:`MAX_DOCUMENT_BYTES`, a zip that expands too far, or more text than
:data:`MAX_TEXT_CHARS` is refused with a clear error; the rest of a folder is still scanned.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import docx
import polars as pl
from docx.document import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from eduguard.discovery.connectors._frames import check_columns, rows_frame
from eduguard.discovery.connectors.encoding import detect_encoding
from eduguard.discovery.connectors.excel import LARGE_MEMBER, MAX_RATIO, MAX_UNCOMPRESSED
from eduguard.discovery.connectors.layout import Grid, find_table
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS, FailedTable, SourceError

MAX_DOCUMENT_BYTES = 100 << 20  # a published document larger than this is refused
MAX_TEXT_CHARS = 20_000_000  # characters of text one document may give
TEXT_COLUMN = "正文"


def too_large(name: str, size: int, limit: int = MAX_DOCUMENT_BYTES) -> SourceError:
    return SourceError(
        "file_too_large",
        f"文件“{name}”有 {size / (1 << 20):,.0f} MB，超过文档上限 {limit >> 20} MB，未扫描",
        f"{name} is {size} bytes, over the {limit} byte limit for documents",
    )


def check_size(path: Path, name: str) -> None:
    """Refuse a document larger than :data:`MAX_DOCUMENT_BYTES` before reading it."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise SourceError("unreadable_file", f"无法读取文件“{name}”：{error}") from error
    if size > MAX_DOCUMENT_BYTES:
        raise too_large(name, size)


def check_archive(path: Path, name: str, kind: str) -> None:
    """Refuse a zip-based document (``.docx``) that is not a zip, or is a zip bomb, unopened."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (OSError, zipfile.BadZipFile) as error:
        raise _unreadable(name, kind, error) from error
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED or any(
        member.file_size > LARGE_MEMBER
        and member.file_size > MAX_RATIO * max(member.compress_size, 1)
        for member in members
    ):
        raise SourceError(
            "zip_bomb",
            f"{kind}“{name}”解压后过大（{total / (1 << 20):,.0f} MB）或压缩比异常，"
            "疑似压缩炸弹，未扫描",
            f"{name} expands to {total} bytes or has an abnormal compression ratio",
        )


@dataclass
class DocumentPart:
    """One table of a document, or its prose (one column ``正文``): an in-memory table."""

    name: str
    frame: pl.DataFrame
    locations: list[str]  # where each row is, in the document
    document: dict[str, str]  # {"path", "format", "part": "table" | "text"}
    comment: str | None = None
    column_comments: dict[str, str] = field(default_factory=dict)
    # how a column is named in a location ("第 3 列", Excel "C")
    column_refs: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, list[str]] = field(default_factory=dict)
    row_count: int | None = None

    def __post_init__(self) -> None:
        self.row_count = self.frame.height

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        frame = self.frame if limit is None else self.frame.head(limit)
        for offset in range(0, frame.height, batch_rows):
            yield frame.slice(offset, batch_rows)

    def locate(self, row: int, column: str) -> str:
        """Where the value of ``column`` in ``row`` is, for a person to find it."""
        where = self.locations[row] if row < len(self.locations) else f"第 {row + 1} 行"
        if self.document.get("part") == "text":
            return where
        ref = self.column_refs.get(column)
        return f"{where}，{ref}" if ref else f"{where}，“{column}”列"


class TextCollector:
    """The prose of one document, line by line with each line's location, bounded in size."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: list[str] = []
        self.locations: list[str] = []
        self.chars = 0

    def add(self, text: str | None, where: str) -> None:
        if text is None or not text.strip():
            return
        self.chars += len(text)
        if self.chars > MAX_TEXT_CHARS:
            raise SourceError(
                "document_too_large",
                f"文档“{self.name}”的文字超过 {MAX_TEXT_CHARS:,} 字，未扫描",
                f"{self.name} holds more than {MAX_TEXT_CHARS} characters of text",
            )
        self.lines.append(text.strip())
        self.locations.append(where)

    def part(self, name: str, fmt: str, title: str | None = None) -> DocumentPart | None:
        if not self.lines:
            return None
        frame = pl.DataFrame({TEXT_COLUMN: pl.Series(TEXT_COLUMN, self.lines, dtype=pl.Utf8)})
        return DocumentPart(
            name=f"{name}:{TEXT_COLUMN}",
            frame=frame,
            locations=self.locations,
            document={"path": name, "format": fmt, "part": "text"},
            comment=title,
        )


def table_part(
    name: str,
    fmt: str,
    label: str,
    grid: Grid,
    where_row: Sequence[str],
    column_refs: Sequence[str] | None = None,
) -> DocumentPart | None:
    """A table found in a document (``where_row``: the location of each grid row)."""
    if not grid.rows:
        return None
    check_columns(len(grid.names), f"{name}:{label}")
    frame = rows_frame(grid.names, grid.rows)
    refs = dict(zip(grid.names, column_refs, strict=False)) if column_refs is not None else {}
    return DocumentPart(
        name=f"{name}:{label}",
        frame=frame,
        locations=[where_row[number] for number in grid.row_numbers],
        document={"path": name, "format": fmt, "part": "table"},
        comment=grid.title,
        column_refs=refs
        or {column: f"第 {index} 列（{column}）" for index, column in enumerate(grid.names, 1)},
    )


def grid_parts(
    name: str,
    fmt: str,
    label: str,
    rows: Sequence[Sequence[object]],
    where_row: Sequence[str],
    text: TextCollector,
    title: str | None = None,
) -> Iterator[DocumentPart]:
    """A document table: its data as a table, its title and notes rows as prose. ``title``: the
    line above the table, for a table without a title row of its own."""
    grid = find_table(rows)
    if grid is None:
        return
    if grid.title is None and title:
        grid.title = title  # (already in the prose: not added twice)
    elif grid.title:
        text.add(grid.title, f"{label}标题")
    for number, note in grid.notes:
        text.add(note, where_row[number])
    if len(grid.names) < 2:  # a one-column "table" is layout, not data: its cells are prose
        for number, row in zip(grid.row_numbers, grid.rows, strict=True):
            text.add(" ".join(cell for cell in row if cell), where_row[number])
        return
    part = table_part(name, fmt, label, grid, where_row)
    if part is not None:
        yield part


def _unreadable(name: str, kind: str, error: Exception) -> SourceError:
    return SourceError(
        "unreadable_file",
        f"无法打开{kind}“{name}”（文件损坏、加密或不是该格式）：{error}",
        f"cannot open the {kind} {name}: {error}",
    )


# -- Word ------------------------------------------------------------------------------------


def _word_rows(table: Table) -> list[list[str | None]]:
    """A Word table's cell texts, merged cells filled in (a horizontal merge in each column it
    spans, a vertical one in each row): straight from the XML, as python-docx's ``row.cells``
    recomputes the whole grid for every row."""
    rows: list[list[str | None]] = []
    above: dict[int, str | None] = {}
    for tr in table._tbl.tr_lst:
        row: list[str | None] = []
        for tc in tr.tc_lst:
            column = len(row)
            if tc.vMerge == "continue":
                text = above.get(column)
            else:
                text = "\n".join(
                    "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
                    for paragraph in tc.iter(qn("w:p"))
                )
            for offset in range(max(tc.grid_span, 1)):
                row.append(text)
                above[column + offset] = text
        rows.append(row)
    return rows


def _docx_comments(document: Document, text: TextCollector) -> None:
    """Review comments and their authors: both are published with the file."""
    try:
        comments = list(document.comments)
    except (AttributeError, KeyError, ValueError):
        return
    for index, comment in enumerate(comments, start=1):
        text.add(comment.text, f"批注 {index}")
        text.add(comment.author, f"批注 {index} 作者")


def open_docx(path: Path, name: str) -> Iterator[DocumentPart | FailedTable]:
    """A Word ``.docx``: body paragraphs and tables in order, headers and footers, comments."""
    try:
        check_size(path, name)
        check_archive(path, name, "Word 文档")
    except SourceError as error:
        yield FailedTable(name, error)
        return
    try:
        document: Document = docx.Document(str(path))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
        yield FailedTable(name, _unreadable(name, "Word 文档", error))
        return
    except Exception as error:  # python-docx raises lxml and package errors of its own
        yield FailedTable(name, _unreadable(name, "Word 文档", error))
        return
    text = TextCollector(name)
    parts: list[DocumentPart] = []
    try:
        paragraph_no = 0
        table_no = 0
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                paragraph_no += 1
                text.add(block.text, f"段落 {paragraph_no}")
            elif isinstance(block, Table):
                table_no += 1
                label = f"表格{table_no}"
                rows = _word_rows(block)
                where = [f"表格 {table_no} 第 {index + 1} 行" for index in range(len(rows))]
                parts.extend(grid_parts(name, "docx", label, rows, where, text))
        for number, section in enumerate(document.sections, start=1):
            for kind, story in (("页眉", section.header), ("页脚", section.footer)):
                if story.is_linked_to_previous:
                    continue
                for paragraph in story.paragraphs:
                    text.add(paragraph.text, f"第 {number} 节{kind}")
        _docx_comments(document, text)
    except SourceError as error:
        yield FailedTable(name, error)
        return
    title = (document.core_properties.title or "").strip() or None
    prose = text.part(name, "docx", title)
    if not parts and prose is None:
        yield FailedTable(name, SourceError("empty_document", f"Word 文档“{name}”中没有文字"))
        return
    yield from parts
    if prose is not None:
        yield prose


# -- plain text ------------------------------------------------------------------------------


def open_text(path: Path, name: str) -> Iterator[DocumentPart | FailedTable]:
    """A ``.txt``/``.md`` document: encoding detected (GBK included), one row per line."""
    try:
        check_size(path, name)
        encoding = detect_encoding(path)
        content = path.read_bytes().decode(encoding)
    except SourceError as error:
        yield FailedTable(name, error)
        return
    except UnicodeDecodeError as error:
        yield FailedTable(
            name,
            SourceError(
                "decode_error",
                f"文件“{name}”中有无法按 {encoding} 解码的字节（第 {error.start} 字节附近）",
            ),
        )
        return
    text = TextCollector(name)
    try:
        for number, line in enumerate(content.lstrip("\ufeff").splitlines(), start=1):
            text.add(line, f"第 {number} 行")
    except SourceError as error:
        yield FailedTable(name, error)
        return
    fmt = path.suffix.lower().lstrip(".") or "txt"
    prose = text.part(name, fmt)
    if prose is None:
        yield FailedTable(name, SourceError("empty_file", f"文件“{name}”是空的"))
        return
    yield prose
