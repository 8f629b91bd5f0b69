"""The ``eduguard`` command: init, serve, demo here; every other command in its own module.

``eduguard --help`` and each command import only what they use: the root group lists the other
commands from :data:`COMMANDS` and imports a command's module when it is run
(:mod:`eduguard.cli.lazy`). Keep this module's top-level imports light (no SQLAlchemy, polars,
FastAPI …); a test checks.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from eduguard import __version__
from eduguard.cli.common import console, err_console, error_text, fail, friendly_errors
from eduguard.cli.lazy import LazyCommand, LazyGroup
from eduguard.errors import EduguardError

if TYPE_CHECKING:
    from eduguard.config import Settings

# In the order ``eduguard --help`` lists them; help = the command's first docstring paragraph
# or its sub-app's help (tests/core/test_cli_lazy.py keeps them equal).
COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "scan",
        "eduguard.cli.scan",
        "扫描数据源，发现并分级其中的个人信息（scan a source for personal information）。",
    ),
    LazyCommand(
        "publish-check",
        "eduguard.cli.publish",
        "公示前检查：文件能否发布、哪里要处理，并可生成脱敏副本（check documents before posting）。",
    ),
    LazyCommand(
        "worker",
        "eduguard.cli.catalog",
        "后台任务：执行排队的扫描、已批准的数据发布、消息发送与期限提醒，按计划为定期扫描的\n"
        "数据源排队，并把进程中断而遗留的任务置为失败或重新排队。",
    ),
    LazyCommand(
        "mask",
        "eduguard.cli.mask",
        "生成脱敏副本与报告（mask a copy of a source; the source is never changed）。",
    ),
    LazyCommand(
        "dp-stats",
        "eduguard.cli.mask",
        "发布差分隐私统计量（计数、均值、分类计数），输出 JSON 并注明 ε。",
    ),
    LazyCommand("unit", "eduguard.cli.orgs", "单位管理 (units)", "unit_app"),
    LazyCommand("system", "eduguard.cli.orgs", "信息系统管理 (information systems)", "system_app"),
    LazyCommand(
        "agreement",
        "eduguard.cli.orgs",
        "第三方平台协议管理 (third-party agreements)",
        "agreement_app",
    ),
    LazyCommand("user", "eduguard.cli.users", "账户管理 (accounts)", "user_app"),
    LazyCommand("catalog", "eduguard.cli.catalog", "数据资源目录 (data resource catalog)"),
    LazyCommand("compliance", "eduguard.cli.compliance", "合规评估与整改 (compliance)"),
    LazyCommand("consent", "eduguard.cli.consent", "同意记录与同意闸门 (consent ledger and gate)"),
    LazyCommand(
        "release", "eduguard.cli.release", "科研与统计数据发布 (research and statistics release)"
    ),
    LazyCommand("audit", "eduguard.cli.audit", "审计日志 (audit log)", "audit_app"),
    LazyCommand("keys", "eduguard.cli.keys", "字段加密密钥 (envelope keys)", "keys_app"),
    LazyCommand(
        "retention",
        "eduguard.cli.retention",
        "保存期限与保全 (retention rules and holds)",
        "retention_app",
    ),
    LazyCommand("collection", "eduguard.cli.collection", "数据收集审核 (collection reviews)"),
    LazyCommand(
        "backup",
        "eduguard.cli.backup",
        "平台备份与恢复 (platform backup and restore)",
        "backup_app",
    ),
    LazyCommand(
        "sharing",
        "eduguard.cli.sharing",
        "数据开放与共享：共享属性、数据开放目录、数据共享责任清单 (open data and sharing)",
        "sharing_app",
    ),
)


class RootGroup(LazyGroup):
    entries = COMMANDS


app = typer.Typer(
    name="eduguard",
    help="eduguard 教育数据安全治理平台 — education data security governance",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=RootGroup,
)

Host = Annotated[str, typer.Option("--host", help="监听地址")]
Port = Annotated[int, typer.Option("--port", help="监听端口", min=1, max=65535)]
DEMO_MARKER = ".eduguard-demo"


def _version(value: bool) -> None:
    if value:
        console.print(f"eduguard {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本")
    ] = False,
) -> None:
    """教育数据安全治理平台。"""
    _find_demo_home()


def _find_demo_home() -> None:
    """Beside ``eduguard demo`` (its home ./.eduguard-demo, no ./.eduguard), commands use the
    demo's home as its console does; EDUGUARD_HOME, EDUGUARD_DATABASE_URL or EDUGUARD_CONFIG
    always decide instead."""
    if any(
        os.environ.get(name)
        for name in ("EDUGUARD_HOME", "EDUGUARD_DATABASE_URL", "EDUGUARD_CONFIG")
    ):
        return
    demo_home = Path(".eduguard-demo")
    if Path(".eduguard").exists() or not (demo_home / DEMO_MARKER).is_file():
        return
    os.environ["EDUGUARD_HOME"] = str(demo_home)
    from eduguard.config import get_settings

    get_settings.cache_clear()
    err_console.print(
        "使用演示环境的数据目录 .eduguard-demo（设置 EDUGUARD_HOME 可指定其他目录）",
        highlight=False,
    )


def _prepare(settings: Settings) -> None:
    from eduguard.db import migrate
    from eduguard.db.engine import make_engine

    settings.home.mkdir(parents=True, exist_ok=True)
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


@app.command()
@friendly_errors
def init() -> None:
    """创建或升级数据库（EDUGUARD_HOME 下的 SQLite，或 EDUGUARD_DATABASE_URL）。"""
    from eduguard.cli.common import db_session
    from eduguard.cli.keys import migrate_command as keys_migrate
    from eduguard.config import get_settings
    from eduguard.identity import service as identity_service

    settings = get_settings()
    _prepare(settings)
    console.print(f"数据库已就绪：{_display_url(settings)}")
    keys_migrate()  # values stored before envelope encryption: encrypted now (needs the key)
    with db_session(settings) as session:
        if identity_service.count_users(session) == 0:
            console.print(
                "尚无账户。请创建首个系统管理员：\n"
                "  eduguard user create 用户名 --role system_admin"
            )


def _display_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.effective_database_url).render_as_string(hide_password=True)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from eduguard.web.app import create_app

    application = create_app(settings)
    # No proxy headers in uvicorn (its default trusts X-Forwarded-For from 127.0.0.1): the app
    # believes them only from EDUGUARD_TRUSTED_PROXIES (web/deps.py client_address).
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


@app.command()
@friendly_errors
def serve(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """启动 Web 控制台与 API。"""
    from sqlalchemy.orm import Session

    from eduguard.cli.common import open_engine
    from eduguard.config import get_settings
    from eduguard.keys.keyring import Keyring

    settings = get_settings()
    settings.check_secrets()

    engine = open_engine(settings)
    try:  # a wrong master key refuses to start (nothing is read or changed)
        with Session(engine) as session:
            Keyring(settings.master_key_source()).check_master(session)
    finally:
        engine.dispose()
    console.print(f"控制台：http://{host}:{port}/   API 文档：http://{host}:{port}/api/docs")
    _serve(settings, host, port)


@app.command()
@friendly_errors
def demo(
    home: Annotated[Path, typer.Option("--home", help="演示数据目录（会被重建）")] = Path(
        ".eduguard-demo"
    ),
    host: Host = "127.0.0.1",
    port: Port = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="只准备演示数据，不启动服务")
    ] = False,
) -> None:
    """创建全新的演示环境（示例省 → 市 → 县 → 两所学校）并启动控制台。"""
    from eduguard.audit import capture as audit_capture
    from eduguard.audit import service as audit_service
    from eduguard.audit.service import Actor
    from eduguard.cli.common import session_factory
    from eduguard.config import Settings
    from eduguard.db.engine import make_engine, transaction
    from eduguard.demo import flows as demo_flows

    if home.exists():
        if not (home / DEMO_MARKER).exists():
            raise fail(f"{home} 已存在且不是演示目录，拒绝覆盖；请换一个 --home")
        shutil.rmtree(home)
    home.mkdir(parents=True)
    (home / DEMO_MARKER).write_text("eduguard demo home; safe to delete\n", encoding="utf-8")
    settings = Settings(home=home, database_url=None, demo=True)
    _prepare(settings)
    engine = make_engine(settings.effective_database_url)
    factory = session_factory(settings, engine)
    audit_capture.install(factory)
    try:
        with transaction(factory) as session:
            audit_service.bind_actor(session, Actor.cli("生成演示数据"))
            login = demo_flows.seed(session)
    finally:
        engine.dispose()
    console.print(f"[green]演示环境已创建[/]：{home.resolve()}")
    console.print(f"登录账号：[bold]{login.username}[/]  密码：[bold]{login.password}[/]")
    for username, label in login.others:
        console.print(f"  其他演示账号：[bold]{username}[/]（{label}），密码同上")
    if no_serve:
        return
    console.print(f"控制台：http://{host}:{port}/  （Ctrl+C 退出）")
    _serve(settings, host, port)


def run() -> None:  # pragma: no cover - console-script shim
    try:
        app()
    except EduguardError as exc:
        err_console.print(error_text(exc.message_zh))
        raise SystemExit(1) from None
