"""``eduguard consent …``: ask the gate, show a subject's ledger, export receipts, coverage,
import a school's roster.

Subjects are given by their number (shown in the console); a school's own id (学籍号) is never
typed on a command line, where it would stay in the shell's history."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from eduguard import labels
from eduguard.cli.common import SafeTable, console, db_session, fail, friendly_errors
from eduguard.config import get_settings

consent_app = typer.Typer(help="同意记录与同意闸门 (consent ledger and gate)", no_args_is_help=True)
ALL = "/"


def register(app: typer.Typer) -> None:
    app.add_typer(consent_app, name="consent")


def _moment(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"时间格式不正确：{text}（例如 2026-09-01 或 2026-09-01T08:00+08:00）") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@consent_app.command("check")
@friendly_errors
def check(
    subject: Annotated[int, typer.Argument(help="同意主体编号", min=1)],
    purpose: Annotated[int, typer.Argument(help="处理目的编号", min=1)],
    at: Annotated[
        str | None, typer.Option("--at", help="判断的时间（ISO 8601，缺省为现在）")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """同意闸门：该主体的个人信息此时能否为该处理目的处理，以及理由。拒绝时退出码为 3。"""
    from eduguard.consent import flows

    moment = _moment(at)
    with db_session() as session:
        found = flows.get_subject(session, subject, scope=ALL)
        answer = flows.can_process(session, found, purpose, moment, scope=ALL)
    if as_json:
        typer.echo(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        verdict = "允许" if answer.allowed else "拒绝"
        console.print(f"{verdict}：{answer.reason}")
        if answer.basis_clause:
            console.print(
                f"法律依据：{labels.label('legal_basis', answer.legal_basis)}（{answer.basis_clause}）"
            )
    if not answer.allowed:
        raise typer.Exit(3)


@consent_app.command("show")
@friendly_errors
def show(subject: Annotated[int, typer.Argument(help="同意主体编号", min=1)]) -> None:
    """一个主体的当前状态与账本（最新在前），以及哈希链是否完整。"""
    from eduguard.consent import flows

    with db_session() as session:
        read = flows.subject_read(session, flows.get_subject(session, subject, scope=ALL))
    console.print(
        f"主体 {read.id}（{labels.label('subject_kind', read.kind)}）"
        f"账本{'完整' if read.intact else '哈希链不符，可能已被篡改'}"
    )
    table = SafeTable("处理目的", "状态", "需重新同意")
    for state in read.states:
        table.add_row(
            state.purpose,
            labels.label("consent_state", state.status),
            "是" if state.needs_reconsent else "",
        )
    console.print(table)
    from eduguard.catalog.export import zone_label

    zone = get_settings().timezone
    ledger = SafeTable("序号", zone_label(zone), "处理目的", "决定", "作出决定的人", "渠道")
    ledger.columns[1].no_wrap = True  # a time is read whole
    for event in read.events:
        ledger.add_row(
            str(event.seq),
            labels.format_time(event.at, zone, "%Y-%m-%d %H:%M"),
            event.purpose,
            labels.label("consent_action", event.action),
            labels.label("consent_giver", event.given_by),
            labels.label("consent_channel", event.channel),
        )
    console.print(ledger)
    if not read.intact:
        raise typer.Exit(4)


@consent_app.command("receipts")
@friendly_errors
def receipts_command(subject: Annotated[int, typer.Argument(help="同意主体编号", min=1)]) -> None:
    """导出同意回执（ISO/IEC TS 27560 风格 JSON）。"""
    from eduguard.consent import flows, receipts

    with db_session() as session:
        body = receipts.receipts(session, flows.get_subject(session, subject, scope=ALL))
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


@consent_app.command("coverage")
@friendly_errors
def coverage(purpose: Annotated[int, typer.Argument(help="处理目的编号", min=1)]) -> None:
    """某处理目的覆盖了多少主体：现在有合法依据的人数与比例、需重新同意的人数（JSON）。"""
    from eduguard.consent import coverage as counted

    with db_session() as session:
        found = counted.coverage(session, purpose)
    typer.echo(json.dumps(found.model_dump(mode="json"), ensure_ascii=False, indent=2))


@consent_app.command("import")
@friendly_errors
def import_roster(
    roster: Annotated[
        Path, typer.Argument(help="名册：.xlsx 或 .csv（UTF-8/GBK），首行为标题", exists=False)
    ],
    unit: Annotated[int, typer.Option("--unit", help="学校（单位编号）", min=1)],
    kind: Annotated[
        str, typer.Option("--kind", help="student（学生，缺省）或 staff（教职工）")
    ] = "student",
) -> None:
    """从学籍导出的名册登记同意主体与监护人：列“学籍号”（或学号、工号）必填，可选“出生日期”
    “显示名”“监护人规则”（任一/全部）“监护人编号”“监护人关系”“监护人显示名”；同一学籍号的
    下一行登记另一位监护人。编号只保存其密钥哈希；已登记的主体不变（只补登新的监护人），重复导入
    不会重复登记。任何一行有误则整份名册都不导入，并指出行号。"""
    from eduguard.consent import roster as rosters
    from eduguard.consent.models import SubjectKind

    if kind not in ("student", "staff"):
        raise fail("--kind 须为 student 或 staff")
    if not roster.is_file():
        raise fail(f"找不到名册文件：{roster}")
    if roster.stat().st_size > 20 * 1024 * 1024:
        raise fail("名册超过 20 MB，请分批导入")
    records = rosters.read(roster.name, roster.read_bytes())
    rows = rosters.parse(records, unit, SubjectKind(kind))
    with db_session() as session:
        done = rosters.apply(session, rows, scope=ALL)
    console.print(
        f"已导入 {len(rows)} 行：新登记主体 {done.subjects} 个，已登记的 {done.existing} 行未改动，"
        f"新登记监护人 {done.guardians} 位"
    )
