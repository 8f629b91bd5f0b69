"""Scan runs in the background, never inside a web request (the loop that polls for them,
with releases and tasks, is :mod:`eduguard.worker.loop`).

Each run is claimed in a short transaction (PostgreSQL ``FOR UPDATE SKIP LOCKED``,
SQLite a guarded status update), scanned outside any transaction while its progress is written
to the run row every ``progress_seconds``, then applied to the catalog in one transaction —
or marked failed with a Chinese message, leaving the catalog as it was.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import service as audit_service
from eduguard.audit import tail as audit_tail
from eduguard.audit.service import Actor
from eduguard.catalog import flows, service, workers
from eduguard.catalog.models import DataSource, RunStatus, ScanRun
from eduguard.crypto import DecryptionFailed
from eduguard.db.base import utcnow
from eduguard.db.engine import transaction
from eduguard.errors import ConfigurationError, failure_report
from eduguard.source_urls import DEFAULT_SOURCE_HOSTS, SourceHosts, SourcePolicy

logger = logging.getLogger("eduguard.catalog.worker")
WORKER_ACTOR = Actor(username="worker", client_address="local", reason="后台扫描任务")
DEFAULT_STALE_MINUTES = 30
DEFAULT_RUN_MINUTES = 240
MONITOR_SECONDS = 2.0  # how often a running scan's cancellation is looked for  # progress is written about once a second while a run is alive
MIN_REDACTED = 4  # shorter passwords would blank unrelated text; reports never show them anyway


class RowProgress(flows.Progress):
    """Writes a run's progress to its row, at most every ``interval`` seconds, and stops the
    run (:class:`flows.RunStopped`) once it is cancelled or past ``deadline`` (monotonic)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        run_id: int,
        interval: float,
        deadline: float | None = None,
        run_minutes: float | None = None,
    ) -> None:
        self.factory, self.run_id, self.interval = factory, run_id, interval
        self.deadline, self.run_minutes = deadline, run_minutes
        self.last = 0.0
        self.values: dict[str, Any] = {}

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.deadline is not None and now > self.deadline:
            raise flows.RunStopped("scan_deadline", _deadline_message(self.run_minutes or 0))
        if not force and now - self.last < self.interval:
            return
        self.last = now
        with transaction(self.factory) as session:
            values = {**self.values, "heartbeat_at": utcnow()}
            written = session.execute(
                update(ScanRun)
                .where(ScanRun.id == self.run_id, ScanRun.status == RunStatus.running)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if getattr(written, "rowcount", 1) == 0:  # cancelled meanwhile
                raise flows.RunStopped("cancelled", "扫描已取消")

    def begin(self, tables: int) -> None:
        self.values["tables_total"] = tables
        self._write(force=True)

    def table(self, name: str, done: int, rows_read: int) -> None:
        self.values.update(current_table=name[:300] or None, tables_done=done, rows_read=rows_read)
        self._write(force=not name)


def _redact(text: str, secret: str | None) -> str:
    if not secret or len(secret) < MIN_REDACTED:
        return text
    return text.replace(secret, service.MASK)


def _finish(
    factory: sessionmaker[Session],
    run_id: int,
    report: dict[str, Any] | None,
    failure: tuple[str, str] | None,
    sketches: dict[flows.SketchKey, Any] | None = None,
) -> None:
    with transaction(factory) as session:
        audit_service.bind_actor(session, WORKER_ACTOR)
        run = session.get(ScanRun, run_id)
        if run is None:  # pragma: no cover - runs are never deleted
            return
        if run.status == RunStatus.cancelled:  # cancelled while it ran: left as cancelled
            return
        if report is not None:
            service.store_report(run, report)
        run.current_table = None
        if failure is not None or report is None:
            service.fail_run(session, run, *(failure or ("scan_error", "扫描未完成")))
            return
        try:
            with session.begin_nested():
                flows.apply_run(session, run, report, sketches)
        except Exception as exc:
            error_id, summary = failure_report(exc)
            logger.error("applying run %s failed: error %s: %s", run_id, error_id, summary)
            message = f"扫描结果写入数据资源目录失败（{type(exc).__name__}，错误编号 {error_id}）"
            service.fail_run(session, run, "apply_failed", message)
            return
        run.status, run.finished_at = RunStatus.succeeded, utcnow()


def execute(
    factory: sessionmaker[Session],
    run_id: int,
    *,
    progress_seconds: float = 1.0,
    sketch_key: bytes | None = None,
    policy: SourcePolicy | None = None,
    run_minutes: float = DEFAULT_RUN_MINUTES,
) -> None:
    """Scan and apply one claimed (running) run. Never raises for a bad source. With
    ``sketch_key`` (``flows.sketch_key``), identifying fields get overlap sketches.

    ``policy`` (``flows.source_policy``): the host allow-list and driver timeouts; without one
    the private networks of ``EDUGUARD_SOURCE_HOSTS``' default are allowed, loopback is not.
    A run stops (failed, catalog unchanged) after ``run_minutes`` or once it is cancelled."""
    policy = policy or SourcePolicy(hosts=SourceHosts.parse(DEFAULT_SOURCE_HOSTS))
    deadline = time.monotonic() + run_minutes * 60
    location: str | None = None
    secret: str | None = None
    with transaction(factory) as session:
        run = session.get(ScanRun, run_id)
        if run is None:  # pragma: no cover - foreign keys prevent it
            return
        sample, source_id = run.sample, run.source_id
    try:
        with transaction(factory) as session:  # the password is decrypted as the row loads
            source = session.get(DataSource, source_id)
            if source is None:  # pragma: no cover - foreign keys prevent it
                return
            if source.archived:
                run = session.get(ScanRun, run_id)
                if run is not None and run.status == RunStatus.running:
                    service.cancel_run(
                        session, run, cancelled_by="archive", why="数据源已归档，扫描已取消"
                    )
                return
            location = service.connect_location(source)
            secret = service.source_password(source)
    except (DecryptionFailed, ConfigurationError):
        location = None
    if location is None:
        failure = (
            "secret_unreadable",
            "数据源密码无法解密（主密钥不正确或密文已被改动），请重新填写数据源地址",
        )
        _finish(factory, run_id, None, failure)
        return
    watchdog = flows.Watchdog()
    stop = threading.Event()
    monitor = threading.Thread(
        target=_monitor,
        args=(factory, run_id, deadline, run_minutes, watchdog, stop),
        daemon=True,
    )
    monitor.start()
    try:
        outcome = flows.scan_source(
            location,
            sample=sample,
            progress=RowProgress(factory, run_id, progress_seconds, deadline, run_minutes),
            sketch_key=sketch_key,
            policy=dataclasses.replace(policy, watch=watchdog),
        )
    except flows.RunStopped as stopped:
        logger.warning("scan run %s stopped: %s", run_id, stopped.code)
        _finish(factory, run_id, None, (stopped.code, stopped.message))
        return
    except Exception as exc:  # a bug must fail the run, not stop the worker
        error_id, summary = failure_report(exc)
        logger.error("scan run %s failed: error %s: %s", run_id, error_id, summary)
        failure = ("scan_error", f"扫描出错（{type(exc).__name__}，错误编号 {error_id}）")
        _finish(factory, run_id, None, failure)
        return
    finally:
        stop.set()
        monitor.join()
    if watchdog.reason is not None:  # a read cut short: the deadline passed or it was cancelled
        logger.warning("scan run %s stopped: %s", run_id, watchdog.reason[0])
        _finish(factory, run_id, None, watchdog.reason)
        return
    report: dict[str, Any] = json.loads(
        _redact(json.dumps(outcome.report, ensure_ascii=False), secret)
    )
    error = outcome.error
    if error is not None:
        error = (error[0], _redact(error[1], secret))
    _finish(factory, run_id, report, error, outcome.sketches if sketch_key else None)


def _deadline_message(run_minutes: float) -> str:
    return (
        f"扫描超过时限（{run_minutes:g} 分钟），已停止；目录未更新。"
        "可缩小抽样或拆分数据源，或请平台管理员延长扫描时限"
    )


def _monitor(
    factory: sessionmaker[Session],
    run_id: int,
    deadline: float,
    run_minutes: float,
    watchdog: flows.Watchdog,
    stop: threading.Event,
) -> None:
    """While a run scans: at its deadline, or once it is cancelled, cut its source connections
    (a driver blocked in a read would otherwise never reach the next progress check)."""
    while not stop.wait(min(MONITOR_SECONDS, max(deadline - time.monotonic(), 0.01))):
        if time.monotonic() > deadline:
            watchdog.cut("scan_deadline", _deadline_message(run_minutes))
            return
        try:
            with factory() as session:
                status = session.scalar(select(ScanRun.status).where(ScanRun.id == run_id))
        except SQLAlchemyError as exc:  # the platform database busy: look again later
            logger.debug("scan run %s: status check failed: %s", run_id, type(exc).__name__)
            continue
        if status == RunStatus.cancelled:
            watchdog.cut("cancelled", "扫描已取消")
            return


def run_next(factory: sessionmaker[Session], **options: Any) -> int | None:
    """Claim and execute the oldest queued run; its id, or None when the queue is empty."""
    with transaction(factory) as session:
        run = service.claim_next(session)
        run_id = run.id if run is not None else None
    if run_id is not None:
        execute(factory, run_id, **options)
    return run_id


def run_now(factory: sessionmaker[Session], run_id: int, **options: Any) -> bool:
    """Execute one queued run now (``eduguard catalog scan --now``); False if already taken."""
    with transaction(factory) as session:
        claimed = service.claim(session, run_id) is not None
    if claimed:
        execute(factory, run_id, **options)
    return claimed


def housekeeping(
    factory: sessionmaker[Session], *, stale_minutes: int = DEFAULT_STALE_MINUTES
) -> tuple[int, int]:
    """Fail runs whose worker died, queue the scheduled scans that are due; (failed, queued).
    Both are recorded in the audit log as the worker's changes."""
    with transaction(factory) as session:
        audit_service.bind_actor(session, WORKER_ACTOR)
        now = utcnow()
        failed = service.fail_stale(session, now=now, stale_minutes=stale_minutes)
        queued = service.queue_due(session, now=now)
        for run in failed:
            logger.warning("scan run %s failed: its worker stopped reporting progress", run.id)
            audit_service.record(
                session,
                action="catalog.scan.worker_lost",
                object_type="scan_run",
                object_id=run.id,
                fields=("status", "error_code"),
                result="failed",
                reason=f"{stale_minutes} 分钟没有进展",
            )
        for run in queued:
            audit_service.record(
                session,
                action="catalog.scan.scheduled",
                object_type="scan_run",
                object_id=run.id,
                reason=f"数据源 {run.source_id} 的定期扫描到期",
            )
        return len(failed), len(queued)


class Heartbeat:
    """Writes this worker's heartbeat row (:mod:`catalog.workers`), at most every
    ``BEAT_SECONDS``; a failed write (the database busy) is tried again next time."""

    def __init__(self, factory: sessionmaker[Session], kind: str) -> None:
        self.factory, self.kind = factory, kind
        self.name = workers.worker_name(kind)
        self.last: float | None = None

    def __call__(self) -> None:
        now = time.monotonic()
        if self.last is not None and now - self.last < workers.BEAT_SECONDS:
            return
        try:
            with transaction(self.factory) as session:
                workers.beat(session, self.name, self.kind)
        except SQLAlchemyError as exc:
            logger.warning("worker heartbeat not written: %s", type(exc).__name__)
            return
        self.last = now


def work(
    factory: sessionmaker[Session],
    *,
    once: bool = True,
    on_run: Callable[[int], None] | None = None,
    stale_minutes: int = DEFAULT_STALE_MINUTES,
    **options: Any,
) -> int:
    """Execute the queued scan runs until none is left; how many ran (tools and tests).

    ``eduguard worker`` runs :class:`eduguard.worker.loop.Worker` instead — scans, releases
    and tasks in one loop; this is its scan part alone. Housekeeping comes first: runs left
    ``running`` by a dead worker are failed, scheduled scans queued."""
    if not once:
        raise ValueError("catalog.jobs.work only empties the queue; run eduguard.worker")
    done = 0
    heartbeat = Heartbeat(factory, "external")
    housekeeping(factory, stale_minutes=stale_minutes)
    while True:
        heartbeat()
        audit_tail.tick(factory)  # sign the audit log's tail every EDUGUARD_AUDIT_CHECKPOINT_…
        run_id = run_next(factory, **options)
        if run_id is None:
            return done
        done += 1
        if on_run is not None:
            on_run(run_id)
