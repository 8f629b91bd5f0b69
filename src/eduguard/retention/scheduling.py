"""The daily retention round (``retention.daily`` in the shared worker): for every dataset
whose rule has expired rows today, no open run and no hold, plan the run on its source, submit
it for the two approvals, open a clock (10 working days, reminders to the 数据主管单位,
escalation to the security administrator) and tell the approvers through the outbox. When a run
completes or is rejected its clock closes. Another domain crossing module of ``retention``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard import labels
from eduguard.catalog.models import Dataset
from eduguard.clocks import flows as clocks_flows
from eduguard.clocks.schemas import ClockOpen
from eduguard.errors import EduguardError
from eduguard.notify import flows as notify_flows
from eduguard.notify.flows import Recipient
from eduguard.orgs.models import InformationSystem
from eduguard.retention import dispositions, service
from eduguard.retention.models import DispositionRun, RetentionRule
from eduguard.reviews.service import Person

CLOCK_KIND = "retention.approval"
APPROVAL_DAYS = 10  # working days for the two approvals
SCHEDULER = Person(None, "retention-scheduler", frozenset(), None, "/")

labels.register(
    "clock_kind",
    {
        CLOCK_KIND: (
            "数据处置待审批（保存期限届满）",
            "Disposition awaiting approval (retention expired)",
        )
    },
)


@dataclass
class Round:
    planned: list[int] = field(default_factory=list)  # run ids
    skipped: dict[int, str] = field(default_factory=dict)  # dataset id → error code


def _candidates(session: Session) -> list[RetentionRule]:
    return list(
        session.scalars(
            select(RetentionRule)
            .join(Dataset, Dataset.id == RetentionRule.dataset_id)
            .join(InformationSystem, InformationSystem.id == Dataset.system_id)
            .where(Dataset.present.is_(True), InformationSystem.archived.is_(False))
            .order_by(RetentionRule.dataset_id)
        )
    )


def daily(session: Session, *, today: date | None = None) -> Round:
    """One round, in the caller's transaction (one savepoint per dataset: a source that
    cannot be read skips that dataset only)."""
    today = today or date.today()
    result = Round()
    for rule in _candidates(session):
        if service.cutoff(rule, today) is None or rule.key_column is None:
            continue
        try:
            with session.begin_nested():
                run = dispositions.plan(
                    session, rule.dataset_id, scope="/", by=SCHEDULER.username, today=today
                )
                if run.selected == 0:
                    raise _NothingDue
                dispositions.submit(session, run.id, SCHEDULER, scope="/")
                _remind(session, run)
                result.planned.append(run.id)
        except _NothingDue:
            continue
        except EduguardError as exc:  # open run, hold, unreadable source …: skip, say why
            result.skipped[rule.dataset_id] = exc.code
    return result


class _NothingDue(Exception):
    pass


def _remind(session: Session, run: DispositionRun) -> None:
    dataset = session.get_one(Dataset, run.dataset_id)
    system = session.get_one(InformationSystem, dataset.system_id)
    clocks_flows.open_clock(
        session,
        ClockOpen(
            kind=CLOCK_KIND,
            title=f"数据处置任务 {run.id} 待审批",
            subject_type="retention_run",
            subject_id=run.id,
            unit_id=system.owner_unit_id,
            unit="working_days",
            amount=APPROVAL_DAYS,
            owner_role="data_owner",
            escalate_role="security_admin",
            escalate_unit_id=system.unit_id,
        ),
    )
    notify_flows.send(
        session,
        topic="retention.approval",
        subject=f"数据处置任务 {run.id} 待审批",
        body=(
            f"数据集 {dataset.id} 的保存期限已届满，处置任务 {run.id}（{run.selected} 行）"
            "已生成计划，请数据主管单位与网络安全职能部门审批。"
        ),
        to=[
            Recipient.holders("data_owner", system.owner_unit_id),
            Recipient.holders("security_admin", system.unit_id),
        ],
        unit_id=system.unit_id,
        cause_type="retention_run",
        cause_id=run.id,
        link=f"/retention/runs/{run.id}",
    )
