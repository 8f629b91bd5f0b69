"""``eduguard sharing attributes|open-catalog|responsibility-list`` on SQLite and PostgreSQL,
against the same database as the console: Chinese output; a refused change is one Chinese
line, exit 1, nothing written; the Excel export opens in openpyxl."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from eduguard.cli import common as cli_common
from eduguard.cli.main import app
from eduguard.config import Settings, get_settings
from eduguard.sharing.models import ShareSetting

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def cli(world: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "EDUGUARD_HOME": str(settings.home),
        "EDUGUARD_DATABASE_URL": settings.database_url,
        "EDUGUARD_SECRET_KEY": settings.secret_key.get_secret_value(),
        "COLUMNS": "240",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(cli_common.console, "_width", 240)
    get_settings.cache_clear()
    yield world
    get_settings.cache_clear()


def _count(world: Any) -> int:
    with world.factory() as session:
        return int(session.scalar(select(func.count()).select_from(ShareSetting)) or 0)


def test_attributes_set_list_and_refuse(cli: Any, tmp_path: Path) -> None:
    world = cli
    unit, xs = str(world.school), str(world.datasets["xs_jbxx"])
    code, out = run(
        "sharing", "attributes", "--unit", unit, "--dataset", xs, "--attribute", "unconditional"
    )
    assert code == 1 and "第二十三条" in out
    assert _count(world) == 0
    code, out = run(
        "sharing", "attributes", "--unit", unit, "--dataset", xs, "--attribute", "often"
    )
    assert code == 1 and _count(world) == 0
    code, out = run(
        "sharing",
        "attributes",
        "--unit",
        unit,
        "--dataset",
        xs,
        "--attribute",
        "unconditional",
        "--never-shared",
        "sfzh",
        "--never-shared",
        "xm",
        "--user",
        "pio1",
    )
    assert code == 1 and "权限" in out and _count(world) == 0  # the PI officer only reads
    code, out = run(
        "sharing",
        "attributes",
        "--unit",
        unit,
        "--dataset",
        xs,
        "--attribute",
        "unconditional",
        "--never-shared",
        "sfzh",
        "--never-shared",
        "xm",
        "--user",
        "owner1",
    )
    assert code == 0, out
    assert "无条件共享" in out and "永不共享" in out
    code, out = run("sharing", "attributes", "--unit", str(world.school), "--user", "owner2")
    assert code == 1 and "单位不存在" in out  # another school's owner sees nothing
    code, out = run("sharing", "open-catalog", "--unit", unit)
    assert code == 0 and "bj" in out and "sfzh" not in out
    target = tmp_path / "open.xlsx"
    code, out = run("sharing", "open-catalog", "--unit", unit, "--output", str(target))
    assert code == 0, out
    rows = list(
        load_workbook(io.BytesIO(target.read_bytes()))["数据开放目录"].iter_rows(values_only=True)
    )
    assert [(r[2], r[5]) for r in rows[1:]] == [("xs_jbxx", "xh"), ("xs_jbxx", "bj")]
    code, out = run("sharing", "responsibility-list", "--unit", unit)
    assert code == 0 and "不予共享" in out and "xh" in out
    listed = tmp_path / "list.xlsx"
    code, out = run("sharing", "responsibility-list", "--unit", unit, "-o", str(listed))
    assert code == 0 and listed.stat().st_size > 0
