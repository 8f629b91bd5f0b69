"""``eduguard --help`` loads no command module; each command is imported when it is run.

Not timed (bench/cli_start.py measures): these check which modules a start imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from eduguard.cli import lazy
from eduguard.cli.main import COMMANDS, app

HEAVY = ("polars", "sqlalchemy", "fastapi", "pyarrow", "openpyxl", "jinja2", "reportlab")


def _modules_after(code: str, tmp_path: Path) -> set[str]:
    """The modules loaded by ``code`` in a fresh interpreter (run in ``tmp_path``)."""
    script = textwrap.dedent(code) + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "EDUGUARD_HOME": str(tmp_path / "home"), **_pythonpath()},
        check=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _pythonpath() -> dict[str, str]:
    import eduguard

    return {"PYTHONPATH": str(Path(eduguard.__file__).parents[1])}


def test_importing_the_cli_loads_nothing_heavy(tmp_path: Path) -> None:
    loaded = _modules_after("import eduguard.cli.main", tmp_path)
    assert "eduguard.cli.main" in loaded
    assert [name for name in HEAVY if name in loaded] == []
    assert {entry.module for entry in COMMANDS} & loaded == set()


def test_root_help_lists_every_command_without_importing_one(tmp_path: Path) -> None:
    loaded = _modules_after(
        """
        from eduguard.cli.main import app
        try:
            app(["--help"], prog_name="eduguard")
        except SystemExit as exit:
            assert exit.code == 0, exit.code
        """,
        tmp_path,
    )
    assert [name for name in HEAVY if name in loaded] == []
    command_modules = {entry.module for entry in COMMANDS}
    assert command_modules & loaded == set()

    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    for entry in COMMANDS:
        assert entry.name in result.output
        assert entry.help.split("\n")[0][:20] in result.output


def test_the_listed_help_is_each_commands_own() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, lazy.LazyGroup)
    real: dict[str, object] = {}
    for module in {entry.module for entry in COMMANDS}:
        real.update(lazy.load(COMMANDS, module))
    # Every command a module adds is listed (none hidden from --help), and nothing else.
    assert set(real) == {entry.name for entry in COMMANDS}
    for entry in COMMANDS:
        command = real[entry.name]
        own = (getattr(command, "help", None) or "").split("\n\n")[0].strip()
        assert own == entry.help, entry.name


def test_a_command_is_loaded_when_run(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["scan", "--help"])
    assert result.exit_code == 0 and "--format" in result.output, result.output
    result = runner.invoke(app, ["catalog", "export", "--help"])
    assert result.exit_code == 0 and "--output" in result.output, result.output
    result = runner.invoke(app, ["no-such-command"])
    assert result.exit_code == 2


def test_a_file_scan_does_not_load_the_database_layer(tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text("姓名,手机号\n张三,13800138000\n", encoding="utf-8")
    loaded = _modules_after(
        """
        from eduguard.cli.main import app
        try:
            app(["scan", "one.csv", "--format", "json"], prog_name="eduguard")
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
        """,
        tmp_path,
    )
    assert "eduguard.discovery.engine" in loaded  # it did scan
    assert [
        name for name in ("sqlalchemy", "fastapi", "openpyxl", "jinja2") if name in loaded
    ] == []


def test_scan_help_loads_no_scanner(tmp_path: Path) -> None:
    loaded = _modules_after(
        """
        from eduguard.cli.main import app
        try:
            app(["scan", "--help"], prog_name="eduguard")
        except SystemExit as exit:
            assert exit.code == 0, exit.code
        """,
        tmp_path,
    )
    assert "eduguard.cli.scan" in loaded
    assert [name for name in HEAVY if name in loaded] == []


def test_the_scan_commands_copies_of_scanner_constants_are_equal() -> None:
    from eduguard.cli import scan as scan_cli
    from eduguard.discovery import api, render

    assert scan_cli.DEFAULT_SAMPLE_ROWS == api.DEFAULT_SAMPLE
    assert scan_cli.FORMATS == render.FORMATS
