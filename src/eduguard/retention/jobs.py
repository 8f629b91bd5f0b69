"""The worker's side of retention: ``retention.daily`` (a recurring task, once a day: plan
and submit what has expired, remind the approvers) and ``retention.execute`` (run or resume an
approved disposition; a killed worker's task is taken back and resumes from the manifest)."""

from __future__ import annotations

import logging

from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.db.engine import transaction
from eduguard.retention import dispositions, scheduling
from eduguard.tasks.runner import Handler, TaskContext

logger = logging.getLogger("eduguard.retention")
DAILY_KIND = "retention.daily"
WORKER_ACTOR = Actor(username="worker", client_address="local", reason="后台保存期限任务")


def daily(context: TaskContext) -> None:
    with transaction(context.factory) as session:
        audit_service.bind_actor(session, WORKER_ACTOR)
        result = scheduling.daily(session)
    if result.planned or result.skipped:
        logger.info(
            "retention: %s runs planned, %s skipped", len(result.planned), len(result.skipped)
        )


def execute(context: TaskContext) -> None:
    run_id = int(context.payload["run_id"])
    dispositions.execute(
        context.factory,
        run_id,
        executor_name="worker",
        keys_dir=context.settings.keys_dir,
    )


HANDLERS = {
    DAILY_KIND: Handler(DAILY_KIND, daily, every_seconds=24 * 3600),
    dispositions.EXECUTE_TASK: Handler(dispositions.EXECUTE_TASK, execute),
}
