"""The ``eduguard`` command: init, unit, system, user, demo; errors in Chinese, no tracebacks."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eduguard.cli.main import app
from eduguard.config import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "EDUGUARD_HOME": str(tmp_path / "home"),
        "EDUGUARD_DATABASE_URL": db_url,
        "EDUGUARD_SECRET_KEY": secrets.token_urlsafe(48),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_init_unit_and_system_commands(cli_env: dict[str, str]) -> None:
    code, out = run("init")
    assert code == 0, out
    assert "尚无账户" in out
    code, out = run(
        "unit", "create", "甲县教育局", "--kind", "county", "--principal-leader", "赵示例"
    )
    assert code == 0, out
    code, out = run("unit", "create", "甲县一中", "--kind", "school", "--parent", "1")
    assert code == 0, out
    code, out = run(
        "system", "create", "学籍系统", "--unit", "2", "--mlps-level", "2", "--subjects", "800"
    )
    assert code == 0, out
    code, out = run("system", "list", "--json")
    assert code == 0
    systems = json.loads(out)
    assert systems[0]["name"] == "学籍系统" and systems[0]["owner_unit"]["name"] == "甲县一中"
    code, out = run("unit", "list")
    assert "甲县一中" in out and "赵示例" in out


def test_cli_bad_input_is_explained_in_chinese(cli_env: dict[str, str]) -> None:
    run("init")
    run("unit", "create", "甲县教育局", "--kind", "county")
    code, out = run("unit", "create", "甲县教育局", "--kind", "county")
    assert code == 1 and "已有同名单位" in out and "Traceback" not in out
    code, out = run("system", "create", "x", "--unit", "1", "--owner", "777")
    assert code == 1 and "主管单位不存在" in out
    code, out = run("system", "create", "x", "--unit", "1", "--mlps-level", "8")
    assert code == 1 and "mlps_level" in out and "数值过大" in out
    code, out = run("system", "list", "--json")
    assert json.loads(out) == []


def test_commands_refuse_an_uninitialised_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDUGUARD_HOME", str(tmp_path / "fresh"))
    monkeypatch.delenv("EDUGUARD_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    code, out = run("unit", "list")
    get_settings.cache_clear()
    assert code == 1 and "eduguard init" in out


def test_first_administrator_is_created_from_the_cli(cli_env: dict[str, str]) -> None:
    run("init")
    code, out = run("user", "create", "chief", "--role", "system_admin", "--password", "short")
    assert code == 1 and "至少 12 个字符" in out
    code, out = run(
        "user", "create", "chief", "--role", "system_admin", "--password", "Long-enough-passw0rd"
    )
    assert code == 0, out
    code, out = run("init")
    assert "尚无账户" not in out


def test_serve_refuses_a_placeholder_secret(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run("init")
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", "changeme")
    get_settings.cache_clear()
    code, out = run("serve", "--port", "8999")
    assert code == 1
    assert "EDUGUARD_SECRET_KEY" in out


def test_demo_prepares_a_fresh_home(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    code, out = run("demo", "--home", str(home), "--no-serve")
    assert code == 0, out
    assert "登录账号：admin" in out
    assert "auditor（审计管理员）" in out
    assert "school-owner" in out
    assert (home / "eduguard.db").is_file()
    code, out = run("demo", "--home", str(home), "--no-serve")
    assert code == 0  # a demo home is rebuilt
    precious = tmp_path / "precious"
    precious.mkdir()
    code, out = run("demo", "--home", str(precious), "--no-serve")
    assert code == 1 and "拒绝覆盖" in out


def test_agreement_commands(cli_env: dict[str, str], tmp_path: Path) -> None:
    run("init")
    run("unit", "create", "甲县一中", "--kind", "school")
    document = tmp_path / "协议.pdf"
    document.write_bytes(b"%PDF-1.4 synthetic")
    code, out = run(
        "agreement",
        "create",
        "示例科技公司",
        "--unit",
        "1",
        "--from",
        "2026-01-01",
        "--until",
        "2027-01-01",
        "--document",
        str(document),
    )
    assert code == 0, out
    code, out = run(
        "agreement",
        "create",
        "x",
        "--unit",
        "1",
        "--from",
        "2026-01-01",
        "--until",
        "2027-01-01",
        "--document",
        str(tmp_path / "missing.pdf"),
    )
    assert code == 1
    assert "协议文件不存在" in out
    code, out = run("agreement", "edit", "1", "--until", "2025-01-01")
    assert code == 1
    assert "早于" in out
    code, out = run("agreement", "list", "--json")
    agreements = json.loads(out)
    assert [a["document_name"] for a in agreements] == ["协议.pdf"]
    assert agreements[0]["valid_until"] == "2027-01-01"
    code, out = run("agreement", "archive", "1")
    assert code == 0
    code, out = run("agreement", "list", "--json")
    assert json.loads(out) == []


@pytest.fixture
def bare_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with no eduguard setting in the environment."""
    for name in ("EDUGUARD_HOME", "EDUGUARD_DATABASE_URL", "EDUGUARD_CONFIG"):
        monkeypatch.delenv(name, raising=False)  # restored (or removed) after the test
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_a_reading_command_never_creates_a_database(bare_folder: Path) -> None:
    """`eduguard compliance report` in a folder without a home used to leave an empty
    .eduguard/eduguard.db behind."""
    code, out = run("compliance", "report", "--format", "json", "--output", "r.json")
    assert code == 1 and "没有找到 eduguard 数据库" in out and "eduguard init" in out
    assert not (bare_folder / ".eduguard" / "eduguard.db").exists()
    assert not (bare_folder / "r.json").exists()


def test_commands_beside_the_demo_use_its_home(bare_folder: Path) -> None:
    code, out = run("demo", "--no-serve")
    assert code == 0, out
    assert (bare_folder / ".eduguard-demo" / "eduguard.db").is_file()
    result = CliRunner().invoke(app, ["unit", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert "使用演示环境的数据目录" in result.stderr
    names = {unit["name"] for unit in json.loads(result.stdout)}
    assert any("县" in name for name in names) and len(names) >= 5
    assert not (bare_folder / ".eduguard").exists()
