"""PDF documents with a text layer, read with pypdf: tables by the position of text, page by page.

pypdf gives each piece of text with its position. Pieces on one baseline make a line; pieces
far apart on a line are separate cells. A run of lines of two or more cells under a header
line (three or more labels) is a table; the same header (or rows of the same width) at the top
of the next page continues it, so a table across pages is one table. Every other line is prose.
Rows and lines keep their page (“第 2 页 第 5 行”).

A page with no text at all (a scan, a photograph) cannot be checked: the document is reported
as ``needs_ocr`` (需要OCR), never as clean. An encrypted PDF that needs a password is refused
with ``encrypted_file``; one encrypted only against editing (empty user password) is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from eduguard.discovery.connectors.documents import (
    DocumentPart,
    TextCollector,
    check_size,
    grid_parts,
)
from eduguard.discovery.sources import FailedTable, SourceError

MAX_PAGES = 2000
_LINE_TOLERANCE = 2.5  # points: pieces whose baselines differ less are on one line
_CELL_GAP = 0.5  # font sizes: a wider gap between two pieces of a line separates cells
_SPACE_GAP = 0.15  # font sizes: a wider gap inside a cell is a space


@dataclass
class _Piece:
    x: float
    y: float
    size: float
    text: str


@dataclass
class _Line:
    page: int
    number: int
    cells: list[tuple[float, str]] = field(default_factory=list)  # (x, text)
    pieces: list[tuple[float, str]] = field(default_factory=list)  # as drawn, before joining

    @property
    def text(self) -> str:
        return " ".join(cell for _, cell in self.cells)


def _width(text: str, size: float) -> float:
    """An estimate of the printed width: CJK characters one em, others about half."""
    return sum(1.0 if ord(char) > 0x2E7F else 0.5 for char in text) * size


def _page_lines(page: object, page_number: int) -> list[_Line]:
    pieces: list[_Piece] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[0] * cm[0]) or 1.0
        for number, part in enumerate(text.split("\n")):
            if part.strip():
                pieces.append(_Piece(x, y - number * size * scale, size * scale, part.strip()))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    pieces.sort(key=lambda piece: (-piece.y, piece.x))
    lines: list[_Line] = []
    baseline: float | None = None
    for piece in pieces:
        if baseline is None or abs(piece.y - baseline) > _LINE_TOLERANCE:
            lines.append(_Line(page_number, len(lines) + 1))
            baseline = piece.y
        line = lines[-1]
        line.pieces.append((piece.x, piece.text))
        if line.cells:
            last_x, last_text = line.cells[-1]
            gap = piece.x - (last_x + _width(last_text, piece.size))
            if gap < _CELL_GAP * piece.size and piece.x >= last_x:
                space = " " if gap > _SPACE_GAP * piece.size else ""
                line.cells[-1] = (last_x, last_text + space + piece.text)
                continue
        line.cells.append((piece.x, piece.text))
    return lines


def _place(line: _Line, starts: list[float]) -> list[str | None]:
    """A line's cells in the header's columns: each cell under the column starting left of it."""
    row: list[str | None] = [None] * len(starts)
    for x, text in line.pieces:
        column = max((i for i, start in enumerate(starts) if start <= x + 2.0), default=0)
        row[column] = text if row[column] is None else f"{row[column]} {text}"
    return row


def _tables(lines: list[_Line]) -> tuple[list[list[_Line]], list[_Line]]:
    """Runs of table lines (each starting with its header) and the prose lines.

    A table ends at a line of one cell; on the next page, the first line of two or more cells
    (after page headers of one cell) continues it when it repeats the header (dropped) or is no
    wider than it: a table across pages stays one table."""
    tables: list[list[_Line]] = []
    prose: list[_Line] = []
    current: list[_Line] | None = None
    last: list[_Line] | None = None  # the table that ended last, and may continue
    for line in lines:
        width = len(line.cells)
        if current is None and last is not None and width >= 2 and line.page > last[-1].page:
            if line.text == last[0].text:
                current = last
                continue
            if width <= len(last[0].cells):
                current = last
        if current is not None and width >= 2:
            if line.page > current[-1].page and line.text == current[0].text:
                continue  # the header repeated at the top of the next page
            current.append(line)
            continue
        if current is not None:
            last, current = current, None
        if width >= 3:
            current = [line]
            tables.append(current)
            continue
        if width >= 2:
            last = None
        prose.append(line)
    kept = [table for table in tables if len(table) >= 2]
    prose.extend(table[0] for table in tables if len(table) < 2)
    return kept, prose


def _unreadable(name: str, error: Exception) -> SourceError:
    return SourceError(
        "unreadable_file",
        f"无法打开 PDF 文件“{name}”（文件损坏或不是 PDF）：{error}",
        f"cannot open the PDF {name}: {error}",
    )


def _encrypted(name: str) -> SourceError:
    return SourceError(
        "encrypted_file",
        f"PDF 文件“{name}”已加密，需要密码才能打开，未扫描（请提供未加密的文件）",
        f"{name} is an encrypted PDF that needs a password",
    )


def open_pdf(path: Path, name: str) -> Iterator[DocumentPart | FailedTable]:
    """A PDF: its tables and prose, located by page; a page without text → ``needs_ocr``."""
    try:
        check_size(path, name)
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _encrypted(name)
        pages = list(reader.pages)
    except SourceError as error:
        yield FailedTable(name, error)
        return
    except FileNotDecryptedError:
        yield FailedTable(name, _encrypted(name))
        return
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as error:
        yield FailedTable(name, _unreadable(name, error))
        return
    if len(pages) > MAX_PAGES:
        yield FailedTable(
            name,
            SourceError(
                "document_too_large",
                f"PDF 文件“{name}”有 {len(pages)} 页，超过上限 {MAX_PAGES} 页，未扫描",
            ),
        )
        return
    lines: list[_Line] = []
    blank: list[int] = []
    try:
        for number, page in enumerate(pages, start=1):
            found = _page_lines(page, number)
            if not found:
                blank.append(number)
            lines.extend(found)
    except SourceError as error:
        yield FailedTable(name, error)
        return
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        yield FailedTable(name, _unreadable(name, error))
        return
    text = TextCollector(name)
    tables, prose = _tables(lines)
    parts: list[DocumentPart] = []
    try:
        by_place = {(line.page, line.number): line for line in lines}
        for number, table in enumerate(tables, start=1):
            starts = [x for x, _ in table[0].cells]
            rows = [_place(line, starts) for line in table]
            where = [f"第 {line.page} 页 第 {line.number} 行" for line in table]
            above = by_place.get((table[0].page, table[0].number - 1))
            title = above.text if above is not None and len(above.cells) == 1 else None
            parts.extend(grid_parts(name, "pdf", f"表格{number}", rows, where, text, title))
        for line in sorted(prose, key=lambda line: (line.page, line.number)):
            text.add(line.text, f"第 {line.page} 页 第 {line.number} 行")
    except SourceError as error:
        yield FailedTable(name, error)
        return
    title = None
    try:
        metadata = reader.metadata
        title = (metadata.title or "").strip() or None if metadata is not None else None
        if title is not None and title.strip("()").lower() in ("anonymous", "untitled"):
            title = None  # what PDF writers put when no title was given
    except (PdfReadError, ValueError, KeyError, TypeError):
        title = None
    yield from parts
    prose_part = text.part(name, "pdf", title)
    if prose_part is not None:
        yield prose_part
    if blank:
        shown = "、".join(str(page) for page in blank[:20]) + ("等" if len(blank) > 20 else "")
        yield FailedTable(
            f"{name}:需要OCR",
            SourceError(
                "needs_ocr",
                f"PDF 文件“{name}”第 {shown} 页没有文字层（扫描件或图片），需要OCR 识别后才能检查，"
                "不能视为没有个人信息",
                f"{name}: page(s) {shown} have no text layer (scanned): needs OCR, not clean",
            ),
        )
