"""Shared CLI plumbing: settings, the database, Chinese errors on stderr.

Light to import (every command and ``eduguard --help`` load it): the database, settings and
audit modules are imported inside the functions that use them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from rich.console import Console, RenderableType
from rich.style import StyleType
from rich.table import Table
from rich.text import Text

from eduguard import exports
from eduguard.errors import EduguardError

if TYPE_CHECKING:  # imported where used: ``eduguard --help`` must not load SQLAlchemy
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from eduguard.config import Settings

_LINK_TAG = re.compile(r"\[(?=/?link\b)", re.IGNORECASE)


def _shown(text: str) -> str:
    # A name like "[link=http://…]" would become a terminal hyperlink (OSC 8): the CLI uses no
    # links itself, so every link tag is printed as text.
    return _LINK_TAG.sub(r"\\[", exports.escape_controls(text, keep="\n"))


class SafeConsole(Console):
    """Every line the CLI prints has its control characters escaped (names read from the
    database may predate the checks) and no hyperlink markup; tables escape their cells
    themselves (:class:`SafeTable`)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_shown(o) if isinstance(o, str) else o for o in objects), **kwargs)


console = SafeConsole()
err_console = SafeConsole(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")


def plain(value: object) -> Text:
    """A value from the database or a user for the terminal: control characters shown escaped
    (ESC as ``\\x1b``, so ``\\x1b[2J`` cannot clear the screen), never read as rich markup
    (``[link=…]`` would emit an escape sequence too). Newlines stay (multi-line cells)."""
    return Text(exports.escape_controls(str(value), keep="\n"))


class SafeTable(Table):
    """The table every CLI listing prints: each text cell goes through :func:`plain`; pass a
    ``Text`` for a cell that is meant to be styled. A cell wider than its column is folded
    onto more lines, never cut with an ellipsis: a hash or a file name stays whole."""

    def __init__(self, *headers: Any, **kwargs: Any) -> None:
        super().__init__(*headers, **kwargs)
        for column in self.columns:
            column.overflow = "fold"

    def add_row(
        self,
        *renderables: RenderableType | None,
        style: StyleType | None = None,
        end_section: bool = False,
    ) -> None:
        cells = [plain(cell) if isinstance(cell, str) else cell for cell in renderables]
        super().add_row(*cells, style=style, end_section=end_section)


def error_text(message: object) -> Text:
    """“错误：” in red, then ``message`` as plain text: a policy location such as
    ``[types.PHONE]`` or a name in brackets is printed, never read as rich markup."""
    return Text.assemble(("错误：", "bold red"), plain(message))


def fail(message: str, code: int = 1) -> typer.Exit:
    # soft_wrap: the terminal wraps the line itself, so a long path stays one copyable string.
    err_console.print(error_text(message), soft_wrap=True)
    return typer.Exit(code)


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Domain errors become one Chinese line on stderr and exit code 1; never a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except EduguardError as exc:
            from eduguard.config import get_settings

            language = get_settings().language
            raise fail(f"{exc.message(language)}（{exc.code}）") from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("EDUGUARD_DEBUG"):
                raise
            # The type only: a message may carry data values, which never go to the console.
            raise fail(
                f"内部错误（{type(exc).__name__}），设置 EDUGUARD_DEBUG=1 可查看详情"
            ) from None

    return wrapper


def open_engine(settings: Settings, *, require_current: bool = True) -> Engine:
    """The platform database; with ``require_current`` it must exist and be migrated — a
    missing embedded database is reported, never created empty by a command that only reads."""
    from sqlalchemy.engine import make_url

    from eduguard.db import migrate
    from eduguard.db.engine import make_engine

    if require_current:
        url = make_url(settings.effective_database_url)
        database = url.database or ""
        if (
            url.get_backend_name() == "sqlite"
            and database not in ("", ":memory:")
            and not Path(database).is_file()
        ):
            raise fail(
                f"在 {settings.home} 中没有找到 eduguard 数据库，请先运行：eduguard init"
                "（或用 EDUGUARD_HOME 指定数据目录；演示环境的目录是 .eduguard-demo）"
            )
    engine = make_engine(settings.effective_database_url)
    if require_current:
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()
        if migrate.current_revision(engine) != head:
            engine.dispose()
            raise fail("数据库尚未初始化或需要升级，请先运行：eduguard init")
    return engine


def session_factory(settings: Settings, engine: Engine) -> sessionmaker[Session]:
    """Sessions that read and write sealed columns with the master key of ``settings``."""
    from eduguard.db.engine import make_session_factory
    from eduguard.keys.keyring import Keyring

    return make_session_factory(engine, Keyring(settings.master_key_source()))


@contextmanager
def db_session(settings: Settings | None = None, *, read_only: bool = False) -> Iterator[Session]:
    """One transaction for a command. ``read_only``: a long read (audit verify) that must not
    hold SQLite's write lock — a running server's writers would wait for it."""
    from eduguard.audit import capture as audit_capture
    from eduguard.audit import checkpoints as audit_checkpoints
    from eduguard.audit import service as audit_service
    from eduguard.audit.service import Actor
    from eduguard.config import get_settings
    from eduguard.db.engine import read_only_bind, transaction

    settings = settings or get_settings()
    engine = open_engine(settings)
    factory = session_factory(settings, engine)
    if read_only:
        factory.configure(bind=read_only_bind(engine))
    audit_capture.install(factory, audit_checkpoints.CheckpointPolicy.from_settings(settings))
    try:
        with transaction(factory) as session:
            audit_service.bind_actor(session, Actor.cli())
            yield session
    finally:
        engine.dispose()
