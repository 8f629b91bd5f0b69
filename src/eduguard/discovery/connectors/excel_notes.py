"""What an Excel sheet says about its columns besides their names.

- **Header notes**: a note (comment) on a header cell, as offices annotate a code header ``xm``
  with 姓名. openpyxl's read-only mode does not load notes, so the sheet's comments part is read
  from the workbook's zip (sheet → relationships → ``comments*.xml``); the author's name that
  Excel puts before a note ("张老师:") is left out.
- **A description row**: exports of information systems often put field codes in the first
  row and their Chinese names in the second (``XM, XBM, CSRQ`` / ``姓名, 性别码, 出生日期``).
  The second row is taken as the columns' comments, not as data, only when the first row is
  made of codes and every cell of the second reads like a label (Chinese, no digits, distinct,
  most ending as labels end: 号, 码, 名称, 日期 …, or naming a personal-information type).
"""

from __future__ import annotations

import logging
import posixpath
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from eduguard.discovery.detectors import DETECTORS, match_name

logger = logging.getLogger("eduguard.discovery.excel")

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MAX_NOTES_BYTES = 16 << 20  # a comments part larger than this is not read
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LABEL_END = re.compile(
    r"(?:号|码|名|名称|日期|时间|年月|类型|类别|状态|标志|标识|备注|说明|地址|电话|金额|编号|代码|"
    r"情况|人|数|额|率|面貌|程度|方式|来源|性别|民族|籍贯|学历|学位|职称|职务|单位|专业|班级|年级|"
    r"院系|学院|邮箱|照片|成绩|分数|证件|身份|国籍|宗教|血型|婚姻|户口|住址|邮编|关系)$"
)


def _member(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_NOTES_BYTES:
        return None
    return archive.read(info)


def _xml(data: bytes) -> ElementTree.Element:
    """A part's XML root. A part with a DTD is refused: without one, no entity can expand
    (billion laughs) or reach outside (external entities), so the standard parser is safe."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ElementTree.ParseError("a DTD in a workbook part")
    return ElementTree.fromstring(data)  # noqa: S314 (no DTD: see above)


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, target part) of ``part``'s relationships."""
    rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    data = _member(archive, rels)
    if data is None:
        return {}
    root = _xml(data)
    return {
        item.get("Id", ""): (item.get("Type", ""), _target(part, item.get("Target", "")))
        for item in root.iter(f"{_RELS}Relationship")
    }


def sheet_notes(path: Path, sheet: str) -> dict[str, str]:
    """Cell reference (``A1``) → note text of one sheet; {} when it has none or they cannot be
    read (a note is extra evidence: the sheet is still scanned without it)."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = _member(archive, "xl/workbook.xml")
            if workbook is None:
                return {}
            sheets = {
                item.get("name"): item.get(f"{_DOC_RELS}id")
                for item in _xml(workbook).iter(f"{_MAIN}sheet")
            }
            sheet_part = _relationships(archive, "xl/workbook.xml").get(sheets.get(sheet) or "")
            if sheet_part is None:
                return {}
            comments = [
                target
                for kind, target in _relationships(archive, sheet_part[1]).values()
                if kind.endswith("/comments")
            ]
            notes: dict[str, str] = {}
            for part in comments:
                data = _member(archive, part)
                if data is not None:
                    notes.update(_parse_comments(data))
            return notes
    except (OSError, zipfile.BadZipFile, ElementTree.ParseError, KeyError) as error:
        logger.warning("notes of sheet %s not read: %s", sheet, error)
        return {}


def _parse_comments(data: bytes) -> dict[str, str]:
    root = _xml(data)
    authors = [author.text or "" for author in root.iter(f"{_MAIN}author")]
    notes: dict[str, str] = {}
    for comment in root.iter(f"{_MAIN}comment"):
        text = "".join(node.text or "" for node in comment.iter(f"{_MAIN}t"))
        try:
            author = authors[int(comment.get("authorId", "-1"))]
        except (ValueError, IndexError):
            author = ""
        if author and text.startswith(f"{author}:"):
            text = text[len(author) + 1 :]
        text = " ".join(text.split())
        ref = comment.get("ref", "")
        if text and ref:
            notes[ref.upper()] = text
    return notes


def column_letter(index: int) -> str:
    """The column letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _label_like(text: str) -> bool:
    return bool(_LABEL_END.search(text)) or any(
        match_name(detector, "", text) is not None for detector in DETECTORS
    )


def description_row(names: Sequence[str], row: Sequence[Any]) -> dict[str, str] | None:
    """The second header row as {column: description}, or None when it is (probably) data."""
    headers = [str(name) for name, cell in zip(names, row, strict=False) if cell is not None]
    if len(names) < 2 or len(headers) < 2:
        return None
    codes = sum(bool(_CODE.match(name)) for name in names)
    if codes < 0.8 * len(names):
        return None
    cells = [cell.strip() if isinstance(cell, str) else cell for cell in row[: len(names)]]
    texts = [cell for cell in cells if cell not in (None, "")]
    if len(texts) < 0.8 * len(names) or len(set(texts)) != len(texts):
        return None
    if not all(isinstance(text, str) and _HAN.search(text) for text in texts):
        return None
    if any(re.search(r"\d", text) or len(text) > 30 for text in texts):
        return None
    if sum(_label_like(text) for text in texts) < 0.7 * len(texts):
        return None
    return {name: cell for name, cell in zip(names, cells, strict=False) if cell}
