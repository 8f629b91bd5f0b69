"""``eduguard compliance …``: evaluate the rules, list findings, record facts, handle tasks,
export the report."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from eduguard import exports, labels
from eduguard.cli.common import SafeTable, console, db_session, fail, friendly_errors
from eduguard.compliance import flows, rules
from eduguard.compliance.checks import FACTS, UNIT_FACTS
from eduguard.compliance.models import FindingStatus
from eduguard.compliance.report import FORMATS
from eduguard.compliance.rules import SEVERITIES, TARGETS
from eduguard.compliance.schemas import FactsUpdate, TaskUpdate, UnitFactsUpdate
from eduguard.config import get_settings
from eduguard.identity import service as identity_service
from eduguard.validation import validation_details

compliance_app = typer.Typer(help="合规评估与整改 (compliance)", no_args_is_help=True)
ALL = "/"
STATUS_LABELS = {"open": "未整改", "resolved": "已整改"}
TASK_LABELS = {"open": "待整改", "closed": "已关闭", "resolved": "已完成"}

Unit = Annotated[int | None, typer.Option("--unit", help="只处理该单位及其下级单位")]
RulesPath = Annotated[
    Path | None, typer.Option("--rules", help="使用另一份规则文件（TOML）；缺省为内置规则")
]


def register(app: typer.Typer) -> None:
    app.add_typer(compliance_app, name="compliance")


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], values: dict[str, object]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = validation_details(exc.errors(), "zh")[0]
        where = f"{first['field']}：" if first["field"] else ""
        raise fail(f"{where}{first['message']}") from None


def _table(*headers: str, keep: int = 1) -> SafeTable:
    """A table whose first ``keep`` columns (ids) never wrap; the others wrap, never cut."""
    table = SafeTable(*headers)
    for index, column in enumerate(table.columns):
        if index < keep:
            column.no_wrap = True
        else:
            column.overflow = "fold"
    return table


def _ruleset(path: Path | None) -> rules.RuleSet:
    return rules.load(path) if path is not None else rules.default_rules()


def _write_atomically(output: Path, body: bytes) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@compliance_app.command("rules")
@friendly_errors
def list_rules(rules_path: RulesPath = None) -> None:
    """列出（并校验）合规规则：编号、条款、严重性、适用对象、检查项。"""
    ruleset = _ruleset(rules_path)
    console.print(f"{ruleset.title}（版本 {ruleset.version}，{len(ruleset.rules)} 条）")
    table = _table("规则", "标题", "条款", "严重性", "对象", "检查", "负责", "期限（天）")
    for rule in ruleset.rules:
        table.add_row(
            rule.id,
            rule.title_zh,
            "\n".join(rule.clauses),
            SEVERITIES[rule.severity],
            TARGETS[rule.target],
            rule.check,
            rules.OWNER_ROLES[rule.owner_role],
            str(rule.due_in_days),
        )
    console.print(table)


@compliance_app.command("evaluate")
@friendly_errors
def evaluate(unit: Unit = None, rules_path: RulesPath = None) -> None:
    """按规则评估单位（及其下级单位）、信息系统与数据集，更新合规发现与整改任务。"""
    ruleset = _ruleset(rules_path)
    settings = get_settings()
    with db_session(settings) as session:
        summary = flows.evaluate(
            session,
            unit_id=unit,
            ruleset=ruleset,
            audit_retention_days=settings.audit_retention_days,
        )
    console.print(
        f"合规评估完成（规则版本 {summary.rules_version}）：检查对象 {summary.subjects} 个，"
        f"未通过 {summary.failing} 项；新增 {summary.new_findings} 项，"
        f"重新出现 {summary.reopened} 项，已整改 {summary.resolved} 项"
    )


@compliance_app.command("findings")
@friendly_errors
def findings(
    unit: Unit = None,
    status: Annotated[str, typer.Option("--status", help="open、resolved 或 all")] = "open",
) -> None:
    """列出合规发现（规则、条款、严重性、单位、系统、证据、整改任务）。"""
    if status not in ("open", "resolved", "all"):
        raise fail("--status 须为 open、resolved 或 all")
    wanted = None if status == "all" else FindingStatus(status)
    with db_session() as session:
        rows = flows.findings(session, ALL, unit_id=unit, status=wanted, limit=100_000)
        table = _table(
            "ID", "规则", "条款", "严重性", "单位 / 系统", "状态", "证据", "整改", keep=2
        )
        for r in rows:
            where = r.unit + (f" / {r.system}" if r.system else "")
            task = ""
            if r.task is not None:
                owner = r.task.owner_username or r.task.owner_role_label
                task = f"任务 {r.task.id}：{owner}，{r.task.due_date}，{TASK_LABELS[r.task.status]}"
            table.add_row(
                str(r.id),
                r.rule_id,
                r.clause,
                SEVERITIES.get(r.severity, r.severity),
                where + (f" / {r.dataset}" if r.dataset else ""),
                STATUS_LABELS[r.status],
                r.evidence,
                task,
            )
        console.print(table)
        console.print(f"共 {len(rows)} 项")


@compliance_app.command("report")
@friendly_errors
def report(
    fmt: Annotated[str, typer.Option("--format", help="pdf、html 或 json")] = "pdf",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="输出文件；缺省写到当前目录的“单位-合规报告-日期.格式”；- 表示输出到标准输出（json、html）",
        ),
    ] = None,
    unit: Unit = None,
    rules_path: RulesPath = None,
) -> None:
    """导出合规报告（PDF/HTML 含各单位得分；JSON 每项发现一条，含规则、条款、严重性、单位、系统、状态）；导出记入审计日志。"""
    if fmt not in FORMATS:
        raise fail("报告格式须为 json、html 或 pdf")
    to_stdout = output is not None and str(output) == "-"
    if to_stdout and fmt == "pdf":
        raise fail("PDF 不能输出到终端：去掉 --output 写到当前目录，或用 --output 指定文件")
    ruleset = _ruleset(rules_path)
    settings = get_settings()
    with db_session(settings) as session:
        body, count = flows.report(session, fmt, unit_id=unit, ruleset=ruleset)
        if to_stdout:
            typer.echo(body.decode("utf-8"), nl=False)
            return
        if output is None:
            _path, label = flows.narrow(session, "/", unit)
            output = _dated_file(Path.cwd(), label, fmt, settings.timezone)
        _write_atomically(output, body)
    console.print(f"已导出合规报告（{count} 项发现）到 {output.resolve()}")


def _dated_file(folder: Path, label: str, fmt: str, zone: str) -> Path:
    """``示例县第一中学-合规报告-20261202.pdf`` in ``folder`` (the date in ``zone``); a file of
    that name already there is kept: the new one is ``…-20261202-2.pdf``."""
    day = labels.local_time(datetime.now(UTC), zone).strftime("%Y%m%d")
    candidate = folder / exports.file_name(label, "合规报告", day, suffix=fmt)
    number = 2
    while candidate.exists():
        candidate = folder / exports.file_name(label, "合规报告", day, str(number), suffix=fmt)
        number += 1
    return candidate


def _fact_value(name: str, raw: str, known: dict[str, tuple[str, str]] = FACTS) -> object:
    kind = known[name][1] if name in known else "text"
    if kind == "bool":
        if raw.lower() not in ("true", "false", "yes", "no", "1", "0", "是", "否"):
            raise fail(f"{name} 须为 true 或 false")
        return raw.lower() in ("true", "yes", "1", "是")
    if kind == "int":
        if not raw:
            return None
        if not raw.isdigit():
            raise fail(f"{name} 须为非负整数")
        return int(raw)
    if kind == "date":
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise fail(f"{name} 须为日期（YYYY-MM-DD）") from None
    return raw or None


def _assigned(
    assignments: list[str] | None, known: dict[str, tuple[str, str]]
) -> dict[str, object]:
    """``--set name=value`` options as typed values; an unknown name is an error."""
    values: dict[str, object] = {}
    for item in assignments or []:
        name, separator, raw = item.partition("=")
        name = name.strip()
        if not separator or (name not in known and name != "notes"):
            names = "、".join([*known, "notes"])
            raise fail(f"无法识别的事实项：{item}（可用：{names}）")
        values[name] = _fact_value(name, raw.strip(), known)
    return values


def _print_facts(shown: Any, known: dict[str, tuple[str, str]]) -> None:
    table = _table("事实项", "说明", "值")
    for name, (label, _kind) in known.items():
        value = getattr(shown, name)
        text = ("是" if value else "否") if isinstance(value, bool) else str(value or "—")
        table.add_row(name, label, text)
    table.add_row("notes", "备注", shown.notes or "—")
    console.print(table)


@compliance_app.command("facts")
@friendly_errors
def facts(
    system_id: Annotated[int, typer.Argument(help="信息系统 ID")],
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="登记事实，如 --set pi_officer_name=张三（可重复）"),
    ] = None,
) -> None:
    """查看或登记信息系统的合规事实（负责人、备案、审计、同意依据、集体决策、加密…）；记入审计日志。"""
    values = _assigned(assignments, FACTS)
    with db_session() as session:
        if values:
            shown = flows.save_facts(
                session, system_id, _validated(FactsUpdate, values), scope=ALL, by="cli"
            )
        else:
            shown = flows.get_facts(session, system_id, scope=ALL)
        _print_facts(shown, FACTS)


@compliance_app.command("unit-facts")
@friendly_errors
def unit_facts(
    unit_id: Annotated[int, typer.Argument(help="单位 ID")],
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="登记事实，如 --set last_training_date=2026-09-01（可重复）"),
    ] = None,
) -> None:
    """查看或登记单位的合规事实（数据安全管理办法、应急预案、培训、开放目录与共享清单、网络数据安全负责人）；记入审计日志。"""
    values = _assigned(assignments, UNIT_FACTS)
    with db_session() as session:
        if values:
            shown = flows.save_unit_facts(
                session, unit_id, _validated(UnitFactsUpdate, values), scope=ALL, by="cli"
            )
        else:
            shown = flows.get_unit_facts(session, unit_id, scope=ALL)
        _print_facts(shown, UNIT_FACTS)


@compliance_app.command("task")
@friendly_errors
def task(
    task_id: Annotated[int, typer.Argument(help="整改任务 ID")],
    owner: Annotated[str | None, typer.Option("--owner", help="指派给该用户名")] = None,
    due: Annotated[str | None, typer.Option("--due", help="新的整改期限 YYYY-MM-DD")] = None,
    close: Annotated[str | None, typer.Option("--close", help="关闭任务，附理由")] = None,
    reopen: Annotated[bool, typer.Option("--reopen", help="重新打开已关闭的任务")] = False,
) -> None:
    """指派、改期、关闭（附理由）或重新打开整改任务；记入审计日志。"""
    if close is not None and reopen:
        raise fail("--close 与 --reopen 不能同时使用")
    body: dict[str, object] = {}
    if due is not None:
        body["due_date"] = due
    if close is not None:
        body["action"], body["reason"] = "close", close
    if reopen:
        body["action"] = "reopen"
    with db_session() as session:
        if owner is not None:
            body["owner_user_id"] = identity_service.find_user(session, owner).id
        if not body:
            raise fail("请至少指定 --owner、--due、--close 或 --reopen 之一")
        row = flows.update_task(session, task_id, _validated(TaskUpdate, body), scope=ALL, by="cli")
        assert row.task is not None
        console.print(
            f"整改任务 {row.task.id}（{row.rule_id}）：{TASK_LABELS[row.task.status]}，"
            f"负责 {row.task.owner_username or row.task.owner_role_label}，期限 {row.task.due_date}"
        )
