"""The worker's side of consent: ``consent.handover``, a daily task of the shared worker
(``tasks``) that hands 14-year-olds' consent decisions over to them (``birthdays``)."""

from __future__ import annotations

import logging

from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.consent import birthdays
from eduguard.db.engine import transaction
from eduguard.tasks.runner import Handler, TaskContext

logger = logging.getLogger("eduguard.consent")
HANDOVER_KIND = "consent.handover"
DAILY = 24 * 60 * 60
WORKER_ACTOR = Actor(username="worker", client_address="local", reason="后台任务：年满十四周岁移交")


def handover(context: TaskContext) -> None:
    with transaction(context.factory) as session:
        audit_service.bind_actor(session, WORKER_ACTOR)
        done = birthdays.handover_due(session)
    if done:
        logger.info("consent: %s subjects handed over at 14", len(done))


HANDLERS = {HANDOVER_KIND: Handler(HANDOVER_KIND, handover, every_seconds=DAILY)}
