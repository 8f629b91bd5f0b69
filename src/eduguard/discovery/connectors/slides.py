"""PowerPoint ``.pptx`` (python-pptx): a 表彰大会 or 家长会 deck posted with a list of pupils.

Each slide's tables are tables (header found by :mod:`.layout`, located “第 3 张幻灯片 表格 1
第 2 行”); its text boxes, titles, grouped shapes and speaker notes are the prose (“第 3 张幻灯片”,
“第 3 张幻灯片备注”). Bounded like the other documents: size, zip bomb, text length.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from eduguard.discovery.connectors.documents import (
    DocumentPart,
    TextCollector,
    check_archive,
    check_size,
    grid_parts,
)
from eduguard.discovery.sources import FailedTable, SourceError

KIND = "PowerPoint 演示文稿"


def _unreadable(name: str, error: Exception) -> SourceError:
    return SourceError(
        "unreadable_file",
        f"无法打开{KIND}“{name}”（文件损坏、加密或不是该格式）：{error}",
        f"cannot open the presentation {name}: {error}",
    )


def _shapes(shapes: Iterable[Any]) -> Iterator[Any]:
    """Every shape, the members of groups included, in reading order."""
    for shape in shapes:
        if getattr(shape, "shape_type", None) is not None and hasattr(shape, "shapes"):
            yield from _shapes(shape.shapes)  # a group
        else:
            yield shape


def open_pptx(path: Path, name: str) -> Iterator[DocumentPart | FailedTable]:
    try:
        check_size(path, name)
        check_archive(path, name, KIND)
    except SourceError as error:
        yield FailedTable(name, error)
        return
    try:
        import pptx  # python-pptx, only when a deck is read
    except ImportError as error:  # a broken install: say so, not that the file is corrupt
        yield FailedTable(
            name,
            SourceError(
                "reader_missing",
                f"无法读取{KIND}“{name}”：本机未安装读取 .pptx 所需的 python-pptx（{error}）",
                f"cannot read the presentation {name}: python-pptx is not installed ({error})",
            ),
        )
        return
    try:
        deck = pptx.Presentation(str(path))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
        yield FailedTable(name, _unreadable(name, error))
        return
    except Exception as error:  # python-pptx raises package and lxml errors of its own
        yield FailedTable(name, _unreadable(name, error))
        return
    text = TextCollector(name)
    parts: list[DocumentPart] = []
    try:
        for number, slide in enumerate(deck.slides, start=1):
            where = f"第 {number} 张幻灯片"
            tables = 0
            for shape in _shapes(slide.shapes):
                if getattr(shape, "has_table", False):
                    tables += 1
                    rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
                    places = [
                        f"{where} 表格 {tables} 第 {index + 1} 行" for index in range(len(rows))
                    ]
                    label = f"幻灯片{number}表格{tables}"
                    parts.extend(grid_parts(name, "pptx", label, rows, places, text))
                elif getattr(shape, "has_text_frame", False):
                    for paragraph in shape.text_frame.paragraphs:
                        text.add("".join(run.text for run in paragraph.runs), where)
            if slide.has_notes_slide:
                notes = slide.notes_slide.notes_text_frame
                if notes is not None:
                    for paragraph in notes.paragraphs:
                        text.add(paragraph.text, f"{where}备注")
    except SourceError as error:
        yield FailedTable(name, error)
        return
    title = (deck.core_properties.title or "").strip() or None
    prose = text.part(name, "pptx", title)
    if not parts and prose is None:
        yield FailedTable(name, SourceError("empty_document", f"{KIND}“{name}”中没有文字"))
        return
    yield from parts
    if prose is not None:
        yield prose
