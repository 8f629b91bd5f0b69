"""Saved web pages (``.html``/``.htm``): every ``<table>`` a table, the rest of the page prose.

Parsed with lxml's HTML parser (it recovers from broken markup and reads no external entity);
scripts, styles and templates are dropped. ``colspan``/``rowspan`` are expanded so a merged
header reads like an Excel one. The page's encoding: its BOM or ``<meta charset>``, else
detected like a CSV's (GBK pages included).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import lxml.html
from lxml.etree import ParserError
from lxml.html import HtmlElement

from eduguard.discovery.connectors.documents import (
    DocumentPart,
    TextCollector,
    check_size,
    grid_parts,
)
from eduguard.discovery.connectors.encoding import detect_encoding
from eduguard.discovery.sources import FailedTable, SourceError

_DROPPED = ("script", "style", "noscript", "template", "head")
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "br",
        "tr",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "dd",
        "dt",
        "dl",
        "form",
        "nav",
        "aside",
        "caption",
    ]
)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*['\"]?([A-Za-z0-9_\-]+)", re.IGNORECASE)
MAX_SPAN = 1000  # a colspan/rowspan larger than this is read as 1 (a hostile page)


def _encoding(path: Path, head: bytes) -> str:
    match = _META_CHARSET.search(head[:4096])
    if match:
        declared = match.group(1).decode("ascii").lower()
        if declared in ("gb2312", "gbk"):
            return "gb18030"
        return declared
    return detect_encoding(path)


def _span(cell: HtmlElement, attribute: str) -> int:
    try:
        value = int(str(cell.get(attribute, "1")).strip() or "1")
    except ValueError:
        return 1
    return value if 1 <= value <= MAX_SPAN else 1


def _own_rows(table: HtmlElement) -> list[HtmlElement]:
    """The table's rows, not those of a table nested in one of its cells."""
    return [row for row in table.iter("tr") if next(row.iterancestors("table"), None) is table]


def _grid(table: HtmlElement) -> list[list[str | None]]:
    """Cell texts with colspan and rowspan expanded (a merged cell's text in each cell)."""
    rows: list[list[str | None]] = []
    pending: dict[tuple[int, int], str | None] = {}
    for row_index, row in enumerate(_own_rows(table)):
        out: list[str | None] = []
        column = 0
        for cell in row:
            if not isinstance(cell.tag, str) or cell.tag not in ("td", "th"):
                continue
            while (row_index, column) in pending:
                out.append(pending.pop((row_index, column)))
                column += 1
            text = " ".join(cell.text_content().split()) or None
            for down in range(_span(cell, "rowspan")):
                for across in range(_span(cell, "colspan")):
                    if down == 0:
                        out.append(text)
                    else:
                        pending[(row_index + down, column + across)] = text
            column += _span(cell, "colspan")
        while (row_index, column) in pending:
            out.append(pending.pop((row_index, column)))
            column += 1
        rows.append(out)
    return rows


def page_text(path: Path) -> str:
    """The page's text in its own encoding (its BOM or ``<meta charset>``, else detected)."""
    raw = path.read_bytes()
    return raw.decode(_encoding(path, raw), errors="replace")


def open_html(path: Path, name: str) -> Iterator[DocumentPart | FailedTable]:
    """A saved web page: its tables (header by layout detection) and its text, located."""
    try:
        check_size(path, name)
        raw = path.read_bytes()
        encoding = _encoding(path, raw)
        root = lxml.html.document_fromstring(raw.decode(encoding, errors="replace"))
    except SourceError as error:
        yield FailedTable(name, error)
        return
    except (LookupError, ParserError, ValueError, OSError) as error:
        yield FailedTable(
            name,
            SourceError(
                "unreadable_file",
                f"无法读取网页“{name}”：{error}",
                f"cannot read the web page {name}: {error}",
            ),
        )
        return
    title_element = root.find(".//title")
    title = " ".join(title_element.text_content().split()) if title_element is not None else None
    for element in list(root.iter(*_DROPPED)):
        element.drop_tree()
    text = TextCollector(name)
    parts: list[DocumentPart] = []
    try:
        tables = list(root.iter("table"))
        # innermost tables first: a layout table around a data table gives only its own rows
        for number, table in enumerate(tables, start=1):
            rows = _grid(table)
            where = [f"表格 {number} 第 {index + 1} 行" for index in range(len(rows))]
            parts.extend(grid_parts(name, "html", f"表格{number}", rows, where, text))
        for table in reversed(tables):
            if table.getparent() is not None:
                table.drop_tree()
        for element in root.iter(*_BLOCKS):
            element.tail = "\n" + (element.tail or "")
        body = root.find("body")
        content = (body if body is not None else root).text_content()
        for number, line in enumerate(
            (line for line in content.splitlines() if line.strip()), start=1
        ):
            text.add(" ".join(line.split()), f"正文第 {number} 段")
    except SourceError as error:
        yield FailedTable(name, error)
        return
    prose = text.part(name, "html", title or None)
    if not parts and prose is None:
        yield FailedTable(name, SourceError("empty_document", f"网页“{name}”中没有文字"))
        return
    yield from parts
    if prose is not None:
        yield prose
