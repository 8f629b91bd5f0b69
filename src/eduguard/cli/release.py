"""``eduguard release …``: research and statistics release requests from the command line.

Commands that request, decide, withdraw or download act in an account's name (``--user``):
the same rules apply as in the console (role, unit, no self-approval, requester-only
download), and the audit events name that account. ``run`` produces approved releases.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from time import sleep
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.audit import checkpoints as audit_checkpoints
from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.catalog import flows as catalog_flows
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
from eduguard.release import flows, jobs
from eduguard.release.models import JobStatus
from eduguard.release.schemas import DecisionCreate, ReleaseCreate, ReleaseRead
from eduguard.reviews.service import Person

release_app = typer.Typer(
    help="科研与统计数据发布 (research and statistics release)", no_args_is_help=True
)
# The command line reads every request (like a platform-wide supervisor); acting needs --user.
CLI_READER = Person(None, "cli", frozenset({"supervisor"}), None, "/")
User = Annotated[str, typer.Option("--user", help="以该账户的名义操作（账户名）")]
Reason = Annotated[str, typer.Option("--reason", help="理由（记入审批记录与审计日志）")]


def register(app: typer.Typer) -> None:
    app.add_typer(release_app, name="release")


def _split(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").replace("，", ",").split(",") if name.strip()]


def _act_as(session: Session, username: str) -> Person:
    person = flows.person_of(session, username)
    audit_service.bind_actor(
        session,
        Actor(
            username=person.username,
            user_id=person.user_id,
            roles=tuple(sorted(person.roles)),
            unit_id=person.unit_id,
            unit_path=person.unit_path,
            client_address="local",
            reason="命令行操作（以账户名义）",
        ),
    )
    return person


def _print(release: ReleaseRead) -> None:
    console.print(
        f"申请 [bold]{release.id}[/]：{release.state_label}（{release.system} · {release.dataset}）"
    )
    console.print(f"字段：{'、'.join(release.fields)}", soft_wrap=True)
    for treatment in release.treatments:
        console.print(f"  {treatment.field}：{treatment.label}", soft_wrap=True)
    console.print(f"用途：{release.purpose}；接收方：{release.recipient}", soft_wrap=True)
    for step in release.steps:
        who = f"，{step.decided_by}：{step.reason}" if step.decided_by else ""
        console.print(
            f"  第 {step.position} 步 {step.label}（{step.unit}）：{step.status_label}{who}"
        )
    job = flows.JOB_LABELS[JobStatus(release.job_status)]
    rows = f"，{release.rows_exported} 行" if release.rows_exported is not None else ""
    error = f"（{release.job_error}）" if release.job_error else ""
    console.print(f"脱敏数据：{job}{rows}{error}", soft_wrap=True)


@release_app.command("request")
@friendly_errors
def request(
    user: User,
    dataset: Annotated[int, typer.Option("--dataset", help="数据资源目录中的数据集 ID")],
    fields: Annotated[str, typer.Option("--fields", help="申请的字段，逗号分隔")],
    purpose: Annotated[str, typer.Option("--purpose", help="用途（研究/统计目的）")],
    recipient: Annotated[str, typer.Option("--recipient", help="接收方")],
    legal_basis: Annotated[str, typer.Option("--legal-basis", help="法律依据")],
    ethics: Annotated[str, typer.Option("--ethics", help="伦理审查说明")] = "",
    k: Annotated[int | None, typer.Option("--k", min=2, help="k-匿名：每个等价类至少 k 条")] = None,
    quasi: Annotated[str | None, typer.Option("--quasi", help="准标识符，逗号分隔")] = None,
    l_diversity: Annotated[int, typer.Option("--l", min=1, help="l-多样性")] = 1,
    sensitive: Annotated[str | None, typer.Option("--sensitive", help="敏感属性列")] = None,
    draft: Annotated[bool, typer.Option("--draft", help="只保存草稿，不提交审批")] = False,
) -> None:
    """申请发布数据集的部分字段（经数据主管单位审批后生成脱敏数据）。"""
    try:
        data = ReleaseCreate(
            dataset_id=dataset,
            fields=_split(fields),
            purpose=purpose,
            recipient=recipient,
            legal_basis=legal_basis,
            ethics_note=ethics,
            k=k,
            l_diversity=l_diversity,
            quasi_identifiers=_split(quasi),
            sensitive_attribute=sensitive or None,
            submit=not draft,
        )
    except ValueError as error:
        first = str(error).splitlines()
        raise fail(f"申请内容有误：{first[-1] if first else error}") from None
    with db_session() as session:
        person = _act_as(session, user)
        release = flows.request(session, data, person)
        _print(flows.read(session, release.id, person))


@release_app.command("list")
@friendly_errors
def list_releases(
    user: Annotated[str | None, typer.Option("--user", help="只列出该账户可见的申请")] = None,
) -> None:
    """列出数据发布申请及其状态。"""
    with db_session() as session:
        person = flows.person_of(session, user) if user else CLI_READER
        table = SafeTable("ID", "信息系统", "数据集", "接收方", "申请人", "状态", "脱敏数据")
        for release in flows.list_releases(session, person):
            table.add_row(
                str(release.id),
                release.system,
                release.dataset,
                release.recipient,
                release.requester,
                release.state_label,
                flows.JOB_LABELS[JobStatus(release.job_status)],
            )
        console.print(table)


@release_app.command("show")
@friendly_errors
def show(release_id: Annotated[int, typer.Argument(help="申请 ID")]) -> None:
    """显示申请、审批步骤与过程记录。"""
    with db_session() as session:
        release = flows.read(session, release_id, CLI_READER)
        _print(release)
        for entry in release.timeline:
            at = entry.at.strftime("%Y-%m-%d %H:%M")
            console.print(f"  {at} {entry.actor} {entry.label}：{entry.reason}", soft_wrap=True)


def _decide(
    release_id: int, user: str, decision: str, reason: str, accept_empty: bool = False
) -> None:
    try:
        data = DecisionCreate.model_validate(
            {"decision": decision, "reason": reason, "accept_empty": accept_empty}
        )
    except ValueError:
        raise fail("请用 --reason 填写理由（至少 2 个字）") from None
    with db_session() as session:
        person = _act_as(session, user)
        flows.decide(session, release_id, data, person)
        _print(flows.read(session, release_id, person))


@release_app.command("approve")
@friendly_errors
def approve(
    release_id: Annotated[int, typer.Argument(help="申请 ID")],
    user: User,
    reason: Reason,
    accept_empty: Annotated[
        bool,
        typer.Option("--accept-empty", help="确认知悉：有字段在脱敏数据中不含原值（被抑制或替换）"),
    ] = False,
) -> None:
    """同意当前审批步骤（须为该步骤的审批单位与角色，不能审批本人的申请）。"""
    _decide(release_id, user, "approve", reason, accept_empty)


@release_app.command("reject")
@friendly_errors
def reject(
    release_id: Annotated[int, typer.Argument(help="申请 ID")], user: User, reason: Reason
) -> None:
    """驳回申请。"""
    _decide(release_id, user, "reject", reason)


@release_app.command("return")
@friendly_errors
def send_back(
    release_id: Annotated[int, typer.Argument(help="申请 ID")], user: User, reason: Reason
) -> None:
    """退回申请人修改（申请回到草稿，可再次提交）。"""
    _decide(release_id, user, "return", reason)


@release_app.command("submit")
@friendly_errors
def submit(release_id: Annotated[int, typer.Argument(help="申请 ID")], user: User) -> None:
    """提交（或退回后再次提交）审批。"""
    with db_session() as session:
        person = _act_as(session, user)
        flows.submit(session, release_id, person)
        _print(flows.read(session, release_id, person))


@release_app.command("withdraw")
@friendly_errors
def withdraw(release_id: Annotated[int, typer.Argument(help="申请 ID")], user: User) -> None:
    """撤回尚未批准的申请。"""
    with db_session() as session:
        person = _act_as(session, user)
        flows.withdraw(session, release_id, person)
        _print(flows.read(session, release_id, person))


@release_app.command("run")
@friendly_errors
def run(
    release_id: Annotated[int | None, typer.Argument(help="只处理这个申请（缺省为全部）")] = None,
    retry: Annotated[bool, typer.Option("--retry", help="重新排队生成失败的申请")] = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="持续运行：队列为空时等待新批准的申请（Ctrl+C 退出）")
    ] = False,
    poll: Annotated[float, typer.Option("--poll", min=0.1, help="--watch 的轮询间隔（秒）")] = 5.0,
) -> None:
    """生成已批准申请的脱敏数据与报告（写入 EDUGUARD_HOME/releases）。"""
    settings = get_settings()
    if retry:
        if release_id is None:
            raise fail("--retry 需要指定申请 ID")
        with db_session(settings) as session:
            flows.retry(session, release_id)
    engine = open_engine(settings)
    try:
        factory = session_factory(settings, engine)
        audit_capture.install(factory, audit_checkpoints.CheckpointPolicy.from_settings(settings))
        secret = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
        runtime = jobs.Runtime(
            factory,
            settings.home,
            settings.keys_dir,
            secret,
            source_policy=catalog_flows.source_policy(settings),
        )
        if release_id is not None:
            done = [r for r in [jobs.run_next(runtime, release_id)] if r is not None]
            if not done:
                raise fail(f"申请 {release_id} 不在待生成队列中（须已批准且尚未生成）")
        elif watch:
            done = []
            try:
                while True:
                    produced = jobs.work(runtime)
                    for produced_id in produced:
                        console.print(f"数据发布申请 {produced_id} 已处理")
                    done += produced
                    sleep(poll)
            except KeyboardInterrupt:
                pass
        else:
            done = jobs.work(runtime)
        failed = False
        with factory() as session:
            for done_id in done:
                release = flows.read(session, done_id, CLI_READER)
                failed = failed or release.job_status == "failed"
                _print(release)
    finally:
        engine.dispose()
    console.print(f"已处理 {len(done)} 个数据发布申请")
    if failed:
        raise typer.Exit(1)


@release_app.command("download")
@friendly_errors
def download(
    release_id: Annotated[int, typer.Argument(help="申请 ID")],
    user: User,
    output: Annotated[Path, typer.Option("--output", help="保存到该文件")],
    report: Annotated[bool, typer.Option("--report", help="下载脱敏报告而不是数据")] = False,
) -> None:
    """申请人下载已生成的脱敏数据（或报告）；下载记入审计日志。"""
    settings = get_settings()
    with db_session(settings) as session:
        person = _act_as(session, user)
        path, _name = flows.download(session, release_id, person, settings.home, report=report)
        output.parent.mkdir(parents=True, exist_ok=True)
        temporary = output.with_name(f".{output.name}.part")
        shutil.copyfile(path, temporary)
        temporary.replace(output)
    console.print(f"已保存到 {output}")
