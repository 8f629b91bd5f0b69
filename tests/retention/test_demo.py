"""The demo's retention (issue #20's done-when): a graduated class whose records expired and
were disposed of by a completed, certified run; a run waiting for its second approval; a hold;
every dataset of the demo source with a rule — all on a real SQLite file, through the flows."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.audit import verify as audit_verify
from eduguard.audit.models import AuditEvent
from eduguard.catalog.models import Dataset
from eduguard.demo import flows as demo_flows
from eduguard.demo import retention as demo_retention
from eduguard.retention import certificate, dispositions, scheduling, service
from eduguard.retention.models import DispositionRun, RetentionHold, RunStatus
from eduguard.reviews.models import ReviewRequest, StepStatus
from eduguard.tasks.models import Task, TaskStatus


def _rows(path: Path, table: str, where: str = "1 = 1") -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0])


def test_demo_has_a_completed_disposition_a_pending_one_and_a_hold(
    session: Session, tmp_path: Path
) -> None:
    audit_capture.install(session)
    today = date.today()
    demo_flows.seed(session, today=today)
    session.commit()
    path = tmp_path / "home" / "sources" / demo_retention.SOURCE_FILE
    runs = {
        r.table_name: r for r in session.scalars(select(DispositionRun).order_by(DispositionRun.id))
    }
    assert set(runs) == {"byb_jz_lxr", "byb_qj_jl"}

    # the class that graduated three years ago is gone from the real file; last summer's stays
    done = runs["byb_jz_lxr"]
    size = demo_retention.CLASS_SIZE
    assert done.status == RunStatus.completed
    assert (done.rows_before, done.selected, done.processed) == (2 * size, size, size)
    assert (done.rows_after, done.remaining_after) == (size, 0)
    assert _rows(path, "byb_jz_lxr") == size
    assert _rows(path, "byb_jz_lxr", f"bj LIKE '{today.year - 3}届%'") == 0
    assert done.certificate is not None
    document = done.certificate.encode()
    assert certificate.verify(document) == []
    fields = certificate.json.loads(document)
    assert [a["by"] for a in fields["approvers"]] == ["county-owner", "county-security"]
    assert fields["planned_by"] == "county-pio" and fields["executor"] == "worker"
    task = session.scalars(select(Task).where(Task.kind == dispositions.EXECUTE_TASK)).one()
    assert task.status == TaskStatus.succeeded  # the worker has nothing left to do

    # leave records past two years: approved by the owner, awaiting the security function
    pending = runs["byb_qj_jl"]
    assert pending.status == RunStatus.approval and pending.selected > 0
    review = session.get_one(ReviewRequest, pending.review_id)
    assert [s.status for s in review.steps] == [StepStatus.approved, StepStatus.pending]
    assert _rows(path, "byb_qj_jl", "xsxm IS NULL") == 0  # nothing anonymised before approval

    # the morning checks are held; every demo-source dataset has a rule
    datasets = {d.name: d for d in session.scalars(select(Dataset))}
    [hold] = session.scalars(select(RetentionHold)).all()
    assert hold.dataset_id == datasets["xs_cjjl"].id and hold.released_at is None
    for name in ("byb_jz_lxr", "byb_qj_jl", "xs_cjjl"):
        assert service.get_rule(session, datasets[name].id) is not None
        assert datasets[name].retention_period  # the catalog says the same

    # the daily round (as the demo's worker runs it at start) plans nothing more: the held
    # dataset is skipped, the pending one has its run, the disposed one has nothing due
    result = scheduling.daily(session, today=today)
    assert result.planned == []
    assert result.skipped == {
        datasets["xs_cjjl"].id: "retention_on_hold",
        pending.dataset_id: "retention_run_open",
    }
    session.rollback()

    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"retention.run.plan", "retention.run.start", "retention.run.complete"} <= actions
    assert {"retention.hold.place", "retention.rule.save", "retention.credential"} <= actions
    checked = audit_verify.verify(
        session.connection(), keys_dir=tmp_path / "home" / "keys", fast=False
    )
    assert checked.ok, checked.problem
