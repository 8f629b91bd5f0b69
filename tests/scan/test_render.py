"""Renderers: each format shows the summary first and the sensitive columns, highlighted."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser

import openpyxl
import pytest
from rich.console import Console

from eduguard.discovery.render import render_bytes, render_html, render_json, render_table
from eduguard.discovery.render.excel import COLUMN_HEADERS
from eduguard.discovery.report import ColumnReport, ScanReport, TableReport


@pytest.fixture
def report() -> ScanReport:
    students = TableReport(
        name="xs_jbxx",
        comment="学生基本信息",
        row_count=1200,
        rows_sampled=1000,
        level="general-4",
        subjects=1187,
        minors=True,
        columns=[
            ColumnReport(
                name="sfzjh",
                comment="身份证件号",
                pi_types=["CN_RESIDENT_ID"],
                sensitive=False,
                minors=True,
                category="student.identity",
                level="general-4",
                confidence=0.99,
                evidence=[
                    "998 of 1000 values pass the GB 11643 check digit",
                    "字段名 sfzjh = 身份证件号",
                ],
            ),
            ColumnReport(
                name="mzm",
                comment="民族码",
                pi_types=["ETHNICITY"],
                sensitive=True,
                category="student.identity",
                level="general-4",
                confidence=0.95,
                evidence=["GB/T 3304 民族代码"],
            ),
            ColumnReport(name="bjmc", comment="班级名称", level="general-2", confidence=0.9),
            ColumnReport(name="<script>x</script>", level="general-1"),
        ],
    )
    failed = TableReport(
        name="broken.csv",
        error={"code": "binary_file", "message": "文件“broken.csv”是二进制文件，不是文本表格"},
    )
    return ScanReport(
        source="sqlite:///school.db",
        scanned_at="2026-11-27T05:00:00+00:00",
        tables=[students, failed],
    )


def test_json_is_exactly_the_contract(report: ScanReport) -> None:
    text = render_json(report)
    assert json.loads(text) == report.to_dict()
    assert "身份证件号" in text  # ensure_ascii=False: Chinese stays readable
    data = json.loads(render_bytes(report, "json"))
    assert data["report_version"] == 1
    assert data["tables"][1]["error"]["code"] == "binary_file"
    assert data["tables"][0]["columns"][0]["pi_types"] == ["CN_RESIDENT_ID"]


class _RowClasses(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, str]] = []
        self.external: list[str] = []
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "tr":
            self._current = values.get("class") or ""
        if tag in ("script", "link", "img", "iframe") or (values.get("src") or "").startswith(
            "http"
        ):
            self.external.append(tag)

    def handle_data(self, data: str) -> None:
        if self._current is not None and data.strip():
            self.rows.append((self._current, data.strip()))
            self._current = None


def test_html_is_self_contained_and_highlights(report: ScanReport) -> None:
    page = render_html(report)
    parser = _RowClasses()
    parser.feed(page)
    assert parser.external == []  # no script, stylesheet link or remote resource
    assert page.index("摘要") < page.index("字段明细")
    row_classes = {text: css for css, text in parser.rows}
    assert row_classes["sfzjh"] == "sensitive"
    assert row_classes["mzm"] == "sensitive"
    assert row_classes["bjmc"] == ""
    assert "&lt;script&gt;x&lt;/script&gt;" in page  # names from a database are escaped
    assert "998 of 1000 values pass the GB 11643 check digit" in page
    assert "居民身份证号" in page
    assert "二进制文件" in page
    assert "一般数据（4级）" in page


def test_xlsx_summary_first_then_columns_highlighted(report: ScanReport) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(render_bytes(report, "xlsx")))
    assert workbook.sheetnames == ["摘要", "字段清单", "表清单"]
    summary = workbook["摘要"]
    values = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert values["扫描表数"] == 2
    assert values["失败表数"] == 1
    assert values["敏感个人信息字段"] == 1
    assert values["最高级别"] == "一般数据（4级）"
    assert values["broken.csv"].startswith("[binary_file]")
    columns = workbook["字段清单"]
    header = [cell.value for cell in columns[1]]
    assert tuple(header) == COLUMN_HEADERS
    by_name = {row[1].value: row for row in columns.iter_rows(min_row=2)}
    sfzjh = by_name["sfzjh"]
    assert sfzjh[3].value == "居民身份证号"
    assert sfzjh[5].value == "是"
    assert "GB 11643" in str(sfzjh[9].value)
    assert sfzjh[0].fill.fgColor.rgb.endswith("F8CBAD")
    assert by_name["bjmc"][0].fill.fgColor.rgb != sfzjh[0].fill.fgColor.rgb
    workbook.close()


def test_terminal_table_summary_first(report: ScanReport) -> None:
    buffer = io.StringIO()
    render_table(report, Console(file=buffer, width=200, no_color=True))
    text = buffer.getvalue()
    assert text.index("扫描摘要") < text.index("xs_jbxx")
    assert "sfzjh" in text
    assert "bjmc" not in text  # non-personal columns are counted, not listed
    assert "其余 2 个字段未发现个人信息" in text
    assert "binary_file" in text
    plain = render_bytes(report, "table").decode()
    assert "扫描摘要" in plain
