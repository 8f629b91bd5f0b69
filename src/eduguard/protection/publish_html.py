"""The de-identified copy of a saved web page (``.html``/``.htm``) to be published.

Table cells of the columns the check names are masked with the policy's operator for their type
(located by the reader's own “表格 N 第 R 行” and “第 C 列”, colspan and rowspan counted as the
reader counts them); every other text of the page — paragraphs, titles and notes rows, the page
title — is masked span by span (direct identifiers and withheld types only, as in tables). What a
page carries unseen is removed: HTML comments, scripts, ``<noscript>``/``<template>`` contents,
``<meta name="author">`` and generator tags, and the ``title`` attributes and ``data-*`` attributes
that can hold a value. The copy is written in UTF-8 (its ``<meta charset>`` says so).
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import lxml.html
import polars as pl
from lxml import etree
from lxml.html import HtmlElement

from eduguard.protection.masking import mask_frame, mask_text
from eduguard.protection.operators import Context
from eduguard.protection.policy import Policy
from eduguard.protection.publish import CHANGED_TYPES, PublishCheck
from eduguard.protection.publish_docx import Planner
from eduguard.protection.writers import temporary_path

_ROW = re.compile(r"^表格 (?P<table>\d+) 第 (?P<row>\d+) 行$")
_COLUMN = re.compile(r"^第 (?P<column>\d+) 列")
_DROPPED = ("script", "noscript", "template")
_UNSEEN_META = frozenset({"author", "generator", "creator", "publisher", "copyright"})
MAX_SPAN = 1000  # as the reader: a larger colspan/rowspan counts as 1


def _span(cell: HtmlElement, attribute: str) -> int:
    try:
        value = int(str(cell.get(attribute, "1")).strip() or "1")
    except ValueError:
        return 1
    return value if 1 <= value <= MAX_SPAN else 1


def _cells(table: HtmlElement) -> dict[tuple[int, int], HtmlElement]:
    """(row, column) → the cell element that starts there (0-based), the reader's grid."""
    found: dict[tuple[int, int], HtmlElement] = {}
    taken: set[tuple[int, int]] = set()
    rows = [row for row in table.iter("tr") if next(row.iterancestors("table"), None) is table]
    for row_index, row in enumerate(rows):
        column = 0
        for cell in row:
            if not isinstance(cell.tag, str) or cell.tag not in ("td", "th"):
                continue
            while (row_index, column) in taken:
                column += 1
            found[(row_index, column)] = cell
            for down in range(_span(cell, "rowspan")):
                for across in range(_span(cell, "colspan")):
                    taken.add((row_index + down, column + across))
            column += _span(cell, "colspan")
    return found


def _set_text(cell: HtmlElement, text: str) -> None:
    for child in list(cell):
        cell.remove(child)
    cell.text = text


def _mask_tables(root: HtmlElement, check: PublishCheck, plans_for: Planner) -> set[HtmlElement]:
    tables = list(root.iter("table"))
    grids: dict[int, dict[tuple[int, int], HtmlElement]] = {}
    done: set[HtmlElement] = set()
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
                number = int(where["table"])
                grid = grids.setdefault(number, _cells(tables[number - 1]))
                cell = grid.get((int(where["row"]) - 1, column))
                if cell is not None and cell not in done and cell.text_content().strip():
                    _set_text(cell, "" if value is None else str(value))
                    done.add(cell)
    return done


def _inside(element: HtmlElement, done: set[HtmlElement]) -> bool:
    return element in done or any(parent in done for parent in element.iterancestors())


def _mask_prose(root: HtmlElement, done: set[HtmlElement], policy: Policy) -> None:
    """Every text node (an element's text, or the tail after it) outside the masked cells."""
    slots: list[tuple[HtmlElement, str]] = []
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag == "style":
            continue
        if element.text and element.text.strip() and not _inside(element, done):
            slots.append((element, "text"))
        parent = element.getparent()
        if (
            element.tail
            and element.tail.strip()
            and not (parent is not None and _inside(parent, done))
        ):
            slots.append((element, "tail"))
    if not slots:
        return
    texts = pl.Series("text", [getattr(e, kind) for e, kind in slots], dtype=pl.String)
    masked, _spans = mask_text(texts, policy.text.build(), Context(), CHANGED_TYPES)
    for (element, kind), before, after in zip(
        slots, texts.to_list(), masked.to_list(), strict=True
    ):
        if after != before:
            setattr(element, kind, after)


def _strip(root: HtmlElement) -> None:
    for comment in list(root.iter(etree.Comment)):
        if comment.getparent() is not None:
            comment.drop_tree()  # its tail (the text after it) stays
    for element in list(root.iter(*_DROPPED)):
        element.drop_tree()
    for meta in list(root.iter("meta")):
        name = str(meta.get("name", "")).strip().lower()
        if name in _UNSEEN_META or meta.get("charset") is not None or meta.get("http-equiv"):
            meta.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in list(element.attrib):
            if attribute == "title" or attribute.startswith("data-"):
                del element.attrib[attribute]
    head = root.find("head")
    if head is None:
        head = lxml.html.Element("head")
        root.insert(0, head)
    head.insert(0, lxml.html.Element("meta", charset="utf-8"))


def fix_html(
    check: PublishCheck, source: Path, target: Path, policy: Policy, plans_for: Planner
) -> None:
    """Write the de-identified copy of the checked page ``source`` to ``target``."""
    from eduguard.discovery.connectors.webpages import page_text

    root: HtmlElement = lxml.html.document_fromstring(page_text(source))
    for element in list(root.iter(*_DROPPED)):  # numbered as the reader numbers tables
        element.drop_tree()
    done = _mask_tables(root, check, plans_for)
    _mask_prose(root, done, policy)
    _strip(root)
    content = lxml.html.tostring(root, encoding="unicode", method="html", doctype="<!DOCTYPE html>")
    temporary = temporary_path(target)
    try:
        temporary.write_text(content, encoding="utf-8")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
