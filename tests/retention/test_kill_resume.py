"""A real ``eduguard retention execute`` process killed with SIGKILL mid-run, then resumed:
every selected row is archived exactly once (the archive store and the manifest hold each key
hash once, the source holds none of them), and the audit chain still verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eduguard.audit import verify as audit_verify
from eduguard.config import Settings
from eduguard.retention import dispositions
from eduguard.retention.models import (
    DispositionRun,
    ManifestBatch,
    ManifestEntry,
    RunStatus,
)

from .conftest import GRADUATES, OLD, World, approved_run, rows_left, set_rule


def _cli(settings: Settings, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EDUGUARD_HOME": str(settings.home),
        "EDUGUARD_DATABASE_URL": settings.effective_database_url,
        "EDUGUARD_SECRET_KEY": settings.secret_key.get_secret_value(),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "eduguard", "retention", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _processed(world: World, run_id: int) -> int:
    with world.factory() as session:
        return session.get_one(DispositionRun, run_id).processed


# Two real processes (~3 s of imports each): run on the SQLite platform database only; the
# same resume path runs on PostgreSQL in-process in test_dispositions.py (crash hooks).
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sigkill_mid_run_then_resume_archives_every_row_once(
    world: World, settings: Settings
) -> None:
    set_rule(world, disposition="archive")
    run_id = approved_run(world)
    child = _cli(settings, "execute", str(run_id), "--batch-size", "3", "--pause", "0.25")
    deadline = time.monotonic() + 90
    while _processed(world, run_id) < 9 and time.monotonic() < deadline:
        assert child.poll() is None, child.stdout.read() if child.stdout else ""
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    if child.stdout:
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    killed_at = _processed(world, run_id)
    assert 9 <= killed_at < OLD
    with world.factory() as session:
        assert session.get_one(DispositionRun, run_id).status == RunStatus.running

    resumed = _cli(settings, "execute", str(run_id), "--batch-size", "5")
    output = resumed.communicate(timeout=120)[0].decode()
    assert resumed.returncode == 0, output
    assert "已完成" in output, output
    assert rows_left(world.source_path) == (GRADUATES - OLD, 0)
    with world.factory() as session:
        run = session.get_one(DispositionRun, run_id)
        assert (run.status, run.processed, run.remaining_after) == (RunStatus.completed, OLD, 0)
        manifest = session.scalars(
            select(ManifestEntry.key_hash).where(ManifestEntry.run_id == run_id)
        ).all()
        archived = [h for h, _ in dispositions.archived(session, run_id)]
        assert len(manifest) == len(set(manifest)) == OLD
        assert sorted(archived) == sorted(manifest)
        batches = session.execute(
            select(ManifestBatch.state, func.sum(ManifestBatch.rows))
            .where(ManifestBatch.run_id == run_id)
            .group_by(ManifestBatch.state)
        ).all()
        assert [(str(state), int(rows)) for state, rows in batches] == [("done", OLD)]
        checked = audit_verify.verify(session.connection(), keys_dir=settings.keys_dir, fast=False)
        assert checked.ok, checked.problem
