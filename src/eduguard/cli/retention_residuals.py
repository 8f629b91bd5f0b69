"""``eduguard retention residuals RUN`` and ``eduguard retention confirm RUN``: the residual
copies of a disposition run — its system's backups until their expiry, every processor or
recipient the registers name — and what each holder confirmed (issue #20 part 5). Recording an
answer on a completed run issues its certificate again (see docs/retention.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from eduguard import labels
from eduguard.cli.common import SafeTable, console, db_session, fail, friendly_errors
from eduguard.config import get_settings
from eduguard.db.base import utcnow
from eduguard.retention import dispositions, residuals
from eduguard.retention.residuals import ConfirmationIn
from eduguard.validation import validated

ALL = "/"
Run = Annotated[int, typer.Argument(help="处置任务编号")]


def register(app: typer.Typer) -> None:
    app.command("residuals")(residuals_command)
    app.command("confirm")(confirm_command)


@friendly_errors
def residuals_command(
    run_id: Run, as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False
) -> None:
    """处置任务的数据仍存在的副本：备份到期日、受托处理者与接收方及其是否已确认删除。"""
    with db_session(read_only=True) as session:
        state = residuals.read(session, dispositions.get_run(session, run_id, scope=ALL))
    if as_json:
        console.print_json(json.dumps(state.model_dump(mode="json"), ensure_ascii=False))
        return
    console.print(state.backups.statement, soft_wrap=True)
    if not state.holders:
        console.print(state.statements[-1], soft_wrap=True)
        return
    table = SafeTable(
        "持有方编号", "持有方", "类别", "依据", "状态", "确认日期", "登记人", "确认函"
    )
    for h in state.holders:
        latest = h.latest
        table.add_row(
            h.key,
            h.name,
            h.kind_label,
            h.via,
            labels.label("residual_status", h.status)
            + (f"（{latest.note}）" if latest and latest.note else ""),
            str(latest.confirmed_on) if latest and latest.confirmed_on else "—",
            latest.recorded_by if latest else "—",
            latest.evidence_name if latest and latest.evidence_name else "—",
        )
    console.print(table)


@friendly_errors
def confirm_command(
    run_id: Run,
    holder: Annotated[
        str, typer.Option("--holder", help="持有方编号（见 residuals，如 recipient:12）")
    ],
    confirmed: Annotated[
        bool, typer.Option("--confirmed/--not-confirmed", help="对方已确认删除 / 尚未确认")
    ],
    on: Annotated[str | None, typer.Option("--date", help="对方确认的日期 YYYY-MM-DD")] = None,
    note: Annotated[str, typer.Option("--note", help="说明")] = "",
    evidence: Annotated[Path | None, typer.Option("--evidence", help="确认函文件")] = None,
    by: Annotated[str, typer.Option("--user", help="记录为登记人的账户名")] = "cli",
) -> None:
    """登记副本持有方的答复（已确认删除须给出日期，可附确认函）；已完成的任务随即重新出具证明。"""
    try:
        when = date.fromisoformat(on) if on else None
    except ValueError:
        raise fail(f"确认日期格式应为 YYYY-MM-DD：{on}") from None
    data = validated(
        ConfirmationIn,
        {"holder_key": holder, "confirmed": confirmed, "confirmed_on": when, "note": note},
        "答复",
    )
    letter = None
    if evidence is not None:
        try:
            if not evidence.is_file():
                raise fail(f"确认函文件不存在或不是文件：{evidence}")
            if evidence.stat().st_size > residuals.MAX_EVIDENCE_BYTES:
                raise fail(f"确认函文件超过 {residuals.MAX_EVIDENCE_BYTES >> 20} MB：{evidence}")
            letter = (evidence.name, evidence.read_bytes())
        except OSError as exc:
            raise fail(
                f"无法读取确认函文件：{evidence}（{exc.strerror or type(exc).__name__}）"
            ) from None
        residuals.check_evidence(*letter)
    settings = get_settings()
    with db_session() as session:
        row = residuals.confirm(
            session,
            run_id,
            data,
            scope=ALL,
            by=by,
            today=labels.local_time(utcnow(), settings.timezone).date(),
            keys_dir=settings.keys_dir,
            uploads_dir=settings.uploads_dir,
            evidence=letter,
        )
        run = dispositions.get_run(session, run_id, scope=ALL)
        status = "已确认删除" if row.confirmed else "未确认"
        console.print(f"已登记 {row.holder_name}：{status}")
        if run.certificate_sm3:
            console.print(f"证明已重新出具，SM3 {run.certificate_sm3}")
