"""Where the personal information of a document is: per column and type, located values.

A table that can say where its rows are (``locate(row, column)``: document parts, Excel sheets
read with their layout) gets, after its scan, one finding per column and personal-information
type: how many values hold it, how many are masked (张*三, 138****1234) and where the unmasked
ones are (“表格 1 第 3 行，第 3 列（身份证号）”, “第 2 页 第 5 行”, “Sheet1!C5”). A free-text
column's spans are located by the free-text scanner (:func:`textscan.extract_spans`). Values
themselves are never part of a finding: the report would leak what it found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import polars as pl

from eduguard.discovery.detectors import DETECTORS, Detector, Values
from eduguard.discovery.detectors.base import MASK_CHARS
from eduguard.discovery.report import ColumnReport, TableReport
from eduguard.discovery.sources import TableSource
from eduguard.discovery.textscan import extract_spans

MAX_LOCATIONS = 20  # locations listed per finding (the count is always whole)
# direct identifiers: 公示 conventions mask these (or leave them out), so one unmasked value is a
# leak. Other types (关系, 金额, 性别 …) are listed too, but next to masked names they identify
# nobody and do not make a leak on their own.
LEAK_TYPES = frozenset(
    {"PERSON_NAME", "CN_RESIDENT_ID", "STUDENT_REG_NO", "STUDENT_NO", "STAFF_NO", "EXAM_REG_NO",
     "PASSPORT", "TRAVEL_PERMIT", "MOBILE_PHONE", "LANDLINE_PHONE", "EMAIL", "BANK_CARD",
     "ADDRESS", "SOCIAL_ACCOUNT", "LICENSE_PLATE", "TEACHER_CERT_NO"}
)  # fmt: skip
_BY_CODE = {detector.code: detector for detector in DETECTORS}


class Locatable(Protocol):
    name: str
    document: dict[str, str]
    hidden: dict[str, list[str]]

    def batches(self, batch_rows: int = ..., limit: int | None = ...) -> Iterator[pl.DataFrame]: ...

    def locate(self, row: int, column: str) -> str: ...


def is_locatable(table: object) -> bool:
    return callable(getattr(table, "locate", None)) and isinstance(
        getattr(table, "document", None), dict
    )


# the files a school posts as they are: a plain table read from one of them is a publication too
PUBLISHABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls"})


class RowsLocator:
    """A plain table (CSV, a streamed sheet) made locatable: a CSV value is at “第 N 行，X 列”
    (line 1 is the header), a streamed sheet's at “Sheet 第 N 个数据行，X 列” (its Excel rows
    are not known when streamed)."""

    def __init__(self, table: TableSource, fmt: str) -> None:
        self.table = table
        self.name = table.name
        self.comment = table.comment
        self.column_comments = table.column_comments
        self.row_count = table.row_count
        self.document = {"path": table.name, "format": fmt, "part": "table"}
        self.hidden: dict[str, list[str]] = {}
        self.sheet: str | None = getattr(table, "sheet", None)
        if not isinstance(self.sheet, str):
            self.sheet = None
        elif getattr(table, "sheet_hidden", False) is True:
            self.hidden["sheet"] = [self.sheet]

    def batches(self, batch_rows: int = 50_000, limit: int | None = None) -> Iterator[pl.DataFrame]:
        return self.table.batches(batch_rows, limit)

    def locate(self, row: int, column: str) -> str:
        if self.sheet is not None:
            return f"{self.sheet} 第 {row + 1} 个数据行，“{column}”列"
        return f"第 {row + 2} 行，“{column}”列"


def publishable_file(table: object) -> str | None:
    """The format of a plain table read from a file a school could post as it is (None: a
    database table, Parquet, JSON …, which nobody posts)."""
    path = getattr(table, "path", None)
    if not isinstance(path, Path) or is_locatable(table):
        return None
    suffix = path.suffix.lower()
    return suffix.lstrip(".") if suffix in PUBLISHABLE_SUFFIXES else None


def masked_values(values: pl.Series) -> pl.Series:
    """Whether each value is written masked (holds a run of mask characters)."""
    return values.str.contains(f"[{re.escape(MASK_CHARS)}]")


# an address cut at a division (湖北省武汉市洪山区): the 公示 convention, generalised, not a leak
_DIVISION_ONLY = r"^[\p{Han}]{2,20}(?:省|市|区|县|旗|州|盟|自治区|特别行政区)$"
_STREET = r"[0-9０-９]|路|街|道|巷|号|村|组|栋|幢|室|弄|胡同|小区|楼|单元|社区|屯|里$"


def generalised_addresses(values: pl.Series) -> pl.Series:
    """Whether each address stops at a province, city or district (no street, no number)."""
    return values.str.contains(_DIVISION_ONLY) & ~values.str.contains(_STREET)


def _check(detector: Detector, column: ColumnReport) -> object:
    named = any(line.startswith(("列名", "列注释")) for line in column.evidence)
    if named and detector.loose_check is not None:
        return detector.loose_check
    return detector.value_check


def _structured(
    table: Locatable, column: ColumnReport, values: pl.Series
) -> list[dict[str, object]]:
    present = values.is_not_null() & (values != "")
    masked = masked_values(values.fill_null("")) & present
    found = []
    for code in column.pi_types:
        detector = _BY_CODE.get(code)
        if detector is None:
            continue
        check = _check(detector, column)
        if check is None:
            holds = present
        else:
            compact = values.fill_null("")
            holds = check(Values(compact)) & present  # type: ignore[operator]
        hidden = masked
        if code == "ADDRESS":
            hidden = masked | (generalised_addresses(values.fill_null("")) & present)
        unmasked = holds & ~hidden
        rows = unmasked.arg_true().to_list()
        found.append(
            _finding(table, column.name, code, int(present.sum()), int(hidden.sum()), rows)
        )
    return found


def _free_text(
    table: Locatable, column: ColumnReport, values: pl.Series
) -> list[dict[str, object]]:
    spans = extract_spans(values.fill_null(""))
    found = []
    for code in column.pi_types:
        rows = spans.filter(pl.col("code") == code)["row"].to_list()
        if rows:
            found.append(_finding(table, column.name, code, len(rows), 0, rows))
    return found


def _finding(
    table: Locatable, column: str, code: str, values: int, masked: int, rows: list[int]
) -> dict[str, object]:
    return {
        "column": column,
        "pi_type": code,
        "values": values,
        "masked": masked,
        "unmasked": len(rows),
        "where": [table.locate(row, column) for row in rows[:MAX_LOCATIONS]],
    }


def locate_findings(table: Locatable, report: TableReport, sample: int | None) -> None:
    """Fill ``report.document``, ``report.findings`` and ``report.leak`` for ``table``."""
    report.document = dict(table.document)
    if table.hidden:
        report.hidden = {key: list(value) for key, value in table.hidden.items()}
    wanted = [column for column in report.columns if column.pi_types]
    if not wanted:
        report.findings, report.leak = [], False
        return
    frames = list(table.batches(limit=sample))
    if not frames:
        report.findings, report.leak = [], False
        return
    frame = pl.concat(frames, how="diagonal")
    findings: list[dict[str, object]] = []
    for column in wanted:
        if column.name not in frame.columns:
            continue
        values = frame.get_column(column.name).cast(pl.String).str.strip_chars()
        prose = any(line.startswith("自由文本") for line in column.evidence)
        if prose:
            findings.extend(_free_text(table, column, values))
        else:
            findings.extend(_structured(table, column, values))
    report.findings = findings
    report.leak = any(
        finding["pi_type"] in LEAK_TYPES and int(str(finding["unmasked"])) > 0
        for finding in findings
    )
