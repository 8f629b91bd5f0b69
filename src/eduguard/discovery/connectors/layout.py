"""Where the table is in a grid of cells: title and notes rows, one or two header rows, data.

Published school tables (公示名单, 花名册) rarely start at A1 with one header row: a merged title
row comes first (“2024年秋季学期国家助学金公示名单”), then perhaps a line of notes (“单位：元”),
then a header that may take two rows (家庭成员 over 姓名 and 关系), then the data, then notes
again (“公示期：…，联系电话 …”). :func:`find_table` tells these apart from the shape of the rows
alone, so the same detection serves Excel sheets, Word and HTML tables and PDF tables.

Merged cells are expected filled in (every cell of a merged range holds its value: python-docx
does this, the Excel and HTML readers do it); a gap in the first header row under which the
second row has a label is filled from the left, as an unfilled horizontal merge would be.

>>> grid = find_table([["2024年助学金公示名单", None, None], ["姓名", "家庭成员", "家庭成员"],
...                    ["姓名", "姓名", "关系"], ["张三", "张大山", "父亲"]])
>>> grid.names, grid.title, grid.rows, grid.row_numbers
(['姓名', '家庭成员/姓名', '家庭成员/关系'], '2024年助学金公示名单', [['张三', '张大山', '父亲']], [3])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from eduguard.discovery.connectors._frames import unique_names, value_text

HEAD_ROWS = 12  # rows looked at for the header (titles and notes come first)
_LABEL_LENGTH = 24
_NUMERIC = re.compile(r"^[\d\s.,:/\-+*Xx＊%（）()]+$")
_DIGITS = re.compile(r"\d{5,}")


def _clean(cell: object) -> str | None:
    text = value_text(cell)
    if text is None:
        return None
    return text.strip() or None


@dataclass
class Grid:
    """A table found in a grid: its column names and data rows (with their index in the grid)."""

    names: list[str]
    rows: list[list[str | None]]
    row_numbers: list[int]
    header_rows: list[int] = field(default_factory=list)
    title: str | None = None
    # title, notes and note-like rows inside or after the table: (row index, text)
    notes: list[tuple[int, str]] = field(default_factory=list)


def _width(row: Sequence[str | None]) -> int:
    return max((index + 1 for index, cell in enumerate(row) if cell is not None), default=0)


def _filled(row: Sequence[str | None]) -> list[str]:
    return [cell for cell in row if cell is not None]


def _is_single(row: Sequence[str | None], width: int) -> bool:
    """A title or a note: one text (perhaps merged over several cells, or over the whole width of
    a table of 3+ columns) in a table of 2+ columns."""
    cells = _filled(row)
    return (
        width >= 2
        and len(cells) >= 1
        and len(set(cells)) == 1
        and (len(cells) < width or width >= 3)
    )


def _label(cell: str) -> bool:
    return len(cell) <= _LABEL_LENGTH and not _NUMERIC.match(cell) and not _DIGITS.search(cell)


def _header_like(row: Sequence[str | None], width: int) -> bool:
    cells = _filled(row)
    if len(cells) < max(2, (width + 1) // 2):
        return False
    labels = sum(_label(cell) for cell in cells)
    return labels == len(cells) and len(set(cells)) >= min(2, len(cells))


def _sub_header(head: list[str | None], row: Sequence[str | None]) -> bool:
    """Whether ``row`` is the second row of a two-level header under ``head``."""
    cells = _filled(row)
    if not cells or not all(_label(cell) for cell in cells):
        return False
    grouped = False
    for index, cell in enumerate(row):
        if cell is None:
            continue
        above = head[index]
        duplicate = above is not None and head.count(above) > 1 and cell != above
        if above is None or duplicate:
            grouped = True
    return grouped


def _fill_gaps(head: list[str | None], sub: Sequence[str | None]) -> list[str | None]:
    """A first-row gap over a second-row label takes the label on its left (a merge unfilled)."""
    filled = list(head)
    for index in range(1, len(filled)):
        if filled[index] is None and sub[index] is not None:
            filled[index] = filled[index - 1]
    return filled


def _join(head: list[str | None], sub: Sequence[str | None]) -> list[str | None]:
    names: list[str | None] = []
    for above, below in zip(head, sub, strict=True):
        if above is None or above == below:
            names.append(below)
        elif below is None:
            names.append(above)
        else:
            names.append(f"{above}/{below}")
    return names


def find_table(raw_rows: Sequence[Sequence[object]]) -> Grid | None:
    """The table in ``raw_rows`` (cells as values or None), or None when there is no row at all."""
    rows = [[_clean(cell) for cell in row] for row in raw_rows]
    width = max((_width(row) for row in rows), default=0)
    if width == 0:
        return None
    rows = [(row + [None] * width)[:width] for row in rows]
    notes: list[tuple[int, str]] = []
    titles: list[str] = []
    header_at: int | None = None
    first_content: int | None = None
    for index, row in enumerate(rows[:HEAD_ROWS]):
        if not _filled(row):
            continue
        if first_content is None:
            first_content = index
        if _header_like(row, width):
            header_at = index
            break
    if header_at is None:  # no header-like row: the first non-title row is the header
        header_at = next(
            (i for i, row in enumerate(rows) if _filled(row) and not _is_single(row, width)),
            first_content,
        )
    assert header_at is not None
    for index in range(header_at):  # the first text above the header is the title
        cells = _filled(rows[index])
        if cells:
            text = " ".join(dict.fromkeys(cells))
            if titles:
                notes.append((index, text))
            else:
                titles.append(text)
    head = rows[header_at]
    header_rows = [header_at]
    start = header_at + 1
    if start < len(rows) and _sub_header(head, rows[start]):
        head = _join(_fill_gaps(head, rows[start]), rows[start])
        header_rows.append(start)
        start += 1
    names = unique_names(head)
    data: list[list[str | None]] = []
    numbers: list[int] = []
    for index in range(start, len(rows)):
        row = rows[index]
        if not _filled(row):
            continue
        if _is_single(row, width) and (len(_filled(row)) > 1 or len(_filled(row)[0]) >= 10):
            notes.append((index, _filled(row)[0]))
            continue
        data.append(row)
        numbers.append(index)
    return Grid(
        names=names,
        rows=data,
        row_numbers=numbers,
        header_rows=header_rows,
        title=" ".join(titles) or None,
        notes=notes,
    )
