"""The worker's side of the processing register, a task of the shared worker (``tasks``):
``catalog.version_applied`` (the catalog's event, ``catalog.events``), after each scan of a
system, collects the planned items its catalog now holds (``intake.collect``)."""

from __future__ import annotations

import logging

from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.catalog.events import VERSION_APPLIED
from eduguard.db.engine import transaction
from eduguard.processing import intake
from eduguard.tasks.runner import Handler, TaskContext

logger = logging.getLogger("eduguard.processing")
WORKER_ACTOR = Actor(
    username="worker", client_address="local", reason="后台任务：扫描发现经采集审核批准的数据项"
)


def collect(context: TaskContext) -> None:
    system_id = int(context.payload["system_id"])
    with transaction(context.factory) as session:
        audit_service.bind_actor(session, WORKER_ACTOR)
        found = intake.collect(session, system_id)
    if found:
        logger.info("processing: %s planned items collected in system %s", len(found), system_id)


HANDLERS = {VERSION_APPLIED: Handler(VERSION_APPLIED, collect)}
