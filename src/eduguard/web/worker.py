"""The web server's own background worker (``EDUGUARD_WORKER=inline``; the default for the
demo and the embedded SQLite database), and the console's "no worker" banner.

One thread, started in the app's lifespan: it executes queued scans (``catalog.jobs``) and
approved releases (``release.jobs``) exactly as ``eduguard worker`` / ``eduguard release run``
do — each claimed in a short transaction (``BEGIN IMMEDIATE`` on SQLite), the source read
outside any transaction — and writes its heartbeat. Never inside a request. On shutdown it
stops between jobs; a scan still running is left to its deadline, and a run whose process
ended is failed as stale by the next worker's housekeeping, so it can be scanned again.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import jobs as catalog_jobs
from eduguard.catalog import workers
from eduguard.catalog.models import RunStatus, ScanRun
from eduguard.config import Settings
from eduguard.db.base import utcnow
from eduguard.release import jobs as release_jobs
from eduguard.release.models import JobStatus, ReleaseRequest

logger = logging.getLogger("eduguard.web.worker")
HOUSEKEEPING_SECONDS = 60.0
STOP_SECONDS = 10.0


class InlineWorker:
    """Runs queued scans and releases in a daemon thread until :meth:`stop`."""

    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, poll_seconds: float = 1.0
    ) -> None:
        self.factory, self.settings, self.poll_seconds = factory, settings, poll_seconds
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="eduguard-worker", daemon=True)
        secret = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
        self.scan_options = {
            "policy": catalog_flows.source_policy(settings),
            "run_minutes": settings.scan_run_minutes,
            "sketch_key": catalog_flows.sketch_key(settings.keys_dir, secret),
        }
        self.runtime = release_jobs.Runtime(
            factory,
            settings.home,
            settings.keys_dir,
            secret,
            source_policy=catalog_flows.source_policy(settings),
        )
        self.heartbeat = catalog_jobs.Heartbeat(factory, "inline")

    def __enter__(self) -> InlineWorker:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=STOP_SECONDS)

    def step(self) -> bool:
        """One scan or one release, if any is queued; True when something ran."""
        if catalog_jobs.run_next(self.factory, **self.scan_options) is not None:
            return True
        return release_jobs.run_next(self.runtime) is not None

    def _run(self) -> None:
        last_housekeeping = 0.0
        while not self.stopping.is_set():
            try:
                self.heartbeat()
                if time.monotonic() - last_housekeeping >= HOUSEKEEPING_SECONDS:
                    catalog_jobs.housekeeping(self.factory)
                    last_housekeeping = time.monotonic()
                if self.step():
                    continue
            except SQLAlchemyError as exc:  # the database busy or gone: try again later
                logger.warning("in-process worker: %s", type(exc).__name__)
            except Exception:  # a bug must not end the thread silently
                logger.exception("in-process worker step failed")
            self.stopping.wait(self.poll_seconds)


def queued_work(session: Session) -> int:
    """Scans and approved releases waiting for a worker."""
    releases = session.scalar(
        select(func.count()).where(ReleaseRequest.job_status == JobStatus.queued)
    )
    return workers.queued_scans(session) + (releases or 0)


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
        "有后台任务（扫描或数据发布）在排队，但最近没有后台任务进程在运行。"
        "请平台管理员运行 eduguard worker（扫描）和 eduguard release run（数据发布），"
        "或启用 Web 服务内置的后台任务（见安装说明中的设置）。"
    )
