"""The web server's own background worker (``EDUGUARD_WORKER=inline``; the default for the
demo and the embedded SQLite database), and the console's "no worker" banner.

It is the one worker loop (:class:`eduguard.worker.loop.Worker`) run in threads started in the
app's lifespan: scans, approved releases and queued tasks (messages, clock ticks) exactly as
``eduguard worker`` runs them — each claimed in a short transaction, never inside a request.
On shutdown it stops between jobs; a scan still running is left to its deadline, and a run
whose process ended is failed as stale by the next worker's housekeeping.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from eduguard.catalog import workers
from eduguard.catalog.models import RunStatus, ScanRun
from eduguard.config import Settings
from eduguard.db.base import utcnow
from eduguard.release.models import JobStatus, ReleaseRequest
from eduguard.tasks import service as tasks_service
from eduguard.worker.loop import STOP_SECONDS, Worker


class InlineWorker:
    """Runs the worker loop in daemon threads until :meth:`stop`."""

    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, poll_seconds: float = 1.0
    ) -> None:
        self.worker = Worker(factory, settings, kind="inline")
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=self.worker.run,
            args=(self.stopping, poll_seconds),
            name="eduguard-worker",
            daemon=True,
        )

    def __enter__(self) -> InlineWorker:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=STOP_SECONDS * 2)

    def step(self) -> bool:
        """One task, scan or release, if any is due; True when something ran."""
        return self.worker.run_task() is not None or self.worker.step_long()


def queued_work(session: Session) -> int:
    """Scans, approved releases and due tasks waiting for a worker."""
    releases = session.scalar(
        select(func.count()).where(ReleaseRequest.job_status == JobStatus.queued)
    )
    tasks = tasks_service.queued_due(session, now=utcnow() - timedelta(seconds=5))
    return workers.queued_scans(session) + (releases or 0) + tasks


def banner(session: Session) -> str | None:
    """The console's warning when work is queued (for longer than a worker's poll) and no
    worker has been seen for ``workers.SILENT_SECONDS``; None otherwise."""
    if not workers.silent(session):
        return None
    if not queued_work(session):
        return None
    oldest = session.scalar(
        select(func.min(ScanRun.requested_at)).where(ScanRun.status == RunStatus.queued)
    )
    if oldest is not None and utcnow() - oldest < timedelta(seconds=5):
        return None  # just queued: a worker that polls has not had its turn yet
    return (
        "有后台任务（扫描、数据发布、消息发送或期限提醒）在排队，但最近没有后台任务进程在运行。"
        "请平台管理员运行 eduguard worker，"
        "或启用 Web 服务内置的后台任务（见安装说明中的设置）。"
    )
