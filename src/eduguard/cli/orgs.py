"""``eduguard unit …`` and ``eduguard system …``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from eduguard.cli.common import SafeTable, console, db_session, friendly_errors
from eduguard.config import get_settings
from eduguard.errors import ValidationFailed
from eduguard.orgs import service
from eduguard.orgs.models import StorageLocation, SystemKind, UnitKind
from eduguard.orgs.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementUpdate,
    SystemCreate,
    SystemRead,
    SystemUpdate,
    UnitCreate,
    UnitRead,
    UnitUpdate,
)
from eduguard.validation import validated

unit_app = typer.Typer(help="单位管理 (units)", no_args_is_help=True)
system_app = typer.Typer(help="信息系统管理 (information systems)", no_args_is_help=True)
agreement_app = typer.Typer(
    help="第三方平台协议管理 (third-party agreements)", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]
Search = Annotated[str | None, typer.Option("--search", "-s", help="按名称搜索")]
Archived = Annotated[bool, typer.Option("--archived", help="包括已归档")]


def _print_json(data: object) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


@unit_app.command("list")
@friendly_errors
def unit_list(search: Search = None, archived: Archived = False, as_json: JsonFlag = False) -> None:
    """列出单位。"""
    with db_session() as session:
        units = [
            UnitRead.model_validate(u)
            for u in service.list_units(
                session, search=search, include_archived=archived, limit=100_000
            )
        ]
    if as_json:
        _print_json([u.model_dump(mode="json") for u in units])
        return
    table = SafeTable(
        "ID", "名称", "类型", "上级", "主要负责人", "分管负责人", "网络安全部门", "状态"
    )
    names = {u.id: u.name for u in units}
    for u in units:
        table.add_row(
            str(u.id),
            u.name,
            service.UNIT_KIND_LABELS[u.kind],
            names.get(u.parent_id or 0, "—"),
            u.principal_leader or "—",
            u.leader_in_charge or "—",
            u.security_department or "—",
            "已归档" if u.archived else "在用",
        )
    console.print(table)


@unit_app.command("create")
@friendly_errors
def unit_create(
    name: Annotated[str, typer.Argument(help="单位名称")],
    kind: Annotated[UnitKind, typer.Option("--kind", help="单位类型")],
    parent: Annotated[int | None, typer.Option("--parent", help="上级单位 ID")] = None,
    code: Annotated[str | None, typer.Option("--code", help="统一社会信用代码")] = None,
    principal_leader: Annotated[str | None, typer.Option(help="主要负责人")] = None,
    leader_in_charge: Annotated[str | None, typer.Option(help="分管负责人")] = None,
    security_department: Annotated[str | None, typer.Option(help="网络安全部门")] = None,
) -> None:
    """新建单位。"""
    data = validated(
        UnitCreate,
        {
            "name": name,
            "kind": kind,
            "parent_id": parent,
            "code": code,
            "principal_leader": principal_leader,
            "leader_in_charge": leader_in_charge,
            "security_department": security_department,
        },
    )
    with db_session() as session:
        unit = service.create_unit(session, data)
        console.print(f"已新建单位 [bold]{unit.name}[/]（ID {unit.id}）")


@unit_app.command("edit")
@friendly_errors
def unit_edit(
    unit_id: int,
    name: Annotated[str | None, typer.Option(help="新名称")] = None,
    code: Annotated[str | None, typer.Option(help="统一社会信用代码")] = None,
    principal_leader: Annotated[str | None, typer.Option(help="主要负责人")] = None,
    leader_in_charge: Annotated[str | None, typer.Option(help="分管负责人")] = None,
    security_department: Annotated[str | None, typer.Option(help="网络安全部门")] = None,
) -> None:
    """编辑单位（只改给出的字段）。"""
    given = {
        k: v
        for k, v in {
            "name": name,
            "code": code,
            "principal_leader": principal_leader,
            "leader_in_charge": leader_in_charge,
            "security_department": security_department,
        }.items()
        if v is not None
    }
    data = validated(UnitUpdate, given)
    with db_session() as session:
        unit = service.update_unit(session, unit_id, data)
        console.print(f"已更新单位 [bold]{unit.name}[/]")


@unit_app.command("archive")
@friendly_errors
def unit_archive(unit_id: int) -> None:
    """归档单位（需先归档其下级单位和信息系统）。"""
    with db_session() as session:
        unit = service.archive_unit(session, unit_id)
        console.print(f"已归档单位 [bold]{unit.name}[/]")


@system_app.command("list")
@friendly_errors
def system_list(
    unit: Annotated[int | None, typer.Option("--unit", help="单位 ID")] = None,
    search: Search = None,
    archived: Archived = False,
    as_json: JsonFlag = False,
) -> None:
    """列出信息系统。"""
    with db_session() as session:
        systems = [
            SystemRead.model_validate(s)
            for s in service.list_systems(
                session, unit_id=unit, search=search, include_archived=archived, limit=100_000
            )
        ]
    if as_json:
        _print_json([s.model_dump(mode="json") for s in systems])
        return
    table = SafeTable(
        "ID", "名称", "单位ID", "存储", "等保", "个人信息主体数", "主管单位", "运营", "状态"
    )
    for s in systems:
        table.add_row(
            str(s.id),
            s.name,
            str(s.unit_id),
            "境外" if s.storage_location == StorageLocation.overseas else "境内",
            str(s.mlps_level or "—"),
            f"{s.pi_subject_count:,}",
            s.owner_unit.name,
            s.operator_unit.name if s.operator_unit else (s.operator_name or "—"),
            "已归档" if s.archived else "在用",
        )
    console.print(table)


@system_app.command("create")
@friendly_errors
def system_create(
    name: Annotated[str, typer.Argument(help="系统名称")],
    unit: Annotated[int, typer.Option("--unit", help="所属单位 ID")],
    kind: Annotated[SystemKind, typer.Option(help="类型")] = SystemKind.system,
    purpose: Annotated[str, typer.Option(help="用途")] = "",
    url: Annotated[str | None, typer.Option(help="网址")] = None,
    storage: Annotated[
        StorageLocation, typer.Option(help="存储位置 domestic=境内 overseas=境外")
    ] = StorageLocation.domestic,
    mlps_level: Annotated[int | None, typer.Option(help="等保级别 1–5")] = None,
    mlps_filing_no: Annotated[str | None, typer.Option(help="等保备案号")] = None,
    subjects: Annotated[int, typer.Option(help="个人信息主体数量")] = 0,
    owner: Annotated[int | None, typer.Option(help="主管单位 ID（缺省为所属单位）")] = None,
    operator: Annotated[int | None, typer.Option(help="运营单位 ID")] = None,
    operator_name: Annotated[str | None, typer.Option(help="外部运营方名称")] = None,
    user_unit: Annotated[
        list[int] | None, typer.Option("--user-unit", help="使用单位 ID（可重复）")
    ] = None,
) -> None:
    """登记信息系统。"""
    data = validated(
        SystemCreate,
        {
            "name": name,
            "unit_id": unit,
            "kind": kind,
            "purpose": purpose,
            "url": url,
            "storage_location": storage,
            "mlps_level": mlps_level,
            "mlps_filing_no": mlps_filing_no,
            "pi_subject_count": subjects,
            "owner_unit_id": owner,
            "operator_unit_id": operator,
            "operator_name": operator_name,
            "user_unit_ids": user_unit or [],
        },
    )
    with db_session() as session:
        system = service.create_system(session, data)
        console.print(f"已登记信息系统 [bold]{system.name}[/]（ID {system.id}）")


@system_app.command("edit")
@friendly_errors
def system_edit(
    system_id: int,
    name: Annotated[str | None, typer.Option(help="新名称")] = None,
    mlps_level: Annotated[int | None, typer.Option(help="等保级别 1–5")] = None,
    mlps_filing_no: Annotated[str | None, typer.Option(help="等保备案号")] = None,
    subjects: Annotated[int | None, typer.Option(help="个人信息主体数量")] = None,
    storage: Annotated[StorageLocation | None, typer.Option(help="存储位置")] = None,
) -> None:
    """编辑信息系统（只改给出的字段）。"""
    given = {
        k: v
        for k, v in {
            "name": name,
            "mlps_level": mlps_level,
            "mlps_filing_no": mlps_filing_no,
            "pi_subject_count": subjects,
            "storage_location": storage,
        }.items()
        if v is not None
    }
    data = validated(SystemUpdate, given)
    with db_session() as session:
        system = service.update_system(session, system_id, data)
        console.print(f"已更新信息系统 [bold]{system.name}[/]")


@system_app.command("archive")
@friendly_errors
def system_archive(system_id: int) -> None:
    """归档信息系统。"""
    with db_session() as session:
        system = service.archive_system(session, system_id)
        console.print(f"已归档信息系统 [bold]{system.name}[/]")


@agreement_app.command("list")
@friendly_errors
def agreement_list(
    unit: Annotated[int | None, typer.Option("--unit", help="单位 ID")] = None,
    search: Search = None,
    archived: Archived = False,
    as_json: JsonFlag = False,
) -> None:
    """列出第三方平台协议。"""
    with db_session() as session:
        agreements = [
            AgreementRead.model_validate(a)
            for a in service.list_agreements(
                session, unit_id=unit, search=search, include_archived=archived, limit=100_000
            )
        ]
    if as_json:
        _print_json([a.model_dump(mode="json") for a in agreements])
        return
    table = SafeTable("ID", "服务商", "单位ID", "系统ID", "有效期", "协议文件", "状态")
    for a in agreements:
        table.add_row(
            str(a.id),
            a.provider,
            str(a.unit_id),
            str(a.system_id or "—"),
            f"{a.valid_from} 至 {a.valid_until}",
            a.document_name or "—",
            "已归档" if a.archived else "在用",
        )
    console.print(table)


def _document(path: Path | None) -> tuple[str, bytes] | None:
    if path is None:
        return None
    if not path.is_file():
        raise ValidationFailed("document_not_found", f"协议文件不存在：{path}")
    return path.name, path.read_bytes()


@agreement_app.command("create")
@friendly_errors
def agreement_create(
    provider: Annotated[str, typer.Argument(help="服务商名称")],
    unit: Annotated[int, typer.Option("--unit", help="单位 ID")],
    valid_from: Annotated[str, typer.Option("--from", help="有效期起 YYYY-MM-DD")],
    valid_until: Annotated[str, typer.Option("--until", help="有效期至 YYYY-MM-DD")],
    system: Annotated[int | None, typer.Option("--system", help="信息系统 ID")] = None,
    scope: Annotated[str, typer.Option(help="数据范围")] = "",
    scenarios: Annotated[str, typer.Option(help="使用场景")] = "",
    boundaries: Annotated[str, typer.Option(help="使用边界")] = "",
    document: Annotated[Path | None, typer.Option("--document", help="签署的协议文件")] = None,
) -> None:
    """登记第三方平台协议（数据使用和保密协议）。"""
    settings = get_settings()
    data = validated(
        AgreementCreate,
        {
            "provider": provider,
            "unit_id": unit,
            "system_id": system,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "scope": scope,
            "scenarios": scenarios,
            "boundaries": boundaries,
        },
    )
    with db_session() as session:
        agreement = service.create_agreement(
            session,
            data,
            uploads_dir=settings.uploads_dir,
            max_bytes=settings.max_upload_bytes,
            document=_document(document),
        )
        console.print(f"已登记协议 [bold]{agreement.provider}[/]（ID {agreement.id}）")


@agreement_app.command("edit")
@friendly_errors
def agreement_edit(
    agreement_id: int,
    provider: Annotated[str | None, typer.Option(help="服务商名称")] = None,
    valid_until: Annotated[str | None, typer.Option("--until", help="有效期至")] = None,
    scope: Annotated[str | None, typer.Option(help="数据范围")] = None,
    document: Annotated[Path | None, typer.Option("--document", help="签署的协议文件")] = None,
) -> None:
    """编辑协议（只改给出的字段；可补传协议文件）。"""
    settings = get_settings()
    given = {
        k: v
        for k, v in {"provider": provider, "valid_until": valid_until, "scope": scope}.items()
        if v is not None
    }
    data = validated(AgreementUpdate, given)
    with db_session() as session:
        agreement = service.update_agreement(
            session,
            agreement_id,
            data,
            uploads_dir=settings.uploads_dir,
            max_bytes=settings.max_upload_bytes,
            document=_document(document),
        )
        console.print(f"已更新协议 [bold]{agreement.provider}[/]")


@agreement_app.command("archive")
@friendly_errors
def agreement_archive(agreement_id: int) -> None:
    """归档协议。"""
    with db_session() as session:
        agreement = service.archive_agreement(session, agreement_id)
        console.print(f"已归档协议 [bold]{agreement.provider}[/]")
