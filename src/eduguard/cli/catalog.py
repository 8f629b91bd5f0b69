"""``eduguard catalog …`` (sources, scans, export) and ``eduguard worker``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url

from eduguard.audit import capture as audit_capture
from eduguard.audit import checkpoints as audit_checkpoints
from eduguard.catalog import dashboard, flows, jobs, service, stats
from eduguard.catalog import export as catalog_export
from eduguard.catalog.schemas import RunRead, SourceCreate
from eduguard.cli.common import (
    SafeTable,
    console,
    db_session,
    fail,
    friendly_errors,
    open_engine,
    session_factory,
)
from eduguard.config import Settings, get_settings

catalog_app = typer.Typer(help="数据资源目录 (data resource catalog)", no_args_is_help=True)
source_app = typer.Typer(help="信息系统的数据源 (data sources)", no_args_is_help=True)
catalog_app.add_typer(source_app, name="source")
ALL = "/"
RUN_LABELS = {
    "queued": "排队中",
    "running": "扫描中",
    "succeeded": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
}


def _sketch_key(settings: Settings) -> bytes:
    secret = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    return flows.sketch_key(settings.keys_dir, secret)


def _run_options(settings: Settings) -> dict[str, Any]:
    """The worker's limits for registered sources: allowed hosts, timeouts, run deadline."""
    return {"policy": flows.source_policy(settings), "run_minutes": settings.scan_run_minutes}


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
    app.command("worker")(worker)


@source_app.command("add")
@friendly_errors
def source_add(
    system_id: Annotated[int, typer.Argument(help="信息系统 ID")],
    location: Annotated[str, typer.Argument(help="数据库 URL 或文件/文件夹路径")],
    name: Annotated[str, typer.Option("--name", help="数据源名称")] = "主数据库",
    ask_password: Annotated[
        bool, typer.Option("--ask-password", help="交互输入数据库密码（不出现在命令行历史中）")
    ] = False,
    every_days: Annotated[
        int | None,
        typer.Option(
            "--every-days", min=1, max=366, help="定期扫描间隔（天）：由 eduguard worker 自动排队"
        ),
    ] = None,
) -> None:
    """登记数据源；URL 中的密码单独以 SM4 加密保存，之后不再显示。"""
    if ask_password:
        password = typer.prompt("数据库密码", hide_input=True)
        location = make_url(location).set(password=password).render_as_string(hide_password=False)
    settings = get_settings()
    with db_session(settings) as session:
        source = flows.add_source(
            session,
            system_id,
            SourceCreate(name=name, location=location, scan_every_days=every_days),
            scope=ALL,
            policy=flows.location_policy(settings),
        )
        shown = service.display_location(source)
        console.print(f"已登记数据源 [bold]{source.id}[/]：{shown}")


@source_app.command("list")
@friendly_errors
def source_list(system_id: Annotated[int, typer.Argument(help="信息系统 ID")]) -> None:
    """列出信息系统的数据源（不显示密码）。"""
    with db_session() as session:
        table = SafeTable("ID", "名称", "类型", "地址", "定期扫描")
        for source in flows.list_sources(session, system_id, scope=ALL):
            every = f"每 {source.scan_every_days} 天" if source.scan_every_days else "按需"
            table.add_row(
                str(source.id),
                source.name,
                source.kind.value,
                service.display_location(source),
                every,
            )
        console.print(table)


def _print_runs(runs: list[RunRead]) -> None:
    table = SafeTable(
        "任务", "数据源", "状态", "表", "已读行数", "数据集", "数据项", "变化", "发现"
    )
    for run in runs:
        table.add_row(
            str(run.id),
            str(run.source_id),
            RUN_LABELS[run.status.value],
            f"{run.tables_done}/{run.tables_total if run.tables_total is not None else '?'}",
            f"{run.rows_read:,}",
            str(run.datasets_count),
            str(run.fields_count),
            str(run.changes_count),
            str(run.findings_count),
        )
    console.print(table)
    for run in runs:
        if run.error_message:
            console.print(f"任务 {run.id} 失败：{run.error_message}", soft_wrap=True)


@catalog_app.command("scan")
@friendly_errors
def scan(
    system_id: Annotated[int, typer.Argument(help="信息系统 ID")],
    now: Annotated[
        bool, typer.Option("--now", help="立即在本进程中执行，而不是交给后台任务")
    ] = False,
    source_id: Annotated[int | None, typer.Option("--source", help="只扫描这个数据源")] = None,
    sample: Annotated[int | None, typer.Option("--sample", min=1, help="每表读取行数")] = None,
) -> None:
    """为信息系统的数据源排队扫描任务（由 eduguard worker 执行）；--now 立即执行。"""
    settings = get_settings()
    with db_session(settings) as session:
        runs = flows.request_scan(
            session,
            system_id,
            scope=ALL,
            requested_by="cli",
            source_id=source_id,
            sample=sample,
        )
        run_ids = [run.id for run in runs]
    if not now:
        console.print(f"已排队 {len(run_ids)} 个扫描任务：{run_ids}；请运行 eduguard worker")
        return
    engine = open_engine(settings)
    try:
        factory = session_factory(settings, engine)
        audit_capture.install(factory, audit_checkpoints.CheckpointPolicy.from_settings(settings))
        for run_id in run_ids:
            jobs.run_now(
                factory, run_id, sketch_key=_sketch_key(settings), **_run_options(settings)
            )
        with factory() as session:
            done = [RunRead.model_validate(service.get_run(session, i)) for i in run_ids]
    finally:
        engine.dispose()
    _print_runs(done)
    if any(run.status.value == "failed" for run in done):
        raise typer.Exit(1)


