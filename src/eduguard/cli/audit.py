"""``eduguard audit``: verify, checkpoint, search, export, purge."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

import typer

from eduguard import labels
from eduguard.audit import checkpoints, queries, retention, service, verify
from eduguard.audit.checkpoints import CheckpointPolicy
from eduguard.audit.service import Actor
from eduguard.cli.common import SafeTable, console, db_session, fail, friendly_errors
from eduguard.config import get_settings
from eduguard.orgs import service as orgs_service

audit_app = typer.Typer(help="审计日志 (audit log)", no_args_is_help=True)

Since = Annotated[
    datetime | None,
    typer.Option("--since", help="起始时间（含），如 2026-05-01 或 2026-05-01T08:00"),
]
Until = Annotated[datetime | None, typer.Option("--until", help="截止时间（不含）")]
Account = Annotated[str | None, typer.Option("--account", help="账户名")]
UnitPath = Annotated[str | None, typer.Option("--unit", help="单位路径（含下级），如 /1/4/")]
Action = Annotated[
    str | None, typer.Option("--action", help="操作，如 unit.create；unit. 表示该类全部")
]
ObjectType = Annotated[str | None, typer.Option("--object-type", help="对象类型，如 system")]
ObjectId = Annotated[str | None, typer.Option("--object-id", help="对象 ID")]
ResultOption = Annotated[str | None, typer.Option("--result", help="结果：ok / denied / failed")]


def _filter(
    since: datetime | None,
    until: datetime | None,
    account: str | None,
    unit: str | None,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    result: str | None,
) -> queries.EventFilter:
    return queries.EventFilter(
        since=since,
        until=until,
        username=account,
        unit_path=unit,
        action=action,
        object_type=object_type,
        object_id=object_id,
        result=result,
    )


@audit_app.command("verify")
@friendly_errors
def verify_command(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="并行校验线程数（默认：日志较长时每个 CPU 核一个）",
        ),
    ] = None,
) -> None:
    """校验哈希链与签名检查点：完好退出 0；被篡改退出 1，并指出第一个异常事件。"""
    settings = get_settings()
    with db_session(settings, read_only=True) as session:
        checked = verify.verify(
            session.connection(),
            keys_dir=settings.keys_dir,
            sink=settings.audit_checkpoint_sink_path,
            workers=workers,
        )
    if as_json:
        console.print_json(json.dumps(checked.as_dict(), ensure_ascii=False))
    elif checked.ok:
        console.print(
            f"[green]审计日志完好[/]：校验 {checked.events_checked} 条事件"
            f"（{checked.first_event_id or '-'}–{checked.last_event_id or '-'}），"
            f"{checked.checkpoints_checked} 个签名检查点，用时 {checked.seconds:.2f} 秒"
        )
    if not checked.ok:
        assert checked.problem is not None
        if not as_json:
            console.print(f"[bold red]审计日志校验失败[/]：{checked.problem.message_zh}")
            if checked.problem.event_id is not None:
                console.print(f"第一个异常事件：#{checked.problem.event_id}")
        raise typer.Exit(1)


@audit_app.command("checkpoint")
@friendly_errors
def checkpoint_command() -> None:
    """立即生成签名检查点（可由 cron 定时执行），并导出到检查点文件/命令。"""
    settings = get_settings()
    policy = CheckpointPolicy.from_settings(settings)
    with db_session(settings) as session:
        made = checkpoints.checkpoint_now(session, policy)
    if made is None:
        console.print("自上一个检查点以来没有新事件，无需生成")
        return
    console.print(
        f"已生成检查点：事件 #{made['last_event_id']}，哈希 {made['last_hash'][:16]}…，"
        f"已导出到 {policy.sink}"
    )


@audit_app.command("search")
@friendly_errors
def search_command(
    since: Since = None,
    until: Until = None,
    account: Account = None,
    unit: UnitPath = None,
    action: Action = None,
    object_type: ObjectType = None,
    object_id: ObjectId = None,
    result: ResultOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="最多条数")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """检索审计事件（新的在前）。检索本身也记入审计日志。"""
    flt = _filter(since, until, account, unit, action, object_type, object_id, result)
    with db_session() as session:
        service.bind_actor(session, Actor.cli())
        found = queries.search(session, flt, limit=limit)
        service.record(
            session,
            action="audit.search",
            object_type="audit_event",
            row_count=len(found),
            reason=f"命令行检索：{flt.describe()}",
        )
        rows = [
            {name: getattr(event, name) for name, _label in queries.EXPORT_COLUMNS}
            for event in found
        ]
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    view = queries.ExportView(get_settings().timezone)
    table = SafeTable("序号", "时间", "账户", "操作", "对象", "字段", "结果")
    table.caption = f"{view.header()[1]}；操作与结果的代码见 --json"
    for row in rows:
        table.add_row(
            str(row["id"]),
            labels.format_time(row["time"], view.zone, "%Y-%m-%d %H:%M:%S"),
            row["username"],
            labels.label("audit_action", row["action"]),
            f"{row['object_type'] or ''} {row['object_id'] or ''}".strip(),
            row["fields"],
            labels.label("audit_result", row["result"]),
        )
    console.print(table)


@audit_app.command("export")
@friendly_errors
def export_command(
    output: Annotated[Path, typer.Option("--output", help="输出文件路径")],
    fmt: Annotated[str, typer.Option("--format", help="csv 或 xlsx")] = "csv",
    since: Since = None,
    until: Until = None,
    account: Account = None,
    unit: UnitPath = None,
    action: Action = None,
    object_type: ObjectType = None,
    object_id: ObjectId = None,
    result: ResultOption = None,
) -> None:
    """导出审计事件为 CSV 或 Excel；导出本身记入审计日志。"""
    if fmt not in ("csv", "xlsx"):
        raise fail("--format 须为 csv 或 xlsx")
    flt = _filter(since, until, account, unit, action, object_type, object_id, result)
    with db_session() as session:
        service.bind_actor(session, Actor.cli())
        events = queries.iter_events(session, flt)
        view = queries.ExportView(get_settings().timezone, orgs_service.unit_names(session))
        if fmt == "csv":
            with output.open("w", encoding="utf-8", newline="") as handle:  # BOM by the writer
                count = queries.write_csv(events, handle, view)
        else:
            count = queries.write_xlsx(events, output, view)
        service.record(
            session,
            action="audit.export",
            object_type="audit_event",
            row_count=count,
            fields=[name for name, _label in queries.EXPORT_COLUMNS],
            reason=f"命令行导出 {fmt}：{flt.describe()}",
        )
    console.print(f"已导出 {count} 条审计事件到 {output}")


@audit_app.command("purge")
@friendly_errors
def purge_command(
    before: Annotated[
        datetime,
        typer.Option("--before", help="清理此日期（UTC 零点）之前的事件", formats=["%Y-%m-%d"]),
    ],
    yes: Annotated[bool, typer.Option("--yes", help="不再确认")] = False,
) -> None:
    """清理早于保留期的审计事件（保留期不少于 180 天）；写入签名锚点，剩余日志仍可校验。"""
    settings = get_settings()
    cutoff_day: date = before.date()
    moment = datetime.combine(cutoff_day, time(0), tzinfo=UTC)
    if not yes and not typer.confirm(f"确认清理 {cutoff_day} 之前的审计事件？此操作不可撤销"):
        raise typer.Exit(1)
    with db_session(settings) as session:
        service.bind_actor(session, Actor.cli())
        purged = retention.purge(
            session,
            before=moment,
            retention_days=settings.audit_retention_days,
            policy=CheckpointPolicy.from_settings(settings),
        )
    if purged.deleted == 0:
        console.print(f"{cutoff_day} 之前没有可清理的审计事件")
    else:
        console.print(
            f"已清理 {purged.deleted} 条审计事件（至 #{purged.last_purged_id}），"
            "已写入签名清理锚点；剩余日志可继续校验"
        )
