"""The de-identified copy of a document to be published, in the same format.

* ``.xlsx``: the workbook keeps its layout (title rows, merged cells, widths). Hidden sheets are
  removed, hidden rows and columns emptied, every cell of a column holding personal information
  masked with the policy's operator for its type (``protection/data/publish_policy.toml`` by
  default: 张*三, 4201**********1234, 138****1234), every other text cell (titles, notes)
  masked span by span, cell comments and document properties (author, last modified by)
  removed. Formulas are written as their values (a formula can read a removed sheet).
* ``.docx``: see :mod:`.publish_docx` (cells and spans masked, comments, tracked deletions and
  document properties removed).
* ``.html``: see :mod:`.publish_html` (cells and text masked, comments, scripts and author
  tags removed).
* ``.csv`` (and a ``.txt``/``.tsv`` table): every row masked, written as UTF-8 CSV with a byte
  order mark (Excel opens it), cells made formula-safe.

Nothing appears under the output name until all of it is written (a temporary file renamed
into place). Other formats get :class:`FixUnsupported`: the check's reasons say what to change.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import warnings
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import cast

import openpyxl
import polars as pl
from openpyxl.cell.cell import MergedCell, WriteOnlyCell
from openpyxl.utils import column_index_from_string
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from eduguard.protection.masking import ColumnPlan, mask_frame, mask_text, plan_table
from eduguard.protection.operators import Context
from eduguard.protection.policy import Policy, parse_policy
from eduguard.protection.publish import CHANGED_TYPES, PublishCheck
from eduguard.protection.writers import TableWriter, temporary_path

FIXABLE = frozenset({"xlsx", "xlsm", "csv", "tsv", "txt", "docx", "html", "htm"})
_SHEET_ROW = re.compile(r"^(?P<sheet>.+)!第 (?P<row>\d+) 行$")


class FixUnsupported(Exception):
    def __init__(self, fmt: str) -> None:
        self.message_zh = (
            f"暂不能自动生成“{fmt or '该格式'}”文件的脱敏副本：请按检查结果在原文件中处理，"
            "或另存为 Word（.docx）、Excel（.xlsx）或 CSV 后再检查"
        )
        self.message_en = (
            f"no de-identified copy can be made of a {fmt or 'file of this type'}: change the "
            "original as the check says, or save it as Word (.docx), Excel (.xlsx) or CSV and "
            "check it again"
        )
        super().__init__(self.message_zh)


@functools.cache
def publish_policy() -> Policy:
    """The packaged 公示 policy (no key needed), parsed once per process."""
    text = (resources.files("eduguard.protection") / "data" / "publish_policy.toml").read_text(
        encoding="utf-8"
    )
    return parse_policy(text, "publish_policy.toml")


def fixed_name(name: str) -> str:
    """``公示.xlsx`` → ``公示_脱敏.xlsx`` (a ``.txt``/``.tsv`` table becomes ``.csv``)."""
    path = Path(name)
    suffix = path.suffix.lower()
    suffix = ".csv" if suffix in (".txt", ".tsv") else ".xlsx" if suffix == ".xlsm" else suffix
    return f"{path.stem}_脱敏{suffix}"


def can_fix(check: PublishCheck) -> bool:
    """A copy can be made: a readable workbook, or one plain table (not a text of prose)."""
    if check.format not in FIXABLE or check.errors or not check.parts:
        return False
    if check.format in ("xlsx", "xlsm"):
        tables = [part for part in check.parts if _is_table(part)]
        return all(hasattr(part.table, "excel_rows") for part in tables) or all(
            _streamed(part) for part in tables
        )
    if check.format in ("docx", "html", "htm"):
        return True
    return len(check.parts) == 1 and hasattr(check.parts[0].table, "table")


def write_fixed(
    check: PublishCheck, source: Path, target: Path, policy: Policy | None = None
) -> None:
    """Write the de-identified copy of the checked ``source`` to ``target``."""
    if not can_fix(check):
        raise FixUnsupported(check.format)
    policy = policy or publish_policy()
    if check.format in ("xlsx", "xlsm") and all(_streamed(p) for p in check.parts):
        _fix_streamed(check, target, policy)
    elif check.format in ("xlsx", "xlsm"):
        _fix_workbook(check, source, target, policy)
    elif check.format in ("html", "htm"):
        from eduguard.protection.publish_html import fix_html

        fix_html(
            check,
            source,
            target,
            policy,
            lambda name, columns: _plans(name, columns, check, policy),
        )
    elif check.format == "docx":
        from eduguard.protection.publish_docx import fix_docx

        fix_docx(
            check,
            source,
            target,
            policy,
            lambda name, columns: _plans(name, columns, check, policy),
        )
    else:
        _fix_rows(check, target, policy)


def _streamed(part: object) -> bool:
    """A sheet of a workbook too large to open with its layout (read row by row)."""
    table = getattr(getattr(part, "table", None), "table", None)
    return isinstance(getattr(table, "sheet", None), str) and hasattr(table, "sheet_hidden")


def _fix_streamed(check: PublishCheck, target: Path, policy: Policy) -> None:
    """A large workbook's copy, streamed (openpyxl read-only in, write-only out): each visible
    sheet's header and rows, the columns the check names masked. The layout (title rows,
    merges, widths, styles) is not kept; hidden sheets, comments and properties are dropped."""
    workbook = openpyxl.Workbook(write_only=True)
    workbook.properties.creator = None
    written = 0
    for part in check.parts:
        table = getattr(part.table, "table")  # noqa: B009 - the sheet under its locator
        if table.sheet_hidden:
            continue
        sheet = workbook.create_sheet(title=table.sheet)
        plans: list[ColumnPlan] | None = None
        for frame in table.batches():
            text = frame.select(pl.all().cast(pl.String))
            if plans is None:
                plans = _plans(part.report.name, text.columns, check, policy)
                sheet.append([_safe(sheet, name) for name in text.columns])
            for row in mask_frame(text, plans, Context()).iter_rows():
                sheet.append([_safe(sheet, value) for value in row])
        written += 1
    if not written:
        raise FixUnsupported("只有隐藏工作表的 Excel")
    temporary = temporary_path(target)
    try:
        workbook.save(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


def _safe(sheet: object, value: object) -> object:
    """A text cell stays text: a value starting with = is not written as a formula."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
        cell.data_type = "s"
        return cell
    return value


