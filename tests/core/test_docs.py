"""Docs stay honest: every CLI command and every setting is in the README."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.main import get_command

from eduguard.cli.main import app
from eduguard.config import settings_documentation

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def command_paths(group: typer.Typer) -> list[str]:
    root = get_command(group)
    paths: list[str] = []

    def walk(command: Any, prefix: str) -> None:
        # list_commands/get_command, not .commands: the root loads its commands on demand.
        if hasattr(command, "list_commands"):
            context = command.context_class(command)
            for name in command.list_commands(context):
                walk(command.get_command(context, name), f"{prefix} {name}")
        else:
            paths.append(prefix)

    walk(root, "eduguard")
    return paths


def test_every_cli_command_is_documented() -> None:
    paths = command_paths(app)
    assert "eduguard unit create" in paths
    missing = [p for p in paths if f"`{p}" not in README]
    assert missing == []


def test_every_setting_is_documented() -> None:
    missing = [name for name in settings_documentation() if f"`{name}`" not in README]
    assert missing == []


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/eduguard demo",
        "bash scripts/test",
    ]
