"""The worker's side of the clocks: ``clocks.tick``, a recurring task (every minute) that
writes due reminders and escalations to the outbox (``clocks.flows.tick``)."""

from __future__ import annotations

import logging

from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.clocks import flows
from eduguard.db.engine import transaction
from eduguard.tasks.runner import Handler, TaskContext

logger = logging.getLogger("eduguard.clocks")
TICK_KIND = "clocks.tick"
TICK_SECONDS = 60
WORKER_ACTOR = Actor(username="worker", client_address="local", reason="后台期限提醒任务")


def tick(context: TaskContext) -> None:
    webhook = context.settings.clocks_webhook
    with transaction(context.factory) as session:
        audit_service.bind_actor(session, WORKER_ACTOR)
        result = flows.tick(session, webhooks=(webhook,) if webhook else ())
    if result.reminders or result.escalations:
        logger.info("clocks: %s reminders, %s escalations", result.reminders, result.escalations)


HANDLERS = {TICK_KIND: Handler(TICK_KIND, tick, every_seconds=TICK_SECONDS)}
