"""``eduguard collection …``: collection plans checked against what was approved.

``check`` is for a vendor's or a school's CI: it reads a plan (a migration's DDL, a 采集表, an
OpenAPI document) or, with ``--source``, what the live schema of a database source registered
for the system adds to its last catalog version; it classifies every field, and exits 1 when a
personal field is not covered by an approved collection review of the system (2 when the plan
cannot be read or the database cannot be reached; 0 when the live schema adds nothing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from eduguard import labels
from eduguard.cli.common import SafeTable, console, db_session, fail, friendly_errors
from eduguard.errors import EduguardError
from eduguard.validation import MAX_ID

collection_app = typer.Typer(help="数据收集审核 (collection reviews)", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(collection_app, name="collection")


@collection_app.command("check")
@friendly_errors
def check(
    system: Annotated[int, typer.Option("--system", help="信息系统 ID", min=1, max=MAX_ID)],
    plan: Annotated[
        Path | None,
        typer.Argument(help="采集计划文件：.sql、.xlsx、.xls、.csv、.json、.yaml、.yml"),
    ] = None,
    source: Annotated[
        int | None,
        typer.Option(
            "--source",
            help="代替计划文件：读取该系统已登记的数据库数据源的实时结构，与最近的目录版本比较",
            min=1,
            max=MAX_ID,
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="table 或 json")] = "table",
) -> None:
    """计划新增未经采集审核批准的个人信息字段时以 1 退出（可用于 CI 检查迁移文件或数据库）。"""
    from eduguard.catalog import flows as catalog_flows
    from eduguard.collection import flows, live, readers
    from eduguard.config import get_settings

    if output not in ("table", "json"):
        raise fail("--format 须为 table 或 json", 2)
    if (plan is None) == (source is None):
        raise fail("请给出采集计划文件（PLAN）或 --source 数据源 ID，二者只能选一", 2)
    parsed: readers.Plan | None = None
    if plan is not None:
        try:
            data = plan.read_bytes()
        except OSError as error:
            raise fail(f"无法读取文件“{plan.name}”：{error.strerror}", 2) from None
        try:
            parsed = readers.read_plan(data, plan.name)
        except readers.PlanError as error:
            raise fail(f"{error.message_zh}（{error.code}）", 2) from None
    settings = get_settings()
    nothing: str | None = None
    with db_session(settings, read_only=True) as session:
        if parsed is None and source is not None:
            try:
                parsed = live.live_plan(
                    session,
                    system_id=system,
                    source_id=source,
                    scope="/",
                    policy=catalog_flows.source_policy(settings),
                )
            except live.NothingNew as error:
                nothing = error.message_zh
            except EduguardError as error:  # no such source, another system's, unreachable
                raise fail(f"{error.message_zh}（{error.code}）", 2) from None
        fields = flows.check(session, parsed, system) if parsed is not None else []
    name = plan.name if plan is not None else (parsed.source if parsed else f"source {source}")
    missing = [f for f in fields if not f.approved]
    if output == "json":
        document = {
            "plan": name,
            "source_id": source,
            "message": nothing,
            "system_id": system,
            "ok": not missing,
            "unapproved": len(missing),
            "fields": [f.model_dump() for f in fields],
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        table = SafeTable("字段组", "字段", "个人信息类型", "定级", "敏感", "结论")
        for f in fields:
            table.add_row(
                f.group,
                f.name,
                labels.labels("pi_type", f.pi_types),
                labels.label("level", f.level),
                "是" if f.sensitive else "",
                "已批准" if f.approved else f.reason,
            )
        if nothing is not None:
            console.print(nothing)
        elif missing:
            console.print(table)
            console.print(f"{len(missing)} 个个人信息字段未经采集审核批准（系统 {system}）")
        else:
            console.print(table)
            console.print(f"全部 {len(fields)} 个个人信息字段均已批准（系统 {system}）")
    if missing:
        raise typer.Exit(1)


@collection_app.command("approved")
@friendly_errors
def approved(
    system: Annotated[int, typer.Option("--system", help="信息系统 ID")],
) -> None:
    """列出系统经采集审核批准收集的字段（收集清单）。"""
    from eduguard.collection import flows

    with db_session(read_only=True) as session:
        rows = flows.approved_fields(session, system)
    table = SafeTable("字段组", "字段", "个人信息类型", "定级", "获取方式", "审核")
    for row in rows:
        table.add_row(
            str(row["group"]),
            str(row["name"]),
            labels.labels("pi_type", row["pi_types"]),
            labels.label("level", row["level"]),
            "共享/核验" if row["acquisition"] == "share" else "直接收集",
            f"#{row['plan_id']}",
        )
    console.print(table)
