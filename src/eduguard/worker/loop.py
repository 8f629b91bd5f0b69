"""The worker loop: catalog scans, approved releases and queued tasks (messages, clock ticks,
and whatever later domains register), in one process.

Two lanes, so that an hours-long scan never holds up a deadline's reminder: the *long* lane
runs scans and releases one at a time; the *task* lane runs tasks (short by design), the
housekeeping (stale scans failed, scheduled scans queued, recurring tasks scheduled,
abandoned tasks taken back) and signs the audit log's tail. ``drain`` (``eduguard worker
--once``) runs both in turn until nothing is due.

Every claim is a short transaction (PostgreSQL ``FOR UPDATE SKIP LOCKED``, SQLite a guarded
update), so any number of workers can run side by side.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import tail as audit_tail
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import jobs as catalog_jobs
from eduguard.catalog import workers
from eduguard.config import Settings
from eduguard.release import jobs as release_jobs
from eduguard.tasks import runner as tasks_runner
from eduguard.tasks.runner import Handler
from eduguard.worker import registry

logger = logging.getLogger("eduguard.worker")
HOUSEKEEPING_SECONDS = 60.0
STOP_SECONDS = 10.0


@dataclass
class Done:
    scans: int = 0
    releases: int = 0
    tasks: int = 0

    @property
    def total(self) -> int:
        return self.scans + self.releases + self.tasks


OnDone = Callable[[str, int], None]  # ("scan" | "release" | "task", id)


class Worker:
    """One worker: ``kind`` is ``external`` (``eduguard worker``) or ``inline`` (the web
    server's own). ``scan_options`` are ``catalog.jobs.execute``'s keyword arguments."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        *,
        kind: str = "external",
        scan_options: Mapping[str, Any] | None = None,
        handlers: Mapping[str, Handler] | None = None,
        stale_minutes: int = catalog_jobs.DEFAULT_STALE_MINUTES,
        on_done: OnDone | None = None,
    ) -> None:
        self.factory, self.settings, self.kind = factory, settings, kind
        self.name = workers.worker_name(kind)
        secret = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
        policy = catalog_flows.source_policy(settings)
        self.scan_options: dict[str, Any] = (
            dict(scan_options)
            if scan_options is not None
            else {
                "policy": policy,
                "run_minutes": settings.scan_run_minutes,
                "sketch_key": catalog_flows.sketch_key(settings.keys_dir, secret),
            }
        )
        self.runtime = release_jobs.Runtime(
            factory, settings.home, settings.keys_dir, secret, source_policy=policy
        )
        self.handlers = handlers if handlers is not None else registry.handlers()
        self.stale_minutes = stale_minutes
        self.on_done = on_done
        self.heartbeat = catalog_jobs.Heartbeat(factory, kind)

    # ------------------------------------------------------------ one piece of work

    def _done(self, what: str, item_id: int | None) -> int | None:
        if item_id is not None and self.on_done is not None:
            self.on_done(what, item_id)
        return item_id

    def run_task(self) -> int | None:
        task_id = tasks_runner.run_next(self.factory, self.handlers, self.settings, self.name)
        return self._done("task", task_id)

    def run_scan(self) -> int | None:
        return self._done("scan", catalog_jobs.run_next(self.factory, **self.scan_options))

    def run_release(self) -> int | None:
        return self._done("release", release_jobs.run_next(self.runtime))

    def step_long(self) -> bool:
        """One scan, else one release; True when something ran."""
        return self.run_scan() is not None or self.run_release() is not None

    def housekeeping(self) -> None:
        catalog_jobs.housekeeping(self.factory, stale_minutes=self.stale_minutes)
        tasks_runner.housekeeping(self.factory, self.handlers, self.settings)

    # ------------------------------------------------------------ loops

    def drain(self) -> Done:
        """Run everything that is due until nothing is (``eduguard worker --once``)."""
        done = Done()
        self.housekeeping()
        while True:
            self.heartbeat()
            audit_tail.tick(self.factory)
            progressed = False
            while self.run_task() is not None:
                done.tasks += 1
                progressed = True
            if self.run_scan() is not None:
                done.scans += 1
                progressed = True
            elif self.run_release() is not None:
                done.releases += 1
                progressed = True
            if not progressed:
                return done

    def _lane(self, stop: threading.Event, poll_seconds: float, work: Callable[[], bool]) -> None:
        while not stop.is_set():
            try:
                self.heartbeat()
                if work():
                    continue
            except SQLAlchemyError as exc:  # the database busy or gone: try again later
                logger.warning("worker %s: %s", self.name, type(exc).__name__)
            except Exception:  # a bug must not end the lane silently
                logger.exception("worker step failed")
            stop.wait(poll_seconds)

    def run(self, stop: threading.Event, poll_seconds: float = 2.0) -> None:
        """Both lanes until ``stop`` is set (the long lane in a thread of its own)."""
        long_lane = threading.Thread(
            target=self._lane,
            args=(stop, poll_seconds, self.step_long),
            name=f"eduguard-worker-{self.kind}-long",
            daemon=True,
        )
        long_lane.start()
        last = [float("-inf")]

        def task_step() -> bool:
            if time.monotonic() - last[0] >= HOUSEKEEPING_SECONDS:
                last[0] = time.monotonic()
                self.housekeeping()
            audit_tail.tick(self.factory)
            return self.run_task() is not None

        try:
            self._lane(stop, poll_seconds, task_step)
        finally:
            stop.set()
            long_lane.join(timeout=STOP_SECONDS)