@catalog_app.command("cancel")
@friendly_errors
def cancel(run_id: Annotated[int, typer.Argument(help="扫描任务 ID", min=1)]) -> None:
    """取消排队中或扫描中的扫描任务（扫描中的任务在下一批数据前停止；记入审计日志）。"""
    with db_session() as session:
        run = flows.cancel_run(session, run_id, scope=ALL, cancelled_by="cli")
        console.print(f"已取消扫描任务 {run.id}")


@catalog_app.command("runs")
@friendly_errors
def runs(
    system_id: Annotated[int | None, typer.Option("--system", help="信息系统 ID")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
) -> None:
    """列出扫描任务及其进度与结果。"""
    with db_session() as session:
        found = flows.list_runs(session, scope=ALL, system_id=system_id, limit=limit)
        _print_runs([RunRead.model_validate(r) for r in found])


@catalog_app.command("export")
@friendly_errors
def export(
    fmt: Annotated[str, typer.Option("--format", help="xlsx 或 json")] = "xlsx",
    output: Annotated[
        Path | None,
        typer.Option("--output", help="输出文件；缺省为当前目录下的“单位-数据资源目录-日期.xlsx”"),
    ] = None,
    unit: Annotated[int | None, typer.Option("--unit", help="只导出该单位及其下级单位")] = None,
) -> None:
    """导出数据资源目录（每个数据项一行：所属系统、分类、级别、主管单位……）；导出记入审计日志。"""
    if fmt not in ("xlsx", "json"):
        raise fail("导出格式须为 xlsx 或 json")
    zone = get_settings().timezone
    with db_session() as session:
        body, count = flows.export(session, fmt, scope=ALL, unit_id=unit, zone=zone)
        if output is None:
            _path, _label, name = flows.export_scope(session, scope=ALL, unit_id=unit)
            output = Path(catalog_export.file_name(name, fmt, zone=zone))
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(body)
    console.print(f"已导出 {count} 个数据项到 {output}")


@catalog_app.command("duplicates")
@friendly_errors
def duplicates(
    unit: Annotated[int | None, typer.Option("--unit", help="只看该单位及其下级单位")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table 或 json")] = "table",
    min_overlap: Annotated[
        int, typer.Option("--min-overlap", min=1, help="至少重叠多少个取值才报告")
    ] = 10,
) -> None:
    """一数一源：列出多个信息系统重复采集的同类个人信息（按密钥哈希草图估计重叠，不读原值）。"""
    if fmt not in ("table", "json"):
        raise fail("输出格式须为 table 或 json")
    with db_session() as session:
        scope = dashboard.resolve(session, scope=ALL, unit_id=unit)
        found = dashboard.duplicates(session, scope, min_overlap=min_overlap)
    if fmt == "json":
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    table = SafeTable(
        "类型", "系统甲（数据集.数据项）", "系统乙（数据集.数据项）", "重叠（95% 区间）", "Jaccard"
    )
    for d in found:
        a, b = d["a"], d["b"]
        interval = "精确" if d["exact"] else f"{d['overlap_low']:,}–{d['overlap_high']:,}"
        table.add_row(
            d["pi_type"],
            f"{a['system']}（{a['dataset']}.{a['field']}）",
            f"{b['system']}（{b['dataset']}.{b['field']}）",
            f"{d['overlap']:,}（{interval}）",
            f"{d['jaccard']:.2f}",
        )
    console.print(table)
    console.print(f"{scope.name}：发现 {len(found)} 处重复采集")


@catalog_app.command("refresh-stats")
@friendly_errors
def refresh_stats() -> None:
    """重新计算各信息系统的目录统计（态势看板的数据；批量导入或升级后运行）。"""
    with db_session() as session:
        count = stats.refresh_all(session)
    console.print(f"已重新计算 {count} 个信息系统的目录统计")


@friendly_errors
def worker(
    once: Annotated[bool, typer.Option("--once", help="执行完队列中到期的任务后退出")] = False,
    poll: Annotated[
        float, typer.Option("--poll", min=0.1, help="队列为空时的轮询间隔（秒）")
    ] = 2.0,
    stale_minutes: Annotated[
        int,
        typer.Option(
            "--stale-minutes",
            min=5,
            max=1440,
            help="运行中的扫描多少分钟没有进展即视为进程已中断（置为失败，可重新扫描）",
        ),
    ] = jobs.DEFAULT_STALE_MINUTES,
) -> None:
    """后台任务：执行排队的扫描、已批准的数据发布、消息发送与期限提醒，按计划为定期扫描的
    数据源排队，并把进程中断而遗留的任务置为失败或重新排队。"""
    import threading

    from eduguard.worker.loop import Worker

    settings = get_settings()
    engine = open_engine(settings)
    factory = session_factory(settings, engine)
    audit_capture.install(factory, audit_checkpoints.CheckpointPolicy.from_settings(settings))

    def report(what: str, item_id: int) -> None:
        if what != "scan":
            if what == "release":
                console.print(f"数据发布申请 {item_id} 已处理")
            return
        with factory() as session:
            run = service.get_run(session, item_id)
            state = RUN_LABELS[run.status.value]
            detail = f"（{run.error_message}）" if run.error_message else ""
            console.print(f"扫描任务 {run.id}：{state}{detail}")

    loop = Worker(
        factory,
        settings,
        scan_options={"sketch_key": _sketch_key(settings), **_run_options(settings)},
        stale_minutes=stale_minutes,
        on_done=report,
    )
    try:
        if once:
            done = loop.drain()
            console.print(
                f"已执行 {done.scans} 个扫描任务、{done.releases} 个数据发布、"
                f"{done.tasks} 个后台任务（消息、期限提醒）"
            )
        else:
            loop.run(threading.Event(), poll_seconds=poll)
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()
