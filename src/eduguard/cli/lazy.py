"""Commands loaded when they are run: ``eduguard --help`` imports none of them.

Each command module imports what it needs (polars, SQLAlchemy, the web app …) at its top;
importing all of them made every start of ``eduguard`` take seconds. :class:`LazyGroup` is
the root command group: it knows each command's name, module and one-line help, lists them
from that table, and imports a module only when one of its commands is resolved (run, or
asked for its own ``--help``). A test keeps the table's help lines equal to the commands'.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

Command = Any  # typer's vendored click.Command (typer._click is not a public name)


@dataclass(frozen=True)
class LazyCommand:
    """``name`` comes from ``module``: its Typer sub-app ``attribute``, or, without one, the
    command(s) that the module's ``register(app)`` adds. ``help`` is the line listed by
    ``eduguard --help``."""

    name: str
    module: str
    help: str
    attribute: str | None = None


def load(entries: tuple[LazyCommand, ...], module: str) -> dict[str, Command]:
    """The click commands that ``module`` contributes (imports it)."""
    imported = importlib.import_module(module)
    holder = typer.Typer()
    holder.callback()(_no_op)  # a group even when the module adds a single command
    mine = [entry for entry in entries if entry.module == module]
    if any(entry.attribute is None for entry in mine):
        imported.register(holder)
    for entry in mine:
        if entry.attribute is not None:
            holder.add_typer(getattr(imported, entry.attribute), name=entry.name)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return dict(group.commands)


def _no_op() -> None:
    """(the holder group's callback)"""


class LazyGroup(TyperGroup):
    """The root group; ``entries`` is set on a subclass (see ``eduguard.cli.main``)."""

    entries: tuple[LazyCommand, ...] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        eager = [name for name in self.commands if name not in self._lazy_names()]
        return [*eager, *(entry.name for entry in self.entries)]

    def _lazy_names(self) -> set[str]:
        return {entry.name for entry in self.entries}

    def get_command(self, ctx: Any, cmd_name: str) -> Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = next((e for e in self.entries if e.name == cmd_name), None)
        if entry is None:
            return None
        if self._listing:  # the root's help lists names and help lines only
            return TyperCommand(name=entry.name, help=entry.help)
        for name, command in load(self.entries, entry.module).items():
            self.commands.setdefault(name, command)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
