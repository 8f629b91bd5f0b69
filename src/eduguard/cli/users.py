"""``eduguard user …``: accounts (the first system administrator is created here)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from eduguard.cli.common import SafeTable, console, db_session, fail, friendly_errors
from eduguard.identity import flows as identity_flows
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.identity.schemas import UserCreate
from eduguard.validation import validated

user_app = typer.Typer(help="账户管理 (accounts)", no_args_is_help=True)


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
