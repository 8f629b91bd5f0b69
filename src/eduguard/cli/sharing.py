"""``eduguard sharing …``: share attributes (共享属性), the 数据开放目录 and the 数据共享责任清单
of a unit, through the same flows as ``/api/v1/sharing`` (issue #21 part 1).

The command line acts platform-wide as ``cli:<os user>``; ``--user`` acts in an account's
name and scope. ``attributes --set`` changes one dataset's or one field's attribute under the
same rules as the console; a refused change is one Chinese line, exit 1, nothing written.
Exports are audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from eduguard import labels
from eduguard.cli.common import SafeTable, console, db_session, fail, friendly_errors
from eduguard.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

sharing_app = typer.Typer(
    help="数据开放与共享：共享属性、数据开放目录、数据共享责任清单 (open data and sharing)",
    no_args_is_help=True,
)

ALL = "/"
Unit = Annotated[int, typer.Option("--unit", help="单位编号（含下级单位）", min=1)]
User = Annotated[
    str | None, typer.Option("--user", help="以该账户的名义操作（缺省：命令行，平台范围）")
]
AsJson = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="导出为 Excel 文件（.xlsx）")]


def register(app: typer.Typer) -> None:
    app.add_typer(sharing_app, name="sharing")


@dataclass(frozen=True)
class Caller:
    username: str
    scope: str


def _act(session: Session, username: str | None, action: str = "sharing:read") -> Caller:
    """Who acts: the bound command-line actor (platform-wide), or the named active account in
    its scope, refused when its roles do not grant ``action``."""
    from eduguard.access.policy import ACTIONS, Principal, decide
    from eduguard.audit import service as audit_service
    from eduguard.errors import PermissionDenied
    from eduguard.identity import service as identity_service
    from eduguard.orgs import service as orgs_service

    if username is None:
        actor = audit_service.bound_actor(session)
        return Caller(actor.username if actor else "cli", ALL)
    user = identity_service.find_user(session, username)
    if not user.active:
        raise PermissionDenied("account_inactive", f"账户已停用：{username}")
    scope = ALL if user.unit_id is None else orgs_service.get_unit(session, user.unit_id).path
    principal = Principal(user.id, user.username, frozenset(user.role_set), scope, user.unit_id)
    if not decide(principal, action):
        raise PermissionDenied("forbidden", f"账户 {username} 无“{ACTIONS[action]}”权限")
    return Caller(user.username, scope)


def _print_json(data: object) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _attr(value: object) -> str:
    return labels.label("share_attribute", value) if value else "未设置"


@sharing_app.command("attributes")
@friendly_errors
def attributes(
    unit: Unit,
    set_dataset: Annotated[
        int | None, typer.Option("--dataset", help="设置该数据集的共享属性（与 --attribute 同用）")
    ] = None,
    set_field: Annotated[
        int | None, typer.Option("--field", help="设置该数据项的共享属性（与 --attribute 同用）")
    ] = None,
    attribute: Annotated[
        str | None, typer.Option("--attribute", help="unconditional、conditional 或 none")
    ] = None,
    conditions: Annotated[str, typer.Option("--conditions", help="共享条件")] = "",
    masking: Annotated[str | None, typer.Option("--masking", help="脱敏要求（算子名）")] = None,
    never_shared: Annotated[
        list[str] | None, typer.Option("--never-shared", help="永不共享的数据项（可重复）")
    ] = None,
    user: User = None,
    as_json: AsJson = False,
) -> None:
    """列出单位各数据集与数据项的共享属性；给出 --dataset 或 --field 与 --attribute 时先设置。"""
    from eduguard.sharing import flows
    from eduguard.sharing.schemas import DatasetShareIn, FieldShareIn
    from eduguard.validation import validated

    changing = set_dataset is not None or set_field is not None
    if changing and attribute is None:
        raise fail("设置共享属性须同时给出 --attribute（unconditional、conditional 或 none）")
    if set_dataset is not None and set_field is not None:
        raise fail("--dataset 与 --field 只能给出一个")
    with db_session(read_only=not changing) as session:
        caller = _act(session, user, "sharing:write" if changing else "sharing:read")
        if set_dataset is not None:
            body = validated(
                DatasetShareIn,
                {
                    "attribute": attribute,
                    "conditions": conditions,
                    "never_shared": never_shared or [],
                },
            )
            flows.save_dataset(session, set_dataset, body, scope=caller.scope, by=caller.username)
        elif set_field is not None:
            field_body = validated(
                FieldShareIn,
                {"attribute": attribute, "conditions": conditions, "masking": masking},
            )
            flows.save_field(session, set_field, field_body, scope=caller.scope, by=caller.username)
        rows = flows.overview(session, unit, scope=caller.scope)
        if as_json:
            _print_json([r.model_dump(mode="json") for r in rows])
            return
        table = SafeTable(
            "数据集", "数据项", "共享属性", "共享条件", "脱敏要求", "敏感/儿童", title="共享属性"
        )
        options = flows.masking_options()
        for row in rows:
            table.add_row(
                f"{row.name}（{row.dataset_id}）",
                "（整个数据集）",
                _attr(row.attribute),
                row.conditions or "—",
                "—",
                "—",
            )
            for f in row.fields:
                flags = "、".join(x for x, on in (("敏感", f.sensitive), ("儿童", f.minors)) if on)
                table.add_row(
                    "",
                    f"{f.name}（{f.field_id}）",
                    _attr(f.attribute) + ("；永不共享" if f.never_shared else ""),
                    f.conditions or "—",
                    options.get(f.masking, f.masking) if f.masking else "—",
                    flags or "—",
                )
        console.print(table)


def _write(path: Path, body: bytes) -> None:
    if path.suffix.lower() != ".xlsx":
        raise fail("--output 须为 .xlsx 文件")
    try:
        path.write_bytes(body)
    except OSError as exc:
        raise fail(f"无法写入 {path}：{exc.strerror}") from None
    console.print(f"已导出：{path}")


@sharing_app.command("open-catalog")
@friendly_errors
def open_catalog(
    unit: Unit, output: Output = None, user: User = None, as_json: AsJson = False
) -> None:
    """单位的数据开放目录（只含无条件共享的数据集与数据项，不含数据值）。"""
    from eduguard.sharing import export, flows

    with db_session(read_only=output is None) as session:
        caller = _act(session, user)
        entries = flows.open_catalog(session, unit, scope=caller.scope)
        if output is not None:
            rows = export.open_rows(entries)
            name = flows.unit_name(session, unit, scope=caller.scope)
            flows.record_export(session, "open_catalog", unit, len(rows), export.OPEN_HEADER[1:])
            zone = get_settings().timezone
            _write(
                output,
                export.workbook(export.OPEN_TITLE, export.OPEN_HEADER, rows, unit=name, zone=zone),
            )
            return
        if as_json:
            _print_json([e.model_dump(mode="json") for e in entries])
            return
        table = SafeTable("信息系统", "数据集", "数据项", "级别", title="数据开放目录")
        for entry in entries:
            for f in entry.fields:
                table.add_row(entry.system, entry.name, f.name, labels.label("level", f.level))
        console.print(table if entries else "暂无开放数据。")


@sharing_app.command("responsibility-list")
@friendly_errors
def responsibility_list(
    unit: Unit, output: Output = None, user: User = None, as_json: AsJson = False
) -> None:
    """单位的数据共享责任清单：各数据集与数据项的共享属性、条件、防护要求与责任单位。"""
    from eduguard.sharing import export, flows

    with db_session(read_only=output is None) as session:
        caller = _act(session, user)
        entries = flows.responsibility_list(session, unit, scope=caller.scope)
        if output is not None:
            rows = export.list_rows(entries, flows.masking_options())
            name = flows.unit_name(session, unit, scope=caller.scope)
            flows.record_export(
                session, "responsibility_list", unit, len(rows), export.LIST_HEADER[1:]
            )
            zone = get_settings().timezone
            _write(
                output,
                export.workbook(export.LIST_TITLE, export.LIST_HEADER, rows, unit=name, zone=zone),
            )
            return
        if as_json:
            _print_json([e.model_dump(mode="json") for e in entries])
            return
        table = SafeTable(
            "信息系统", "数据集", "数据项", "共享属性", "共享条件", "责任", title="数据共享责任清单"
        )
        for r in entries:
            table.add_row(
                r.system,
                r.dataset,
                r.field or "（整个数据集）",
                _attr(r.attribute),
                r.conditions or "—",
                r.responsible,
            )
        console.print(table)
