"""Every task handler, by kind: each domain's ``jobs.HANDLERS``. A domain with background
work adds its line here (and nowhere else), so every worker runs every kind."""

from __future__ import annotations

from collections.abc import Mapping

from eduguard.clocks import jobs as clocks_jobs
from eduguard.consent import jobs as consent_jobs
from eduguard.notify import jobs as notify_jobs
from eduguard.processing import jobs as processing_jobs
from eduguard.retention import jobs as retention_jobs
from eduguard.tasks.runner import Handler


def handlers() -> Mapping[str, Handler]:
    registered: dict[str, Handler] = {}
    for table in (
        clocks_jobs.HANDLERS,
        notify_jobs.HANDLERS,
        consent_jobs.HANDLERS,
        retention_jobs.HANDLERS,
        processing_jobs.HANDLERS,
    ):
        for kind, handler in table.items():
            if kind in registered:  # pragma: no cover - a programming error
                raise RuntimeError(f"task kind {kind} registered twice")
            registered[kind] = handler
    return registered