def _is_table(part: object) -> bool:
    table = getattr(part, "table", None)
    return getattr(table, "document", {}).get("part") != "text"


def _plans(name: str, columns: list[str], check: PublishCheck, policy: Policy) -> list[ColumnPlan]:
    """The policy's plan for the columns the check asks to change; the others are kept (an
    aid amount, a class or a relation is what a 公示 is for)."""
    report = next((part.report for part in check.parts if part.report.name == name), None)
    plans = plan_table(name, columns, report, policy)
    for plan in plans:
        if not plan.text and plan.pi_type not in CHANGED_TYPES:
            plan.rule, plan.operator = None, None
    return plans


def _located_rows(check: PublishCheck) -> dict[str, set[int] | None]:
    """Per sheet, the rows of its notes where the check found personal information (None:
    more than it lists, so every text cell of the sheet is masked)."""
    rows: dict[str, set[int] | None] = {}
    for part in check.parts:
        if _is_table(part):
            continue
        for finding in part.report.findings:
            places = [str(place) for place in cast(list[object], finding["where"])]
            for place in places:
                match = _SHEET_ROW.match(place)
                if match is None:
                    continue
                found = rows.setdefault(match["sheet"], set())
                if found is not None:
                    found.add(int(match["row"]))
            if int(str(finding["unmasked"])) > len(places):
                sheet = getattr(part.table, "sheet", None) or part.report.name.split(":")[1]
                rows[sheet] = None
    return rows


def _fix_rows(check: PublishCheck, target: Path, policy: Policy) -> None:
    [part] = check.parts
    table = getattr(part.table, "table", part.table)  # the plain table under its locator
    frames: Iterator[pl.DataFrame] = table.batches()
    with TableWriter(target, "csv") as writer:
        plans: list[ColumnPlan] | None = None
        for frame in frames:
            text = frame.select(pl.all().cast(pl.String))
            if plans is None:
                plans = _plans(part.report.name, text.columns, check, policy)
                writer.header = text.columns
            writer.write(mask_frame(text, plans, Context()))
        if plans is None:
            writer.header = []
        writer.commit()


