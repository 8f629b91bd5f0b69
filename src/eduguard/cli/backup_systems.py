"""``eduguard backup policy …`` and ``eduguard backup drill …``: each information system's backup
policy and its recovery drills, through the same flows as ``/api/v1/backup`` (issue #20 part 7b).

The command line acts platform-wide as ``cli:<os user>``; ``--user`` acts in an account's name
(its scope, recorded as the author of the change and of the audit events). Every input is
checked before anything is written: a bad date, an unknown system or an unreadable evidence
file is one Chinese line and exit 1, and the database is unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from eduguard import labels
from eduguard.backup import flows
from eduguard.backup import service as backup_service
from eduguard.backup.models import DrillOutcome, Frequency
from eduguard.backup.schemas import DrillIn, PolicyIn, SystemBackup
from eduguard.cli.common import SafeTable, console, db_session, fail, friendly_errors
from eduguard.config import get_settings
from eduguard.db.base import utcnow
from eduguard.validation import validated

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

policy_app = typer.Typer(help="信息系统的备份策略 (backup policies)", no_args_is_help=True)
drill_app = typer.Typer(help="信息系统的恢复演练 (recovery drills)", no_args_is_help=True)

ALL = "/"
SystemArg = Annotated[str, typer.Argument(help="信息系统编号或名称", show_default=False)]
User = Annotated[
    str | None, typer.Option("--user", help="以该账户的名义操作（缺省：命令行，平台范围）")
]
AsJson = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
    app.add_typer(drill_app, name="drill")


@dataclass(frozen=True)
class Caller:
    username: str
    scope: str


def _act(session: Session, username: str | None) -> Caller:
    """Who acts: the bound command-line actor, or the named (active) account in its scope."""
    from eduguard.audit import service as audit_service
    from eduguard.audit.service import Actor
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
    audit_service.bind_actor(
        session,
        Actor(
            username=user.username,
            user_id=user.id,
            roles=tuple(sorted(role.value for role in user.role_set)),
            unit_id=user.unit_id,
            unit_path=scope,
            client_address="local",
            reason="命令行操作（以账户名义）",
        ),
    )
    return Caller(user.username, scope)


def _system_id(session: Session, system: str, scope: str) -> int:
    """``system`` as an id, else as the exact name of one active system in scope."""
    from eduguard.errors import NotFound, ValidationFailed
    from eduguard.orgs import service as orgs_service

    text = system.strip()
    if text.isdigit():
        return orgs_service.get_system(session, int(text), scope=scope).id
    found = [
        s
        for s in orgs_service.list_systems(session, scope=scope, search=text, limit=10_000)
        if s.name == text
    ]
    if not found:
        raise NotFound("system_not_found", f"信息系统不存在：{text}", "system not found")
    if len(found) > 1:
        ids = "、".join(str(s.id) for s in found)
        raise ValidationFailed(
            "system_ambiguous", f"有多个名为“{text}”的信息系统（编号 {ids}），请用编号指定"
        )
    return found[0].id


def _today() -> date:
    return labels.local_time(utcnow(), get_settings().timezone).date()


def _minutes(value: int | None) -> str:
    return "—" if value is None else f"{value} 分钟"


def _print_json(data: object) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


# ---------------------------------------------------------------- policies


@policy_app.command("list")
@friendly_errors
def policy_list(
    unit: Annotated[int | None, typer.Option("--unit", help="单位编号（含下级单位）")] = None,
    due: Annotated[
        bool, typer.Option("--due", help="只列出缺少策略或演练到期的系统；有则退出码为 1")
    ] = False,
    user: User = None,
    as_json: AsJson = False,
) -> None:
    """列出信息系统的备份策略与恢复演练状态（缺省为全部信息系统）。"""
    from eduguard.orgs import service as orgs_service

    today = _today()
    with db_session(read_only=True) as session:
        caller = _act(session, user)
        if unit is not None:
            rows = flows.overview(session, unit, scope=caller.scope, today=today)
        else:
            systems = orgs_service.list_systems(session, scope=caller.scope, limit=100_000)
            rows = [flows.system_backup(session, s, today) for s in systems]
    if due:
        rows = [r for r in rows if r.status != "ok"]
    if as_json:
        _print_json([r.model_dump(mode="json") for r in rows])
    else:
        table = SafeTable("编号", "信息系统", "频率", "保存", "位置", "加密", "上次演练", "状态")
        for row in rows:
            policy = row.policy
            table.add_row(
                str(row.system_id),
                row.system,
                labels.label("backup_frequency", policy.frequency) if policy else "—",
                f"{policy.retention_days} 天" if policy else "—",
                (policy.location + ("（含异地）" if policy.offsite else "")) if policy else "—",
                (policy.encryption or "未加密") if policy else "—",
                row.last_drill_on.isoformat() if row.last_drill_on else "—",
                labels.label("backup_status", row.status),
            )
        console.print(table)
    if due and rows:
        raise typer.Exit(1)


@policy_app.command("set")
@friendly_errors
def policy_set(
    system: SystemArg,
    frequency: Annotated[
        Frequency | None, typer.Option("--frequency", help="备份频率（登记新策略时必填）")
    ] = None,
    location: Annotated[
        str | None, typer.Option("--location", help="备份存放位置（登记新策略时必填）")
    ] = None,
    retention_days: Annotated[
        int | None, typer.Option("--retention-days", help="备份保存天数（登记新策略时必填）")
    ] = None,
    offsite: Annotated[
        bool | None, typer.Option("--offsite/--no-offsite", help="是否有异地或离线副本")
    ] = None,
    encryption: Annotated[
        str | None, typer.Option("--encryption", help="备份加密方式（空字符串：未加密）")
    ] = None,
    rto_target: Annotated[
        int | None, typer.Option("--rto-target", help="恢复时间目标（分钟）")
    ] = None,
    rpo_target: Annotated[
        int | None, typer.Option("--rpo-target", help="恢复点目标（分钟）")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="备注")] = None,
    user: User = None,
) -> None:
    """登记或修改信息系统的备份策略；修改时只改给出的项目。"""
    given = {
        "frequency": frequency,
        "location": location,
        "retention_days": retention_days,
        "offsite": offsite,
        "encryption": encryption,
        "rto_target_minutes": rto_target,
        "rpo_target_minutes": rpo_target,
        "notes": notes,
    }
    with db_session() as session:
        caller = _act(session, user)
        system_id = _system_id(session, system, caller.scope)
        current = flows.read_system(session, system_id, scope=caller.scope, today=_today())
        values: dict[str, object] = (
            current.policy.model_dump(include=set(PolicyIn.model_fields)) if current.policy else {}
        )
        values |= {name: value for name, value in given.items() if value is not None}
        missing = [
            flag
            for flag, name in (
                ("--frequency", "frequency"),
                ("--location", "location"),
                ("--retention-days", "retention_days"),
            )
            if name not in values
        ]
        if missing:
            raise fail(f"{current.system} 尚无备份策略，登记时须给出 {'、'.join(missing)}")
        data = validated(PolicyIn, values, "备份策略")
        policy = flows.save_policy(session, system_id, data, scope=caller.scope, by=caller.username)
        console.print(
            f"已保存 {current.system} 的备份策略（第 {policy.revision} 版）："
            f"{labels.label('backup_frequency', policy.frequency)}，保存 {policy.retention_days} 天，"
            f"位置 {policy.location}"
        )


# ---------------------------------------------------------------- drills


def _print_drills(state: SystemBackup) -> None:
    console.print(
        f"{state.system}（编号 {state.system_id}）：{labels.label('backup_status', state.status)}；"
        f"下次演练最迟 {state.next_drill_due or '—'}"
    )
    table = SafeTable("编号", "日期", "结果", "RTO", "RPO", "范围", "证明文件", "登记人")
    for drill in state.drills:
        table.add_row(
            str(drill.id),
            drill.drilled_on.isoformat(),
            labels.label("drill_outcome", drill.outcome),
            _minutes(drill.rto_minutes) + ("" if drill.rto_met is not False else "（未达标）"),
            _minutes(drill.rpo_minutes) + ("" if drill.rpo_met is not False else "（未达标）"),
            drill.scope,
            "\n".join(f"{e.name}（SHA-256 {e.sha256[:12]}…）" for e in drill.evidence) or "—",
            drill.recorded_by,
        )
    console.print(table)


@drill_app.command("list")
@friendly_errors
def drill_list(system: SystemArg, user: User = None, as_json: AsJson = False) -> None:
    """列出信息系统的恢复演练（新的在前）。"""
    with db_session(read_only=True) as session:
        caller = _act(session, user)
        system_id = _system_id(session, system, caller.scope)
        state = flows.read_system(session, system_id, scope=caller.scope, today=_today())
    if as_json:
        _print_json(state.model_dump(mode="json"))
        return
    _print_drills(state)


def _evidence(paths: list[Path]) -> list[tuple[str, bytes]]:
    """Read and check every evidence file before anything is written."""
    out: list[tuple[str, bytes]] = []
    for path in paths:
        try:
            if not path.is_file():
                raise fail(f"证明文件不存在或不是文件：{path}")
            if path.stat().st_size > flows.MAX_EVIDENCE_BYTES:
                raise fail(f"证明文件超过 {flows.MAX_EVIDENCE_BYTES >> 20} MB：{path}")
            content = path.read_bytes()
        except OSError as exc:
            raise fail(
                f"无法读取证明文件：{path}（{exc.strerror or type(exc).__name__}）"
            ) from None
        flows.check_evidence(path.name, content)
        out.append((path.name, content))
    return out


@drill_app.command("add")
@friendly_errors
def drill_add(
    system: SystemArg,
    drilled_on: Annotated[str, typer.Option("--date", help="演练日期 YYYY-MM-DD")],
    rto: Annotated[int, typer.Option("--rto", help="实际恢复用时（分钟）")],
    rpo: Annotated[int, typer.Option("--rpo", help="实际数据丢失时长（分钟）")],
    result: Annotated[DrillOutcome, typer.Option("--result", help="演练结果")],
    scope: Annotated[str, typer.Option("--scope", help="恢复了什么、来自哪一份备份")],
    evidence: Annotated[
        list[Path] | None, typer.Option("--evidence", help="证明文件（可重复）")
    ] = None,
    notes: Annotated[str, typer.Option("--notes", help="备注")] = "",
    user: User = None,
) -> None:
    """登记已进行的恢复演练（日期、范围、结果、实际 RTO/RPO）及其证明文件。"""
    try:
        when = date.fromisoformat(drilled_on)
    except ValueError:
        raise fail(f"演练日期格式应为 YYYY-MM-DD：{drilled_on}") from None
    data = validated(
        DrillIn,
        {
            "drilled_on": when,
            "scope": scope,
            "outcome": result,
            "rto_minutes": rto,
            "rpo_minutes": rpo,
            "notes": notes,
        },
        "恢复演练",
    )
    files = _evidence(evidence or [])
    settings = get_settings()
    with db_session() as session:
        caller = _act(session, user)
        system_id = _system_id(session, system, caller.scope)
        drill = flows.record_drill(
            session, system_id, data, scope=caller.scope, by=caller.username, today=_today()
        )
        for name, content in files:
            flows.attach_evidence(
                session,
                drill.id,
                name,
                content,
                scope=caller.scope,
                by=caller.username,
                uploads_dir=settings.uploads_dir,
            )
        shown = flows.drill_read(drill, backup_service.get_policy(session, system_id))
    missed = [n for n, met in (("RTO", shown.rto_met), ("RPO", shown.rpo_met)) if met is False]
    console.print(
        f"已登记恢复演练 {shown.id}（{shown.drilled_on}，"
        f"{labels.label('drill_outcome', shown.outcome)}），证明文件 {len(shown.evidence)} 个"
    )
    if missed:
        console.print(f"[yellow]{'、'.join(missed)} 未达到备份策略的目标[/]")
