"""A folder scan never skips a file silently: each one is scanned or listed with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from eduguard.cli.scan import EXIT_FILES_SKIPPED, register
from eduguard.discovery import api

from .conftest import write_delimited


def _app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """eduguard."""

    register(root)
    return root


def _folder(tmp_path: Path) -> Path:
    write_delimited(tmp_path / "名单.csv", "gbk")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "~$名单.xlsx").write_bytes(b"lock")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]\n")
    return tmp_path


def test_skipped_files_are_listed_with_reasons(tmp_path: Path) -> None:
    report = api.scan(_folder(tmp_path))
    assert [table.name for table in report.tables] == ["名单.csv"]
    skipped = {entry["name"]: entry for entry in report.skipped}
    assert set(skipped) == {"photo.png", "~$名单.xlsx", ".git"}  # not .git's contents
    assert skipped["photo.png"]["code"] == "unsupported_format"
    assert ".png" in skipped["photo.png"]["message"]
    assert skipped["~$名单.xlsx"]["code"] == "hidden_file"
    assert "隐藏文件夹" in skipped[".git"]["message"]
    assert report.to_dict()["skipped"][0].keys() == {"name", "code", "message"}


def test_nothing_skipped_keeps_the_report_shape(tmp_path: Path) -> None:
    write_delimited(tmp_path / "a.csv", "utf-8")
    report = api.scan(tmp_path)
    assert report.skipped == []
    assert "skipped" not in report.to_dict()


def test_exit_status_says_files_were_skipped(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(_app(), ["scan", str(_folder(tmp_path)), "-f", "json"])
    assert result.exit_code == EXIT_FILES_SKIPPED == 3
    assert len(json.loads(result.stdout)["skipped"]) == 3
    assert "3 个文件未扫描" in result.stderr
    table = runner.invoke(_app(), ["scan", str(tmp_path)])
    assert table.exit_code == 3
    assert "未扫描的文件" in table.stdout and "photo.png" in table.stdout


def test_a_failed_table_outranks_skipped_files(tmp_path: Path) -> None:
    _folder(tmp_path)
    (tmp_path / "broken.csv").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    result = CliRunner().invoke(_app(), ["scan", str(tmp_path), "-f", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert any(table.get("error") for table in report["tables"])
    assert report["skipped"]


def test_html_and_xlsx_reports_list_skipped_files(tmp_path: Path) -> None:
    from io import BytesIO

    import openpyxl

    from eduguard.discovery.render import render_bytes

    report = api.scan(_folder(tmp_path))
    assert "photo.png" in render_bytes(report, "html").decode()
    book = openpyxl.load_workbook(BytesIO(render_bytes(report, "xlsx")))
    cells = [cell for row in book.worksheets[0].iter_rows(values_only=True) for cell in row]
    assert "未扫描的文件" in cells and "photo.png" in cells
