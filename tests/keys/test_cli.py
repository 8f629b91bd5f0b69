"""``eduguard keys status | migrate | rotate`` and ``init`` on both databases."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from eduguard.cli.main import app
from eduguard.config import get_settings
from eduguard.crypto import new_key_hex

from .conftest import CONTACT, raw_values

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EDUGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    yield tmp_path / "home" / "keys"
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_status_rotate_and_master_rotation(cli_env: Path, engine: Engine, tmp_path: Path) -> None:
    assert run("init")[0] == 0
    code, out = run("unit", "create", "示例学校", "--kind", "school", "--principal-leader", CONTACT)
    assert code == 0, out
    assert CONTACT not in " ".join(raw_values(engine))
    code, out = run("keys", "status")
    assert code == 0 and "使用中" in out and "units.principal_leader 1" in out, out
    code, out = run("keys", "rotate", "--batch-size", "1")
    assert code == 0 and "数据密钥已轮换" in out and "重新加密 1 个字段" in out, out
    code, out = run("keys", "status")
    assert code == 0 and "已退役" in out, out
    new_master = tmp_path / "new-master.key"
    new_master.write_text(new_key_hex())
    code, out = run("keys", "rotate", "--master", str(new_master))
    assert code == 0 and "重新包装 2 个数据密钥" in out, out
    assert (cli_env / "master.key").read_text().strip() == new_master.read_text().strip()
    code, out = run("keys", "rotate", "--generate-master")
    assert code == 0 and "新主密钥已写入" in out, out
    code, out = run("unit", "list", "--json")
    assert code == 0 and CONTACT in out, out


def test_a_wrong_master_key_is_one_chinese_line(
    cli_env: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init")[0] == 0
    assert (
        run("unit", "create", "示例学校", "--kind", "school", "--principal-leader", CONTACT)[0] == 0
    )
    before = raw_values(engine)
    monkeypatch.setenv("EDUGUARD_MASTER_KEY", new_key_hex())
    get_settings.cache_clear()

    def must_not_serve(*_args: object) -> None:
        raise AssertionError("the server started with a wrong master key")

    monkeypatch.setattr("eduguard.cli.main._serve", must_not_serve)
    for args in (("keys", "rotate"), ("keys", "status"), ("unit", "list"), ("serve",)):
        code, out = run(*args)
        assert code == 1, (args, out)
        assert "主密钥不正确" in out and "Traceback" not in out, out
    assert raw_values(engine) == before
    monkeypatch.setenv("EDUGUARD_MASTER_KEY", "not-hex")
    get_settings.cache_clear()
    code, out = run("keys", "status")
    assert code == 1 and "主密钥格式错误" in out, out
