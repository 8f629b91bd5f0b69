"""``eduguard scan`` through Typer's CliRunner: exit codes, stdout purity, every format."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from eduguard.cli.scan import register

from .conftest import ROWS, write_delimited


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """eduguard."""

    register(root)
    return root


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def students_csv(tmp_path: Path) -> Path:
    return write_delimited(tmp_path / "学生名单.csv", "gbk")


def test_json_stdout_is_only_the_report(
    app: typer.Typer, runner: CliRunner, students_csv: Path
) -> None:
    result = runner.invoke(app, ["scan", str(students_csv), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)  # nothing else on stdout
    assert report["report_version"] == 1
    assert report["source"] == str(students_csv)
    [table] = report["tables"]
    assert table["name"] == "学生名单.csv"
    assert table["rows_sampled"] == len(ROWS)
    columns = {column["name"]: column for column in table["columns"]}
    assert "CN_RESIDENT_ID" in columns["身份证号"]["pi_types"]
    assert "MOBILE_PHONE" in columns["手机号"]["pi_types"]
    assert set(table) >= {
        "name",
        "comment",
        "row_count",
        "rows_sampled",
        "level",
        "subjects",
        "minors",
        "columns",
    }


def test_failed_table_exits_1_and_is_listed(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    write_delimited(tmp_path / "good.csv", "utf-8")
    (tmp_path / "photo.csv").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    result = runner.invoke(app, ["scan", str(tmp_path), "-f", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    by_name = {table["name"]: table for table in report["tables"]}
    assert by_name["photo.csv"]["error"]["code"] == "binary_file"
    assert "error" not in by_name["good.csv"]
    assert by_name["good.csv"]["columns"]
    assert "1 个表未能扫描" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--format", "pdf"], "不支持的输出格式"),
        (["--sample", "lots"], "--sample 应为正整数或 all"),
        (["--sample", "0"], "--sample 应为正整数或 all"),
        (["--engine", "hadoop"], "不支持的扫描引擎"),
        (["--rules", "/nonexistent/rules.toml"], "找不到规则文件"),
        (["--output", "/nonexistent/dir/out.json"], "目录不存在"),
    ],
)
def test_usage_errors_exit_2_in_chinese(
    app: typer.Typer, runner: CliRunner, students_csv: Path, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["scan", str(students_csv), *arguments])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_source_is_a_usage_error(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["scan", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "找不到数据源" in result.stderr


def test_invalid_rules_file_is_a_usage_error(
    app: typer.Typer, runner: CliRunner, students_csv: Path, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("this is = = not toml", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(students_csv), "--rules", str(rules)])
    assert result.exit_code == 2
    assert "不是有效的 TOML" in result.stderr


def test_sample_limits_rows(app: typer.Typer, runner: CliRunner, students_csv: Path) -> None:
    result = runner.invoke(app, ["scan", str(students_csv), "-f", "json", "--sample", "2"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["tables"][0]["rows_sampled"] == 2
    result = runner.invoke(app, ["scan", str(students_csv), "-f", "json", "--sample", "all"])
    assert json.loads(result.stdout)["tables"][0]["rows_sampled"] == len(ROWS)


def test_table_format_on_stdout(app: typer.Typer, runner: CliRunner, students_csv: Path) -> None:
    result = runner.invoke(app, ["scan", str(students_csv)])
    assert result.exit_code == 0
    assert result.stdout.index("扫描摘要") < result.stdout.index("身份证号")


def test_xlsx_and_html_files(
    app: typer.Typer, runner: CliRunner, students_csv: Path, tmp_path: Path
) -> None:
    workbook_path = tmp_path / "报告.xlsx"
    result = runner.invoke(app, ["scan", str(students_csv), "-f", "xlsx", "-o", str(workbook_path)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "报告已写入" in result.stderr
    workbook = openpyxl.load_workbook(workbook_path, read_only=True)
    try:
        assert workbook.sheetnames[0] == "摘要"
        names = [row[1] for row in workbook["字段清单"].iter_rows(min_row=2, values_only=True)]
        assert "身份证号" in names
    finally:
        workbook.close()
    page_path = tmp_path / "报告.html"
    result = runner.invoke(app, ["scan", str(students_csv), "-f", "html", "-o", str(page_path)])
    assert result.exit_code == 0
    page = page_path.read_text(encoding="utf-8")
    assert "身份证号" in page
    assert 'class="sensitive"' in page


def test_sqlite_url_and_refused_database(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    database = tmp_path / "school.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE xs (xm TEXT, sfzjh TEXT)")
        connection.executemany("INSERT INTO xs VALUES (?, ?)", [(row[0], row[1]) for row in ROWS])
    connection.close()
    result = runner.invoke(app, ["scan", f"sqlite:///{database}", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    [table] = json.loads(result.stdout)["tables"]
    assert table["row_count"] == len(ROWS)
    result = runner.invoke(app, ["scan", "postgresql://u:topsecret@127.0.0.1:1/x", "-f", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["tables"][0]["error"]["code"] == "db_connect_failed"
    assert "topsecret" not in result.stdout
    assert "topsecret" not in result.stderr
