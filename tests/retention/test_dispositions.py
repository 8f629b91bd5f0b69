"""Plan → two approvals → execution on the real source → certificate, at the service level:
the dry run counts what the rule selects, the approvals must be two different people, a hold
blocks, a crash between the source's commit and the manifest's resumes with every row done
exactly once, and a one-byte change to the certificate is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eduguard.audit.models import AuditEvent
from eduguard.errors import EduguardError
from eduguard.retention import certificate, dispositions
from eduguard.retention.models import (
    ArchiveChunk,
    DispositionRun,
    ManifestBatch,
    ManifestEntry,
    RunStatus,
)
from eduguard.retention.service import OnHold

from .conftest import GRADUATES, OLD, World, approved_run, rows_left, set_rule


class Crash(Exception):
    pass


def test_delete_with_a_crash_mid_run_then_resume(world: World, tmp_path: Path) -> None:
    set_rule(world)
    run_id = approved_run(world)

    def crash(phase: str, batch: int) -> None:
        if (phase, batch) == ("source", 2):  # the source committed, the manifest did not
            raise Crash

    keys = tmp_path / "keys"
    with pytest.raises(Crash):
        dispositions.execute(
            world.factory, run_id, executor_name="t", keys_dir=keys, batch_size=7, hook=crash
        )
    assert rows_left(world.source_path) == (GRADUATES - 14, OLD - 14)
    outcome = dispositions.execute(
        world.factory, run_id, executor_name="t", keys_dir=keys, batch_size=7
    )
    assert outcome.reconciled == 7  # the crashed batch: found done at the source
    assert rows_left(world.source_path) == (GRADUATES - OLD, 0)
    with world.factory() as session:
        run = session.get_one(DispositionRun, run_id)
        assert run.status == RunStatus.completed
        assert (run.processed, run.remaining_after, run.rows_after) == (OLD, 0, GRADUATES - OLD)
        hashes = session.scalars(
            select(ManifestEntry.key_hash).where(ManifestEntry.run_id == run_id)
        ).all()
        assert len(hashes) == len(set(hashes)) == OLD
        batches = session.execute(
            select(ManifestBatch.state, func.sum(ManifestBatch.rows))
            .where(ManifestBatch.run_id == run_id)
            .group_by(ManifestBatch.state)
        ).all()
        assert [(str(state), int(rows)) for state, rows in batches] == [("done", OLD)]
        assert all("S0" not in h for h in hashes)  # hashes, never the 学号
        [done] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.run.complete")
        ).all()
        assert run.certificate_sm3 and run.certificate_sm3 in (done.reason or "")
        document = run.certificate or ""
    raw = document.encode()
    assert certificate.verify(raw) == []
    parsed = json.loads(document)
    assert (
        parsed["counts"]["processed"] == OLD and parsed["verification"]["remaining_selected"] == 0
    )
    assert [a["by"] for a in parsed["approvers"]] == ["owner1", "sec1"]
    # One byte changed in a count: the field is named.
    position = raw.index(b'"processed": 40') + len(b'"processed": 4')
    altered = raw[:position] + b"1" + raw[position + 1 :]
    assert certificate.verify(altered) == ["counts：内容与签名时不一致"]
    at = raw.index("毕业".encode()) if "毕业".encode() in raw else raw.index(b"xs_biye")
    problems = certificate.verify(raw[:at] + b"X" + raw[at + 1 :])
    assert problems and all("：" in p for p in problems)


def test_archive_is_exactly_once_and_sealed(world: World, tmp_path: Path) -> None:
    set_rule(world, disposition="archive")
    run_id = approved_run(world)

    def crash(phase: str, batch: int) -> None:
        if (phase, batch) == ("ahead", 3):  # written ahead, source not yet touched
            raise Crash

    with pytest.raises(Crash):
        dispositions.execute(
            world.factory, run_id, executor_name="t", keys_dir=tmp_path, batch_size=6, hook=crash
        )
    assert rows_left(world.source_path)[1] == OLD - 12
    dispositions.execute(world.factory, run_id, executor_name="t", keys_dir=tmp_path, batch_size=6)
    assert rows_left(world.source_path) == (GRADUATES - OLD, 0)
    with world.factory() as session:
        archived = dispositions.archived(session, run_id)
        assert len(archived) == len({h for h, _ in archived}) == OLD
        assert {row["xh"] for _, row in archived} == {f"S{n:05d}" for n in range(OLD)}
        manifest = session.scalars(
            select(ManifestEntry.key_hash).where(ManifestEntry.run_id == run_id)
        ).all()
        assert sorted(h for h, _ in archived) == sorted(manifest)
        stored = (
            session.execute(
                select(ArchiveChunk.__table__.c.payload).where(ArchiveChunk.run_id == run_id)
            )
            .scalars()
            .all()
        )
        assert stored and not any("学生" in s or "S000" in s for s in stored)  # sealed at rest


def test_approvals_and_holds(world: World, tmp_path: Path) -> None:
    set_rule(world)
    with world.factory.begin() as session:
        run = dispositions.plan(session, world.datasets["xs_biye"], scope="/", by="pio1")
        run_id = run.id
        with pytest.raises(EduguardError) as twice:
            dispositions.plan(session, world.datasets["xs_biye"], scope="/", by="pio1")
        assert twice.value.code == "retention_run_open"
        dispositions.submit(session, run_id, dispositions.person_of(session, "pio1"), scope="/")
    with world.factory.begin() as session:  # the requester approves nothing
        planner = dispositions.person_of(session, "pio1")
        with pytest.raises(EduguardError):
            dispositions.decide(session, run_id, planner, "approve", "自批", scope="/")
    with world.factory.begin() as session:
        owner = dispositions.person_of(session, "owner1")
        dispositions.decide(session, run_id, owner, "approve", "同意", scope="/")
    # Not approved by both yet: execution refused.
    with pytest.raises(EduguardError) as early:
        dispositions.execute(world.factory, run_id, executor_name="t", keys_dir=tmp_path)
    assert early.value.code == "retention_run_not_approved"
    world.login("sec1")
    hold = world.client.post(
        f"/api/v1/retention/datasets/{world.datasets['xs_biye']}/holds",
        json={"kind": "litigation", "reason": "诉讼证据保全"},
    )
    assert hold.status_code == 201
    with world.factory.begin() as session:
        security = dispositions.person_of(session, "sec1")
        with pytest.raises(OnHold):
            dispositions.decide(session, run_id, security, "approve", "同意", scope="/")
    with world.factory() as session:
        assert session.get_one(DispositionRun, run_id).status == RunStatus.approval
    assert rows_left(world.source_path)[0] == GRADUATES
