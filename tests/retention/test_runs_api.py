"""Disposition runs through the API, the console, the worker and the CLI: plan → submit → the
owner's and security's approvals (the PI officer may not approve) → the worker's
``retention.execute`` task → certificate JSON and PDF, checked offline by
``eduguard retention verify-cert``; archived rows read only with a reason (audited). And the
daily round (``retention.daily``): a held dataset is skipped, an expired one is planned,
submitted, given a clock and its approvers told; the clock closes once both approve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from eduguard.audit.models import AuditEvent
from eduguard.cli.main import app as cli
from eduguard.clocks.models import Clock, ClockStatus
from eduguard.config import Settings
from eduguard.notify.models import Message
from eduguard.retention import jobs, scheduling
from eduguard.retention.models import DispositionRun, RunStatus
from eduguard.tasks.models import Task
from eduguard.tasks.runner import TaskContext

from .conftest import GRADUATES, OLD, World, rows_left, set_rule


def _context(world: World, settings: Settings, kind: str, payload: dict[str, Any]) -> TaskContext:
    return TaskContext(
        factory=world.factory,
        settings=settings,
        task_id=0,
        kind=kind,
        payload=payload,
        attempt=1,
        max_attempts=3,
    )


def _decide(world: World, username: str, run_id: int, reason: str) -> Any:
    world.login(username)
    return world.client.post(
        f"/api/v1/retention/runs/{run_id}/decision",
        json={"decision": "approve", "reason": reason},
    )


def test_plan_approve_execute_and_certificate_through_the_api(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    set_rule(world, disposition="archive")  # logged in as owner1
    credential = world.client.put(
        f"/api/v1/retention/sources/{world.source}/write-credential", json={}
    )
    assert credential.status_code == 200, credential.text
    dataset = world.datasets["xs_biye"]
    world.login("pio1")
    planned = world.client.post(f"/api/v1/retention/datasets/{dataset}/runs")
    assert planned.status_code == 201, planned.text
    run = planned.json()
    assert (run["status"], run["rows_before"], run["selected"]) == ("planned", GRADUATES, OLD)
    assert "biye_rq" in run["selection_sql"]
    run_id = run["id"]
    submitted = world.client.post(f"/api/v1/retention/runs/{run_id}/submit")
    assert submitted.json()["status"] == "approval", submitted.text
    refused = world.client.post(
        f"/api/v1/retention/runs/{run_id}/decision",
        json={"decision": "approve", "reason": "自己批准"},
    )
    assert refused.status_code == 403  # the PI officer plans; owner and security approve
    assert _decide(world, "owner1", run_id, "已核对清单").json()["status"] == "approval"
    approved = _decide(world, "sec1", run_id, "同意归档")
    assert approved.json()["status"] == "approved", approved.text
    assert rows_left(world.source_path) == (GRADUATES, OLD)  # nothing happens until executed

    with world.factory() as session:
        [task] = session.scalars(select(Task).where(Task.kind == "retention.execute")).all()
        payload = dict(task.payload)
    jobs.execute(_context(world, settings, "retention.execute", payload))
    assert rows_left(world.source_path) == (GRADUATES - OLD, 0)
    done = world.client.get(f"/api/v1/retention/runs/{run_id}").json()
    assert (done["status"], done["processed"], done["remaining_after"]) == ("completed", OLD, 0)
    page = world.client.get(f"/retention/runs/{run_id}")
    assert page.status_code == 200 and "已完成" in page.text

    document = world.client.get(f"/api/v1/retention/runs/{run_id}/certificate.json")
    assert document.status_code == 200
    good = tmp_path / "cert.json"
    good.write_bytes(document.content)
    runner = CliRunner()
    checked = runner.invoke(cli, ["retention", "verify-cert", str(good)])
    assert checked.exit_code == 0, checked.output
    assert "证明完整" in checked.output and done["certificate_sm3"] in checked.output
    raw = document.content
    at = raw.index(b'"processed": 40') + len(b'"processed": 4')
    bad = tmp_path / "altered.json"
    bad.write_bytes(raw[:at] + b"1" + raw[at + 1 :])
    altered = runner.invoke(cli, ["retention", "verify-cert", str(bad)])
    assert altered.exit_code == 1 and "counts" in altered.output, altered.output
    pdf = world.client.get(f"/api/v1/retention/runs/{run_id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # The archive: not for the PI officer; the owner must give a reason; every read audited.
    world.login("pio1")
    url = f"/api/v1/retention/runs/{run_id}/archive"
    assert world.client.get(url, params={"reason": "核对归档内容"}).status_code == 403
    world.login("owner1")
    assert world.client.get(url, params={"reason": "看看"}).status_code == 422
    read = world.client.get(url, params={"reason": "家长申请查阅毕业档案"})
    assert read.status_code == 200, read.text
    assert len(read.json()["rows"]) == OLD
    with world.factory() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.archive.read")
        ).all()
    assert event.username == "owner1" and "家长申请查阅毕业档案" in (event.reason or "")


def test_the_daily_round_skips_holds_then_plans_and_reminds(
    world: World, settings: Settings
) -> None:
    set_rule(world)
    dataset = world.datasets["xs_biye"]
    world.login("sec1")
    hold = world.client.post(
        f"/api/v1/retention/datasets/{dataset}/holds",
        json={"kind": "audit", "reason": "年度审计期间暂停处置"},
    ).json()
    with world.factory.begin() as session:
        held = scheduling.daily(session)
    assert (held.planned, held.skipped) == ([], {dataset: "retention_on_hold"})
    released = world.client.post(
        f"/api/v1/retention/holds/{hold['id']}/release", json={"reason": "审计结束"}
    )
    assert released.status_code == 200, released.text
    jobs.daily(_context(world, settings, jobs.DAILY_KIND, {}))  # as the worker runs it
    with world.factory() as session:
        [run] = session.scalars(select(DispositionRun)).all()
        assert (run.dataset_id, run.status, run.selected) == (dataset, RunStatus.approval, OLD)
        [clock] = session.scalars(select(Clock).where(Clock.subject_type == "retention_run"))
        assert (clock.subject_id, clock.status) == (run.id, ClockStatus.open)
        assert (clock.kind, clock.escalate_role) == (scheduling.CLOCK_KIND, "security_admin")
        [message] = session.scalars(select(Message).where(Message.topic == "retention.approval"))
        assert message.cause_id == run.id and "data_owner" in message.addressed_to
        assert "security_admin" in message.addressed_to
        run_id = run.id
    with world.factory.begin() as session:  # the next day: the open run is not planned twice
        again = scheduling.daily(session)
    assert (again.planned, again.skipped) == ([], {dataset: "retention_run_open"})

    assert _decide(world, "owner1", run_id, "同意").status_code == 200
    assert _decide(world, "sec1", run_id, "同意销毁").json()["status"] == "approved"
    with world.factory() as session:
        clock = session.get_one(Clock, clock.id)
        assert clock.status != ClockStatus.open and clock.closed_by == "sec1"
    assert rows_left(world.source_path) == (GRADUATES, OLD)
