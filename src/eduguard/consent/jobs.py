"""The worker's side of consent, tasks of the shared worker (``tasks``): ``consent.handover``,
daily, hands 14-year-olds' consent decisions over to them (``birthdays``); ``consent.tally``,
every ten minutes, counts the ledger of each consent-based purpose whose stored count is no longer
current, for the dashboard (``coverage.refresh``)."""

from __future__ import annotations

import logging

from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.consent import birthdays, coverage
from eduguard.db.engine import transaction
from eduguard.tasks.runner import Handler, TaskContext

logger = logging.getLogger("eduguard.consent")
HANDOVER_KIND = "consent.handover"
TALLY_KIND = "consent.tally"
DAILY = 24 * 60 * 60
TEN_MINUTES = 10 * 60
WORKER_ACTOR = Actor(username="worker", client_address="local", reason="后台任务：年满十四周岁移交")


def handover(context: TaskContext) -> None:
    with transaction(context.factory) as session:
        audit_service.bind_actor(session, WORKER_ACTOR)
        done = birthdays.handover_due(session)
    if done:
        logger.info("consent: %s subjects handed over at 14", len(done))


def count(context: TaskContext) -> None:
    """Counts only (no personal value, no ledger row is written): nothing to audit."""
    with transaction(context.factory) as session:
        found = coverage.refresh(session)
    if found:
        logger.info("consent: ledger counted for %s purposes", len(found))


HANDLERS = {
    HANDOVER_KIND: Handler(HANDOVER_KIND, handover, every_seconds=DAILY),
    TALLY_KIND: Handler(TALLY_KIND, count, every_seconds=TEN_MINUTES),
}
