"""The de-identified copy of a Word ``.docx`` to be published.

Table cells of the columns the check names are masked with the policy's operator for their type
(located by the reader's own “表格 N 第 R 行” and “第 C 列”), paragraphs, table notes and
headers/footers where the check found personal information are masked span by span (the first
run keeps its formatting), and what a published Word file carries unseen is removed: review
comments (and their authors), tracked deletions (the deleted text is still in the file), the
document properties' author, last editor, revision and comments.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import cast

import docx
import polars as pl
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from eduguard.protection.masking import ColumnPlan, mask_frame, mask_text
from eduguard.protection.operators import Context
from eduguard.protection.policy import Policy
from eduguard.protection.publish import CHANGED_TYPES, PublishCheck
from eduguard.protection.writers import temporary_path

_ROW = re.compile(r"^表格 (?P<table>\d+) 第 (?P<row>\d+) 行$")
_COLUMN = re.compile(r"^第 (?P<column>\d+) 列")
_STORY = re.compile(r"^第 (?P<section>\d+) 节(?P<kind>页眉|页脚)$")


def _cell(table: Table, row: int, column: int) -> _Cell | None:
    """The cell covering grid ``column`` (0-based) of row ``row`` (0-based)."""
    rows = table._tbl.tr_lst
    if row >= len(rows):
        return None
    at = 0
    for tc in rows[row].tc_lst:
        span = max(tc.grid_span, 1)
        if at <= column < at + span:
            return None if tc.vMerge == "continue" else _Cell(tc, table)
        at += span
    return None


def _set_text(paragraph: Paragraph, text: str) -> None:
    runs = paragraph.runs
    if not runs:
        paragraph.add_run(text)
        return
    runs[0].text = text
    for run in runs[1:]:
        run.text = ""


def _located(check: PublishCheck) -> tuple[set[str], bool]:
    """The prose locations the check named, and whether it named fewer than it found."""
    places: set[str] = set()
    more = False
    for part in check.parts:
        if getattr(part.table, "document", {}).get("part") != "text":
            continue
        for finding in part.report.findings:
            where = [str(place) for place in cast(list[object], finding["where"])]
            places.update(where)
            more |= int(str(finding["unmasked"])) > len(where)
    return places, more


def _mask_paragraphs(paragraphs: list[Paragraph], policy: Policy) -> None:
    shown = [p for p in paragraphs if p.text.strip()]
    if not shown:
        return
    texts = pl.Series("text", [p.text for p in shown], dtype=pl.String)
    masked, _spans = mask_text(texts, policy.text.build(), Context(), CHANGED_TYPES)
    for paragraph, before, after in zip(shown, texts.to_list(), masked.to_list(), strict=True):
        if after != before:
            _set_text(paragraph, str(after))


Planner = Callable[[str, list[str]], list[ColumnPlan]]


def _mask_tables(document: Document, check: PublishCheck, plans_for: Planner) -> None:
    tables = [block for block in document.iter_inner_content() if isinstance(block, Table)]
    for part in check.parts:
        table = part.table
        if getattr(table, "document", {}).get("part") == "text":
            continue
        frame: pl.DataFrame = getattr(table, "frame")  # noqa: B009 - a DocumentPart's frame
        if frame.height == 0:
            continue
        plans = plans_for(part.report.name, frame.columns)
        masked = mask_frame(frame.select(pl.all().cast(pl.String)), plans, Context())
        refs: dict[str, str] = getattr(table, "column_refs", {})
        locations: list[str] = getattr(table, "locations", [])
        for plan in plans:
            ref = _COLUMN.match(refs.get(plan.name, ""))
            if plan.operator is None or ref is None:
                continue
            column = int(ref["column"]) - 1
            for index, value in enumerate(masked.get_column(plan.name).to_list()):
                where = _ROW.match(locations[index]) if index < len(locations) else None
                if where is None or int(where["table"]) > len(tables):
                    continue
                cell = _cell(tables[int(where["table"]) - 1], int(where["row"]) - 1, column)
                if cell is not None and cell.text.strip():
                    cell.text = "" if value is None else str(value)


def _mask_prose(document: Document, check: PublishCheck, policy: Policy) -> None:
    places, everything = _located(check)
    chosen: list[Paragraph] = []
    number = 0
    table_no = 0
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            number += 1
            if everything or f"段落 {number}" in places:
                chosen.append(block)
        else:
            table_no += 1
            for row_index, row in enumerate(block.rows, start=1):
                if everything or f"表格 {table_no} 第 {row_index} 行" in places:
                    seen: set[int] = set()
                    for cell in row.cells:
                        if id(cell._tc) not in seen:
                            seen.add(id(cell._tc))
                            chosen.extend(cell.paragraphs)
    for index, section in enumerate(document.sections, start=1):
        for kind, story in (("页眉", section.header), ("页脚", section.footer)):
            if not story.is_linked_to_previous and (everything or f"第 {index} 节{kind}" in places):
                chosen.extend(story.paragraphs)
    _mask_paragraphs(chosen, policy)


def _strip(document: Document) -> None:
    body = document.element.body
    for tag in ("w:commentRangeStart", "w:commentRangeEnd", "w:commentReference", "w:del"):
        for element in list(body.iter(qn(tag))):
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
    for inserted in list(body.iter(qn("w:ins"))):  # accepted: its runs stay, the mark goes
        parent = inserted.getparent()
        if parent is not None:
            for child in list(inserted):
                inserted.addprevious(child)
            parent.remove(inserted)
    part = document.part
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype == RELATIONSHIP_TYPE.COMMENTS:
            part.drop_rel(rel_id)
            with contextlib.suppress(KeyError, AttributeError):
                del part.rels[rel_id]
    properties = document.core_properties
    properties.author = ""
    properties.last_modified_by = ""
    properties.comments = ""
    properties.keywords = ""
    properties.subject = ""
    properties.category = ""
    properties.revision = 1


def fix_docx(
    check: PublishCheck, source: Path, target: Path, policy: Policy, plans_for: Planner
) -> None:
    """Write the de-identified copy of the checked ``.docx`` ``source`` to ``target``."""
    document: Document = docx.Document(str(source))
    _mask_tables(document, check, plans_for)
    _mask_prose(document, check, policy)
    _strip(document)
    temporary = temporary_path(target)
    try:
        document.save(str(temporary))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
