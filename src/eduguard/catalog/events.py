"""What the catalog tells other domains, without importing them: a task on the shared queue
(``eduguard.tasks``) enqueued in the transaction that changes the catalog, so it commits or
rolls back with the change, and runs in the worker.

``catalog.version_applied`` — a scan made a new catalog version of a system (payload
``system_id``). One task per system is queued at a time (a later scan before it runs reuses
it). Handled by ``processing.jobs``: planned items of the register that the catalog now holds
are collected (the expected catalog).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from eduguard.tasks import service as tasks_service

VERSION_APPLIED = "catalog.version_applied"


def version_applied(session: Session, system_id: int) -> None:
    tasks_service.enqueue(
        session,
        VERSION_APPLIED,
        {"system_id": system_id},
        key=f"{VERSION_APPLIED}:{system_id}",
    )
