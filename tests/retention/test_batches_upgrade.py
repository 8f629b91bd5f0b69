"""Migration 0028 under a run killed mid-way: downgraded to 0027 the manifest carries a state
per row again; upgraded, each batch is one row (its state and row count) and the resumed run
still reconciles its pending batch and does every row exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text

from eduguard.db import migrate
from eduguard.retention import dispositions
from eduguard.retention.models import (
    ArchivedRow,
    DispositionRun,
    ManifestBatch,
    ManifestEntry,
    RunStatus,
)

from .conftest import GRADUATES, OLD, World, approved_run, rows_left, set_rule


class Crash(Exception):
    pass


def test_a_run_killed_before_the_upgrade_resumes_after_it(world: World, tmp_path: Path) -> None:
    set_rule(world)
    run_id = approved_run(world)

    def crash(phase: str, batch: int) -> None:
        if (phase, batch) == ("source", 2):  # batch 2 committed at the source, not marked
            raise Crash

    with pytest.raises(Crash):
        dispositions.execute(
            world.factory,
            run_id,
            executor_name="t",
            keys_dir=tmp_path / "k",
            batch_size=7,
            hook=crash,
        )
    engine = world.factory.kw["bind"]
    command.downgrade(migrate.alembic_config(engine), "0027")
    with engine.connect() as connection:
        states = connection.execute(
            text(
                "SELECT batch, state, count(*) FROM retention_manifest WHERE run_id = :r"
                " GROUP BY batch, state ORDER BY batch"
            ),
            {"r": run_id},
        ).all()
    assert [tuple(row) for row in states] == [(1, "done", 7), (2, "pending", 7)]
    migrate.upgrade(engine)
    with world.factory() as session:
        batches = session.execute(
            select(ManifestBatch.batch, ManifestBatch.state, ManifestBatch.rows)
            .where(ManifestBatch.run_id == run_id)
            .order_by(ManifestBatch.batch)
        ).all()
        assert [(b, str(s), n) for b, s, n in batches] == [(1, "done", 7), (2, "pending", 7)]
    dispositions.execute(world.factory, run_id, executor_name="t", keys_dir=tmp_path / "k")
    assert rows_left(world.source_path) == (GRADUATES - OLD, 0)
    with world.factory() as session:
        run = session.get_one(DispositionRun, run_id)
        assert (run.status, run.processed) == (RunStatus.completed, OLD)
        hashes = session.scalars(
            select(ManifestEntry.key_hash).where(ManifestEntry.run_id == run_id)
        ).all()
        assert len(hashes) == len(set(hashes)) == OLD
        done = session.scalar(
            select(func.sum(ManifestBatch.rows)).where(
                ManifestBatch.run_id == run_id, ManifestBatch.state == "done"
            )
        )
        assert done == OLD


def test_rows_archived_before_chunks_are_still_read(world: World, tmp_path: Path) -> None:
    """Rows an archive run wrote one by one (before 0028) come back with the chunks."""
    set_rule(world, disposition="archive")
    run_id = approved_run(world)
    dispositions.execute(
        world.factory, run_id, executor_name="t", keys_dir=tmp_path / "k", batch_size=9
    )
    with world.factory() as session:
        session.add(ArchivedRow(run_id=run_id, key_hash="0" * 64, payload='{"xh": "S-OLD"}'))
        session.commit()
    with world.factory() as session:
        rows = dispositions.archived(session, run_id)
        assert rows[0] == ("0" * 64, {"xh": "S-OLD"}) and len(rows) == OLD + 1
        stored = session.scalar(select(ArchivedRow.__table__.c.payload))
        assert stored is not None and "S-OLD" not in stored  # the legacy row is sealed too
        read = dispositions.read_archive(session, run_id, scope="/", reason="审计抽查归档", by="t")
        assert len(read) == OLD + 1 and read[0] == {"xh": "S-OLD"}