def _load(source: Path) -> Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(source, data_only=True)


def _fix_workbook(check: PublishCheck, source: Path, target: Path, policy: Policy) -> None:
    workbook = _load(source)
    try:
        done: dict[str, set[tuple[int, int]]] = {}
        for part in check.parts:
            table = part.table
            sheet_name = getattr(table, "sheet", None)
            if sheet_name is None or sheet_name not in workbook.sheetnames:
                continue
            sheet = workbook[sheet_name]
            if sheet.sheet_state != "visible" or not _is_table(part):
                continue
            cells = done.setdefault(sheet_name, set())
            frame: pl.DataFrame = getattr(table, "frame")  # noqa: B009 - a SheetPart's frame
            if frame.height == 0:
                continue
            plans = _plans(part.report.name, frame.columns, check, policy)
            masked = mask_frame(frame.select(pl.all().cast(pl.String)), plans, Context())
            letters: dict[str, str] = getattr(table, "letters")  # noqa: B009
            rows: list[int] = getattr(table, "excel_rows")  # noqa: B009
            for plan in plans:
                if plan.operator is None or plan.name not in letters:
                    continue
                column = column_index_from_string(letters[plan.name])
                for index, value in enumerate(masked.get_column(plan.name).to_list()):
                    cell = sheet.cell(row=rows[index], column=column)
                    cells.add((rows[index], column))
                    if not isinstance(cell, MergedCell) and cell.value not in (None, ""):
                        cell.value = value
        for hidden in [ws for ws in workbook.worksheets if ws.sheet_state != "visible"]:
            workbook.remove(hidden)
        if not workbook.worksheets:
            raise FixUnsupported("只有隐藏工作表的 Excel")
        located = _located_rows(check)
        for visible in workbook.worksheets:
            _empty_hidden(visible)
            if visible.title in located:
                _mask_other_text(
                    visible, done.get(visible.title, set()), located[visible.title], policy
                )
        _strip_metadata(workbook)
        workbook.active = 0
        temporary = temporary_path(target)
        try:
            workbook.save(temporary)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
    finally:
        workbook.close()


def _empty_hidden(sheet: Worksheet) -> None:
    """Hidden rows and columns lose their contents (a copy hides nothing)."""
    hidden_rows = {index for index, dim in sheet.row_dimensions.items() if dim.hidden}
    hidden_columns: set[int] = set()
    for dim in sheet.column_dimensions.values():
        if dim.hidden and dim.min is not None and dim.max is not None:
            hidden_columns.update(range(dim.min, dim.max + 1))
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell):
                continue
            if cell.row in hidden_rows or cell.column in hidden_columns:
                cell.value = None
    for index in hidden_rows:
        sheet.row_dimensions[index].hidden = False
    for dim in sheet.column_dimensions.values():
        dim.hidden = False


def _mask_other_text(
    sheet: Worksheet, done: set[tuple[int, int]], rows: set[int] | None, policy: Policy
) -> None:
    """Notes and cells outside the table in ``rows`` (None: all): each span masked."""
    cells = [
        cell
        for row in sheet.iter_rows()
        for cell in row
        if not isinstance(cell, MergedCell)
        and isinstance(cell.value, str)
        and cell.value.strip()
        and (rows is None or cell.row in rows)
        and (cell.row, cell.column) not in done
    ]
    if not cells:
        return
    texts = pl.Series("text", [str(cell.value) for cell in cells], dtype=pl.String)
    masked, _spans = mask_text(texts, policy.text.build(), Context(), CHANGED_TYPES)
    for cell, before, after in zip(cells, texts.to_list(), masked.to_list(), strict=True):
        if after != before:
            cell.value = after


def _strip_metadata(workbook: Workbook) -> None:
    properties = workbook.properties
    properties.creator = None
    properties.lastModifiedBy = None
    properties.lastPrinted = None
    properties.keywords = None
    properties.description = None
    properties.subject = None
    properties.category = None
    properties.identifier = None
    properties.revision = None
    custom = getattr(workbook, "custom_doc_props", None)  # openpyxl ≥ 3.1
    if custom is not None:
        custom.props.clear()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if not isinstance(cell, MergedCell) and cell.comment is not None:
                    cell.comment = None
