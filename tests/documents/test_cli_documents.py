"""``eduguard scan`` of documents: the terminal shows where the leaks are; JSON keeps them."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from eduguard.cli.scan import register

from .conftest import make_docx, make_scanned_pdf


def _app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """eduguard."""

    register(root)
    return root


def test_terminal_report_shows_locations_and_verdicts(tmp_path: Path) -> None:
    make_docx(tmp_path / "公示.docx")
    make_docx(tmp_path / "公示_已脱敏.docx", hide=True)
    result = CliRunner().invoke(_app(), ["scan", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert "未脱敏居民身份证号（CN_RESIDENT_ID） 6 处：表格 1 第 3 行" in result.stdout
    assert "结论：含未脱敏的个人信息" in result.stdout
    assert "结论：未发现未脱敏的直接标识" in result.stdout


def test_a_scanned_pdf_fails_the_scan_in_json(tmp_path: Path) -> None:
    make_scanned_pdf(tmp_path / "扫描件.pdf")
    make_docx(tmp_path / "公示.docx")
    result = CliRunner().invoke(_app(), ["scan", str(tmp_path), "-f", "json"])
    assert result.exit_code == 1  # needs OCR: never reported as clean
    report = json.loads(result.stdout)
    by_name = {table["name"]: table for table in report["tables"]}
    assert by_name["扫描件.pdf:需要OCR"]["error"]["code"] == "needs_ocr"
    table = by_name["公示.docx:表格1"]
    assert table["leak"] is True and table["document"]["format"] == "docx"
    [ids] = [f for f in table["findings"] if f["pi_type"] == "CN_RESIDENT_ID"]
    assert ids["where"][0] == "表格 1 第 3 行，第 3 列（身份证号）"


def test_html_report_lists_locations(tmp_path: Path) -> None:
    from eduguard.discovery import api
    from eduguard.discovery.render import render_bytes

    report = api.scan(make_docx(tmp_path / "公示.docx"))
    page = render_bytes(report, "html").decode()
    assert "未脱敏居民身份证号" in page and "表格 1 第 3 行，第 3 列（身份证号）" in page
    assert "结论：含未脱敏的个人信息" in page
