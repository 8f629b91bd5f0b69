"""``eduguard retention …``: retention rules, exemptions and holds of catalog datasets.

The command line acts platform-wide (like the console's system-wide accounts); ``--user``
names the person recorded as having made the change (default: ``cli``)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from eduguard import labels
from eduguard.audit import capture as audit_capture
from eduguard.audit import checkpoints as audit_checkpoints
from eduguard.cli import retention_residuals
from eduguard.cli.common import (
    SafeTable,
    console,
    db_session,
    fail,
    friendly_errors,
    open_engine,
    session_factory,
)
from eduguard.config import get_settings
from eduguard.retention import certificate, dispositions, flows
from eduguard.retention import pdf as retention_pdf
from eduguard.retention.executor import DEFAULT_BATCH
from eduguard.retention.models import Disposition, DispositionRun, HoldKind, PeriodUnit, Trigger
from eduguard.retention.schemas import DatasetRetention, ExemptionIn, HoldIn, HoldRelease, RuleIn
from eduguard.validation import validation_details

retention_app = typer.Typer(help="保存期限与保全 (retention rules and holds)", no_args_is_help=True)
hold_app = typer.Typer(help="保全：设置、解除、列出 (holds)", no_args_is_help=True)
retention_app.add_typer(hold_app, name="hold")
ALL = "/"
M = TypeVar("M", bound=BaseModel)

By = Annotated[str, typer.Option("--user", help="记录为操作人的账户名")]
Reason = Annotated[str, typer.Option("--reason", help="理由（记入审计日志）")]


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")


def _validated(model: type[M], values: dict[str, object]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = validation_details(exc.errors(), "zh")[0]
        where = f"{first['field']}：" if first["field"] else ""
        raise fail(f"{where}{first['message']}") from None


def _print(state: DatasetRetention) -> None:
    console.print(f"数据集 {state.dataset_id} {state.dataset}（{state.system}）")
    console.print(f"  状态：{labels.label('retention_status', state.status)}")
    if state.rule:
        console.print(f"  规则：{state.rule.summary}")
        if state.rule.legal_basis:
            console.print(f"  依据：{state.rule.legal_basis}")
        console.print(f"  期满日界：{state.cutoff or '—'}")
    if state.exemption:
        console.print(f"  不设规则的理由：{state.exemption.reason}")
    for hold in state.holds:
        status = "已解除" if hold.released_at else "保全中"
        console.print(
            f"  保全 {hold.id}：{labels.label('hold_kind', hold.kind)} {hold.reference} {status}"
        )


@retention_app.command("show")
@friendly_errors
def show(dataset_id: Annotated[int, typer.Argument(help="数据集编号")]) -> None:
    """一个数据集的保存期限规则、豁免与保全。"""
    with db_session(read_only=True) as session:
        _print(flows.read_dataset(session, dataset_id, scope=ALL))


@retention_app.command("list")
@friendly_errors
def list_datasets(
    unit: Annotated[int, typer.Option("--unit", help="单位编号（含下级单位）")],
    missing: Annotated[bool, typer.Option("--missing", help="只列出缺少规则的数据集")] = False,
) -> None:
    """列出单位的数据集及其保存期限状态；--missing 有缺少规则的数据集时退出码为 1。"""
    with db_session(read_only=True) as session:
        rows = flows.overview(session, unit, scope=ALL)
    if missing:
        rows = [r for r in rows if r.status == "missing"]
    table = SafeTable("编号", "信息系统", "数据集", "状态", "规则", "保全")
    for row in rows:
        rule = row.rule.summary if row.rule else (row.exemption.reason if row.exemption else "")
        held = sum(1 for h in row.holds if h.released_at is None)
        table.add_row(
            str(row.dataset_id),
            row.system,
            row.dataset,
            labels.label("retention_status", row.status),
            rule,
            str(held),
        )
    console.print(table)
    if missing and rows:
        raise typer.Exit(1)


@retention_app.command("set-rule")
@friendly_errors
def set_rule(
    dataset_id: Annotated[int, typer.Argument(help="数据集编号")],
    trigger: Annotated[Trigger, typer.Option("--trigger", help="起算依据")],
    period: Annotated[int, typer.Option("--period", help="保存期限（数量）")],
    unit: Annotated[PeriodUnit, typer.Option("--unit", help="期限单位")] = PeriodUnit.years,
    disposition: Annotated[
        Disposition, typer.Option("--disposition", help="期满后：删除、匿名化或归档")
    ] = Disposition.delete,
    column: Annotated[str | None, typer.Option("--column", help="起算的日期列")] = None,
    event: Annotated[str | None, typer.Option("--event", help="起算的事件")] = None,
    event_date: Annotated[
        str | None, typer.Option("--event-date", help="事件日期 YYYY-MM-DD")
    ] = None,
    minimum: Annotated[int | None, typer.Option("--minimum", help="法定最短保存期限")] = None,
    minimum_unit: Annotated[PeriodUnit | None, typer.Option("--minimum-unit")] = None,
    basis: Annotated[str, typer.Option("--basis", help="法律或规章依据")] = "",
    key: Annotated[str | None, typer.Option("--key", help="行键列（执行时记录进度用）")] = None,
    by: By = "cli",
) -> None:
    """登记或修改数据集的保存期限规则（替代已登记的豁免）。"""
    try:
        when = date.fromisoformat(event_date) if event_date else None
    except ValueError:
        raise fail("事件日期格式应为 YYYY-MM-DD") from None
    body = _validated(
        RuleIn,
        {
            "trigger": trigger,
            "trigger_column": column,
            "event_name": event,
            "event_date": when,
            "period_value": period,
            "period_unit": unit,
            "minimum_value": minimum,
            "minimum_unit": minimum_unit if minimum is not None else None,
            "legal_basis": basis,
            "disposition": disposition,
            "key_column": key,
        },
    )
    with db_session() as session:
        flows.save_rule(session, dataset_id, body, scope=ALL, by=by)
        _print(flows.read_dataset(session, dataset_id, scope=ALL))


@retention_app.command("exempt")
@friendly_errors
def exempt(
    dataset_id: Annotated[int, typer.Argument(help="数据集编号")], reason: Reason, by: By = "cli"
) -> None:
    """登记数据集不设保存期限规则的理由（例如依法永久保存的学籍档案）。"""
    data = _validated(ExemptionIn, {"reason": reason})
    with db_session() as session:
        _print(flows.record_exemption(session, dataset_id, data.reason, scope=ALL, by=by))


@hold_app.command("place")
@friendly_errors
def place(
    dataset_id: Annotated[int, typer.Argument(help="数据集编号")],
    kind: Annotated[HoldKind, typer.Option("--kind", help="保全类别")],
    reason: Reason,
    reference: Annotated[str, typer.Option("--reference", help="案件或来函文号")] = "",
    subject_column: Annotated[
        str | None,
        typer.Option(
            "--subject-column",
            help="只保全一个主体：主体所在的列（如 xh）；主体标识从标准输入读取（只存其摘要）",
        ),
    ] = None,
    by: By = "cli",
) -> None:
    """对数据集设置保全：解除前不得归档或销毁；指定 --subject-column 时只保全该主体的行。"""
    fields: dict[str, object] = {"kind": kind, "reason": reason, "reference": reference}
    if subject_column is not None:
        fields |= {"subject_column": subject_column, "subject_key": sys.stdin.readline().strip()}
    data = _validated(HoldIn, fields)
    with db_session() as session:
        hold = flows.place_hold(
            session,
            dataset_id,
            data.kind,
            data.reference,
            data.reason,
            scope=ALL,
            by=by,
            subject=data.subject,
        )
        console.print(f"已设置保全 {hold.id}（{labels.label('hold_kind', hold.kind)}）")


@hold_app.command("release")
@friendly_errors
def release(
    hold_id: Annotated[int, typer.Argument(help="保全编号")], reason: Reason, by: By = "cli"
) -> None:
    """解除保全（须填写理由）。"""
    data = _validated(HoldRelease, {"reason": reason})
    with db_session() as session:
        hold = flows.release_hold(session, hold_id, data.reason, scope=ALL, by=by)
        console.print(f"已解除保全 {hold.id}")


@hold_app.command("list")
@friendly_errors
def list_holds(
    unit: Annotated[int, typer.Option("--unit", help="单位编号（含下级单位）")],
    all_holds: Annotated[bool, typer.Option("--all", help="包括已解除的保全")] = False,
) -> None:
    """列出单位数据集上的保全。"""
    with db_session(read_only=True) as session:
        holds = flows.list_holds(session, unit, scope=ALL, open_only=not all_holds)
    table = SafeTable("编号", "数据集", "类别", "文号", "理由", "状态")
    for hold in holds:
        table.add_row(
            str(hold.id),
            str(hold.dataset_id),
            labels.label("hold_kind", hold.kind),
            hold.reference,
            hold.reason,
            "已解除" if hold.released_at else "保全中",
        )
    console.print(table)


# ---------------------------------------------------------------- disposition runs

Run = Annotated[int, typer.Argument(help="处置任务编号")]
Actor_ = Annotated[str, typer.Option("--user", help="以该账户的名义操作（账户名）")]


def _run_line(run: DispositionRun) -> None:
    console.print(
        f"处置任务 {run.id}：{labels.label('retention_run_status', run.status)}；"
        f"处置前 {run.rows_before} 行，选中 {run.selected} 行，已处置 {run.processed} 行"
    )


@retention_app.command("credential")
@friendly_errors
def credential(
    source_id: Annotated[int, typer.Argument(help="数据源编号")],
    username: Annotated[str, typer.Option("--username", help="处置专用账户（SQLite 不需要）")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读取密码（不出现在命令行）")
    ] = False,
    by: By = "cli",
) -> None:
    """登记数据源的处置专用写入凭据（加密保存；扫描凭据保持只读）。"""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with db_session() as session:
        dispositions.register_write_credential(
            session, source_id, username, password or None, scope=ALL, by=by
        )
    console.print(f"已登记数据源 {source_id} 的处置专用写入凭据")


@retention_app.command("plan")
@friendly_errors
def plan(dataset_id: Annotated[int, typer.Argument(help="数据集编号")], by: By = "cli") -> None:
    """按规则在源库上干运行：统计选中的行并显示行选择查询，生成待审批的处置任务。"""
    with db_session() as session:
        run = dispositions.plan(session, dataset_id, scope=ALL, by=by)
        _run_line(run)
        console.print(f"行选择查询：{run.selection_sql}")


@retention_app.command("submit")
@friendly_errors
def submit(run_id: Run, user: Actor_) -> None:
    """提交处置任务，送数据主管单位与网络安全职能部门审批。"""
    with db_session() as session:
        person = dispositions.person_of(session, user)
        _run_line(dispositions.submit(session, run_id, person, scope=ALL))


@retention_app.command("decide")
@friendly_errors
def decide(
    run_id: Run,
    user: Actor_,
    reason: Reason,
    decision: Annotated[
        str, typer.Option("--decision", help="approve / reject / return")
    ] = "approve",
) -> None:
    """审批处置任务的当前步骤（两个步骤须由不同的人审批）。"""
    with db_session() as session:
        person = dispositions.person_of(session, user)
        _run_line(dispositions.decide(session, run_id, person, decision, reason, scope=ALL))


@retention_app.command("execute")
@friendly_errors
def execute(
    run_id: Run,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=100_000, help="每批处置的行数（每批一个事务）")
    ] = DEFAULT_BATCH,
    pause: Annotated[
        float, typer.Option("--pause", min=0, max=60, help="两批之间暂停的秒数（降低源库负载）")
    ] = 0.0,
) -> None:
    """执行（或续做中断的）已批准处置任务，完成后出具证明。"""
    settings = get_settings()
    engine = open_engine(settings)
    factory = session_factory(settings, engine)
    audit_capture.install(factory, audit_checkpoints.CheckpointPolicy.from_settings(settings))
    try:
        outcome = dispositions.execute(
            factory,
            run_id,
            executor_name="cli",
            keys_dir=settings.keys_dir,
            batch_size=batch_size,
            pause=pause,
        )
        with factory() as session:
            run = session.get_one(DispositionRun, run_id)
            _run_line(run)
            console.print(
                f"本次 {outcome.batches} 批，处置 {outcome.processed} 行"
                f"（其中 {outcome.reconciled} 行在中断前已处置）；证明 SM3 {run.certificate_sm3}"
            )
    finally:
        engine.dispose()


@retention_app.command("certificate")
@friendly_errors
def certificate_file(
    run_id: Run,
    output: Annotated[Path, typer.Option("--output", "-o", help="写入的文件（.json 或 .pdf）")],
) -> None:
    """导出处置任务的销毁/归档证明（JSON 可离线核验；PDF 供打印）。"""
    with db_session(read_only=True) as session:
        run = dispositions.get_run(session, run_id, scope=ALL)
        text = run.certificate
    if text is None:
        raise fail("该处置任务尚未完成，还没有证明")
    if output.suffix.lower() == ".pdf":
        body = retention_pdf.to_pdf(json.loads(text), font_path=get_settings().pdf_font)
    else:
        body = text.encode()
    output.write_bytes(body)
    console.print(f"已写入 {output}")


@retention_app.command("verify-cert")
@friendly_errors
def verify_cert(path: Annotated[Path, typer.Argument(help="证明文件（JSON）")]) -> None:
    """离线核验销毁/归档证明；被改动时指出所在字段，退出码 1。"""
    try:
        raw = path.read_bytes()
    except OSError:
        raise fail(f"无法读取文件：{path}") from None
    problems = certificate.verify(raw)
    if problems:
        for problem in problems:
            console.print(f"不一致：{problem}")
        raise typer.Exit(1)
    document = json.loads(raw)
    console.print(f"证明完整：处置任务 {document['run_id']}，SM3 {document['document_sm3']}")


retention_residuals.register(retention_app)  # residuals RUN / confirm RUN: residual copies
