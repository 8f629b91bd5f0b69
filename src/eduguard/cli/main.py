"""The ``eduguard`` command: init, serve, demo, unit, system, user (and scan)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from eduguard import __version__
from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.cli import catalog as catalog_cli
from eduguard.cli import compliance as compliance_cli
from eduguard.cli import mask as mask_cli
from eduguard.cli import release as release_cli
from eduguard.cli import scan as scan_cli
from eduguard.cli.audit import audit_app
from eduguard.cli.common import (
    SafeTable,
    console,
    db_session,
    err_console,
    fail,
    friendly_errors,
    session_factory,
)
from eduguard.cli.keys import keys_app
from eduguard.cli.keys import migrate_command as keys_migrate
from eduguard.cli.orgs import agreement_app, system_app, unit_app
from eduguard.config import Settings, get_settings
from eduguard.db import migrate
from eduguard.db.engine import make_engine, transaction
from eduguard.demo import flows as demo_flows
from eduguard.errors import EduguardError
from eduguard.identity import flows as identity_flows
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.identity.schemas import UserCreate
from eduguard.keys.keyring import Keyring
from eduguard.validation import validated

app = typer.Typer(
    name="eduguard",
    help="eduguard 教育数据安全治理平台 — education data security governance",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(unit_app, name="unit")
app.add_typer(system_app, name="system")
app.add_typer(agreement_app, name="agreement")
user_app = typer.Typer(help="账户管理 (accounts)", no_args_is_help=True)
app.add_typer(user_app, name="user")
scan_cli.register(app)
catalog_cli.register(app)
compliance_cli.register(app)
mask_cli.register(app)
release_cli.register(app)
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")

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
    get_settings.cache_clear()
    err_console.print(
        "使用演示环境的数据目录 .eduguard-demo（设置 EDUGUARD_HOME 可指定其他目录）",
        highlight=False,
    )


def _prepare(settings: Settings) -> None:
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
    settings = get_settings()
    settings.check_secrets()
    from eduguard.cli.common import open_engine

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


@user_app.command("create")
@friendly_errors
def user_create(
    username: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[list[Role], typer.Option("--role", help="角色（可重复）")],
    unit: Annotated[int | None, typer.Option("--unit", help="所属单位 ID；缺省为全平台")] = None,
    display_name: Annotated[str, typer.Option("--name", help="姓名")] = "",
    password: Annotated[
        str | None,
        typer.Option("--password", help="密码；缺省时交互输入", envvar="EDUGUARD_NEW_PASSWORD"),
    ] = None,
) -> None:
    """创建账户（首个系统管理员只能由命令行创建）。"""
    if password is None:
        if not sys.stdin.isatty():
            raise fail("请用 --password 或环境变量 EDUGUARD_NEW_PASSWORD 提供密码")
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    # The same rules as the console and the API (no control characters in names …).
    fields = {"username": username, "display_name": display_name, "password": password}
    validated(UserCreate, {**fields, "unit_id": unit, "roles": list(role)}, "账户")
    with db_session() as session:
        if unit is not None:
            from eduguard.orgs import service as orgs_service

            orgs_service.get_unit(session, unit)
        user = identity_service.create_user(
            session,
            username=username,
            password=password,
            roles=set(role),
            unit_id=unit,
            display_name=display_name,
        )
        identity_flows.record_created(session, user, by=None)
        console.print(f"已创建账户 [bold]{user.username}[/]")


@user_app.command("list")
@friendly_errors
def user_list() -> None:
    """列出账户（角色、双因素、锁定状态）。"""
    from eduguard.identity import mfa

    with db_session() as session:
        table = SafeTable("ID", "用户名", "单位ID", "角色", "双因素", "状态")
        for user in identity_service.list_users(session):
            status = (
                "已停用"
                if not user.active
                else ("已锁定" if identity_service.is_locked(user) else "正常")
            )
            table.add_row(
                str(user.id),
                user.username,
                str(user.unit_id or "全平台"),
                "、".join(sorted(r.value for r in user.role_set)),
                "已启用" if mfa.enrolled(user) else "未启用",
                status,
            )
        console.print(table)


@user_app.command("disable")
@friendly_errors
def user_disable(username: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """停用账户：立即注销其全部会话并撤销其 API 令牌。"""
    with db_session() as session:
        user = identity_service.find_user(session, username)
        identity_flows.set_active(session, user, False, by=None)
        console.print(f"已停用账户 [bold]{user.username}[/]，其会话与令牌均已失效")


@user_app.command("enable")
@friendly_errors
def user_enable(username: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """重新启用账户。"""
    with db_session() as session:
        user = identity_service.find_user(session, username)
        identity_flows.set_active(session, user, True, by=None)
        console.print(f"已启用账户 [bold]{user.username}[/]")


@user_app.command("reset-mfa")
@friendly_errors
def user_reset_mfa(username: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """重置双因素认证（如手机丢失）；下次登录时须重新绑定，其会话与 API 令牌均失效。

    命令行（持有服务器密钥的运维人员）不受三员分立授权规则约束，但每次操作都记入审计日志，
    并在受影响的管理员下次登录时提示。"""
    with db_session() as session:
        user = identity_service.find_user(session, username)
        identity_flows.reset_mfa(session, user, by=None)
        console.print(f"已重置 [bold]{user.username}[/] 的双因素认证，其会话与 API 令牌均已失效")


@user_app.command("reset-password")
@friendly_errors
def user_reset_password(
    username: Annotated[str, typer.Argument(help="用户名")],
    password: Annotated[
        str | None,
        typer.Option("--password", help="新密码；缺省时交互输入", envvar="EDUGUARD_NEW_PASSWORD"),
    ] = None,
) -> None:
    """为账户设置新密码（如忘记密码）；其全部会话与 API 令牌随即失效。

    与 reset-mfa 相同：操作记入审计日志，并在受影响的管理员下次登录时提示。"""
    if password is None:
        if not sys.stdin.isatty():
            raise fail("请用 --password 或环境变量 EDUGUARD_NEW_PASSWORD 提供新密码")
        password = typer.prompt("新密码", hide_input=True, confirmation_prompt=True)
    with db_session() as session:
        user = identity_service.find_user(session, username)
        identity_flows.reset_password(session, user, password, by=None)
        console.print(f"已为 [bold]{user.username}[/] 设置新密码，其会话与 API 令牌均已失效")


@user_app.command("unlock")
@friendly_errors
def user_unlock(username: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """解除因连续登录失败造成的锁定。"""
    with db_session() as session:
        user = identity_service.unlock(session, identity_service.find_user(session, username))
        console.print(f"已解除 [bold]{user.username}[/] 的锁定")


def run() -> None:  # pragma: no cover - console-script shim
    try:
        app()
    except EduguardError as exc:
        err_console.print(f"[bold red]错误：[/]{exc.message_zh}")
        raise SystemExit(1) from None
