"""``eduguard catalog …`` and ``eduguard worker`` on both databases."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from eduguard.cli.main import app
from eduguard.config import get_settings

from .conftest import make_school_db

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EDUGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDUGUARD_SCAN_ROOTS", str(tmp_path))
    monkeypatch.setenv("EDUGUARD_SOURCE_HOSTS", "127.0.0.1")  # sources on this machine
    monkeypatch.setenv("EDUGUARD_SOURCE_CONNECT_SECONDS", "3")
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_source_scan_worker_and_export(
    cli_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init")[0] == 0
    assert run("unit", "create", "丙县教育局", "--kind", "county")[0] == 0
    assert run("unit", "create", "丙县一小", "--kind", "school", "--parent", "1")[0] == 0
    assert run("system", "create", "学籍系统", "--unit", "2")[0] == 0
    db = make_school_db(tmp_path / "school.db")
    code, out = run("catalog", "source", "add", "1", f"sqlite:///{db}", "--name", "学籍库")
    assert code == 0, out
    code, out = run("catalog", "scan", "1")
    assert code == 0 and "已排队 1 个扫描任务" in out, out
    code, out = run("worker", "--once")
    assert code == 0 and "已完成" in out and "已执行 1 个扫描任务" in out, out
    code, out = run("catalog", "scan", "1", "--now")
    assert code == 0 and "已完成" in out, out
    target = tmp_path / "out" / "catalog.xlsx"
    code, out = run("catalog", "export", "--format", "xlsx", "--output", str(target))
    assert code == 0 and "已导出 5 个数据项" in out, out
    rows = list(load_workbook(target)["数据资源目录"].iter_rows(values_only=True))
    assert len(rows) == 6 and rows[1][3] == "学籍系统" and rows[1][2] == "丙县教育局"
    # Without --output: named for the unit and the day, in the current folder.
    monkeypatch.chdir(tmp_path)
    code, out = run("catalog", "export", "--unit", "2")
    day = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    named = Path(f"丙县一小-数据资源目录-{day}.xlsx")
    assert code == 0 and named.name in out and named.is_file(), out
    named.unlink()
    as_json = tmp_path / "catalog.json"
    code, out = run(
        "catalog", "export", "--format", "json", "--output", str(as_json), "--unit", "2"
    )
    assert code == 0, out
    assert len(json.loads(as_json.read_text(encoding="utf-8"))["items"]) == 5


def test_a_refused_connection_fails_in_chinese(cli_env: None) -> None:
    run("init")
    run("unit", "create", "丙县一小", "--kind", "school")
    run("system", "create", "学籍系统", "--unit", "1")
    code, out = run("catalog", "source", "add", "1", "postgresql://u:Secret-1234@127.0.0.1:1/x")
    assert code == 0 and "Secret-1234" not in out and "***" in out, out
    code, out = run("catalog", "scan", "1", "--now")
    assert code == 1 and "无法连接数据源" in out and "Secret-1234" not in out, out
    code, out = run("catalog", "scan", "9")
    assert code == 1 and "信息系统不存在" in out


def test_refused_sources_and_cancelling_from_the_command_line(cli_env: None) -> None:
    run("init")
    run("unit", "create", "丙县一小", "--kind", "school")
    run("system", "create", "学籍系统", "--unit", "1")
    code, out = run(
        "catalog", "source", "add", "1", "mysql+pymysql://u@127.0.0.1:3307/x?local_infile=1"
    )
    assert code == 1 and "local_infile" in out and "不允许" in out, out
    code, out = run("catalog", "source", "add", "1", "postgresql://u@169.254.169.254/x")
    assert code == 1 and "EDUGUARD_SOURCE_HOSTS" in out, out
    assert run("catalog", "source", "add", "1", "postgresql://u@127.0.0.1:1/x")[0] == 0
    assert run("catalog", "scan", "1")[0] == 0
    code, out = run("catalog", "cancel", "1")
    assert code == 0 and "已取消扫描任务 1" in out, out
    code, out = run("catalog", "runs")
    assert "已取消" in out, out
    code, out = run("catalog", "cancel", "1")
    assert code == 1 and "已结束" in out, out
    code, out = run("worker", "--once")
    assert code == 0 and "已执行 0 个扫描任务" in out, out


def test_duplicates_and_stats_from_the_command_line(cli_env: None, tmp_path: Path) -> None:
    """Two schools' systems holding the same 120 pupils: the worker sketches their identifiers
    (key from HOME/keys), ``catalog duplicates`` reports the overlap, exact below k values."""
    assert run("init")[0] == 0
    assert run("unit", "create", "丁县教育局", "--kind", "county")[0] == 0
    assert run("unit", "create", "丁县一小", "--kind", "school", "--parent", "1")[0] == 0
    assert run("unit", "create", "丁县二小", "--kind", "school", "--parent", "1")[0] == 0
    assert run("system", "create", "一小学籍", "--unit", "2")[0] == 0
    assert run("system", "create", "二小学籍", "--unit", "3")[0] == 0
    for system, name in (("1", "one.db"), ("2", "two.db")):
        db = make_school_db(tmp_path / name, with_id_column=True)
        assert run("catalog", "source", "add", system, f"sqlite:///{db}")[0] == 0
        assert run("catalog", "scan", system)[0] == 0
    code, out = run("worker", "--once")
    assert code == 0 and "已执行 2 个扫描任务" in out, out
    code, out = run("catalog", "duplicates", "--format", "json")
    assert code == 0, out
    found = {d["pi_type"]: d for d in json.loads(out)}
    assert found["CN_RESIDENT_ID"]["overlap"] == 120 and found["CN_RESIDENT_ID"]["exact"]
    assert {found["MOBILE_PHONE"]["a"]["system"], found["MOBILE_PHONE"]["b"]["system"]} == {
        "一小学籍",
        "二小学籍",
    }
    code, out = run("catalog", "duplicates", "--unit", "2")
    assert code == 0 and "发现 0 处重复采集" in out, out
    code, out = run("catalog", "duplicates")
    assert code == 0 and "一小学籍" in out, out
    assert run("catalog", "duplicates", "--format", "xml")[0] == 1
    code, out = run("catalog", "refresh-stats")
    assert code == 0 and "已重新计算 2 个信息系统" in out, out
