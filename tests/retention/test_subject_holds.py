"""Holds on one subject (issue #20 part 2, "on a dataset or on subjects"): the hold names the
subject's column and value; only a keyed hash of the value is stored (never the value, not in
the response, the audit log or the plan's query). A disposition leaves that subject's rows
out while the dataset's other rows proceed — also a subject held after the approval — and the
certificate says how many rows were kept. On SQLite sources (platform on SQLite and
PostgreSQL) and on a PostgreSQL source."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from eduguard.audit.models import AuditEvent
from eduguard.config import Settings
from eduguard.retention import certificate, dispositions, service
from eduguard.retention.models import DispositionRun, RetentionHold, RunStatus

from .conftest import GRADUATES, OLD, TABLES, World, apply_catalog, set_rule
from .test_sources import ServerSource, server_source  # noqa: F401 - the fixture

HELD = "S00003"  # an old graduate: selected by the rule, kept by the hold
LATER = "S00005"  # held after the approval, before the execution


def _hold(world: World, dataset: int, value: str, **extra: Any) -> Any:
    return world.client.post(
        f"/api/v1/retention/datasets/{dataset}/holds",
        json={"kind": "litigation", "reason": "学生家长诉讼，保留该生记录", **extra}
        | {"subject_column": "xh", "subject_key": value},
    )


def _approve(world: World, run_id: int) -> None:
    for approver in ("owner1", "sec1"):
        with world.factory.begin() as session:
            who = dispositions.person_of(session, approver)
            dispositions.decide(session, run_id, who, "approve", "同意处置", scope="/")


def _keys(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT xh FROM xs_biye")}


def test_a_subject_hold_keeps_that_subjects_rows_and_stores_no_value(
    world: World, tmp_path: Path
) -> None:
    set_rule(world)  # as owner1: 毕业后 3 年删除
    dataset = world.datasets["xs_biye"]
    placed = _hold(world, dataset, HELD, reference="（2026）示民初 12 号")
    assert placed.status_code == 201, placed.text
    assert placed.json()["subject_column"] == "xh" and HELD not in placed.text

    twice = _hold(world, dataset, HELD)
    bad_column = world.client.post(
        f"/api/v1/retention/datasets/{dataset}/holds",
        json={"kind": "audit", "reason": "审计抽查", "subject_column": "nope", "subject_key": "1"},
    )
    assert bad_column.status_code == 422 and "nope" in bad_column.text, bad_column.text
    half = world.client.post(
        f"/api/v1/retention/datasets/{dataset}/holds",
        json={"kind": "audit", "reason": "审计抽查", "subject_column": "xh"},
    )
    assert half.status_code == 422
    assert twice.status_code == 201  # the same subject may be held twice (two cases)

    with world.factory() as session:
        service.ensure_not_held(session, dataset)  # the dataset itself is not held
        holds = session.scalars(select(RetentionHold)).all()
        assert len(holds) == 2 and all(h.subject_hash and len(h.subject_hash) == 64 for h in holds)
        assert holds[0].subject_hash == holds[1].subject_hash  # same key: same keyed hash
        for table in ("retention_holds", "audit_events"):
            rows = session.execute(text(f"SELECT * FROM {table}")).all()
            assert HELD not in repr(rows)

    with world.factory.begin() as session:
        dispositions.register_write_credential(
            session, world.source, "", None, scope="/", by="owner1"
        )
        run = dispositions.plan(session, dataset, scope="/", by="pio1")
        assert (run.selected, run.held_rows) == (OLD - 1, 1)
        assert "主体保全" in run.selection_sql and HELD not in run.selection_sql
        run_id = run.id
        dispositions.submit(session, run_id, dispositions.person_of(session, "pio1"), scope="/")
    _approve(world, run_id)

    world.login("sec1")  # a second subject, held after the approval: left out too
    assert _hold(world, dataset, LATER).status_code == 201
    dispositions.execute(world.factory, run_id, executor_name="t", keys_dir=tmp_path)
    left = _keys(world.source_path)
    assert len(left) == GRADUATES - OLD + 2 and {HELD, LATER} <= left
    with world.factory() as session:
        done = session.get_one(DispositionRun, run_id)
        assert done.status == RunStatus.completed
        assert (done.processed, done.remaining_after, done.held_rows) == (OLD - 2, 0, 2)
        assert done.certificate is not None
        document = certificate.json.loads(done.certificate)
        assert document["counts"]["kept_by_subject_holds"] == 2
        assert certificate.verify(done.certificate.encode()) == []
        reasons = " ".join(e.reason or "" for e in session.scalars(select(AuditEvent)) if e.reason)
        assert "主体保全" in reasons and HELD not in reasons and LATER not in reasons

    # released: the subject's rows are ordinary expired rows again
    with world.factory() as session:
        ids = [h.id for h in session.scalars(select(RetentionHold))]
    for hold_id in ids:
        released = world.client.post(
            f"/api/v1/retention/holds/{hold_id}/release", json={"reason": "诉讼已审结"}
        )
        assert released.status_code == 200, released.text
    with world.factory.begin() as session:
        again = dispositions.plan(session, dataset, scope="/", by="pio1")
        assert (again.selected, again.held_rows) == (2, 0)


def test_the_console_form_places_a_subject_hold(world: World) -> None:
    set_rule(world)
    token = world.client.headers["X-CSRF-Token"]
    dataset = world.datasets["xs_biye"]
    posted = world.client.post(
        f"/retention/datasets/{dataset}/holds",
        data={
            "csrf_token": token,
            "kind": "complaint",
            "reason": "家长投诉",
            "subject_column": "xh",
            "subject_key": HELD,
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    shown = world.client.get(f"/retention/datasets/{dataset}")
    assert "主体保全" in shown.text and HELD not in shown.text
    half = world.client.post(
        f"/retention/datasets/{dataset}/holds",
        data={"csrf_token": token, "kind": "complaint", "reason": "家长投诉", "subject_key": HELD},
        follow_redirects=False,
    )
    assert half.status_code == 422 and "主体" in half.text, half.text[-1500:]
    with world.factory() as session:
        assert len(session.scalars(select(RetentionHold)).all()) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("server_source", ["postgresql"], indirect=True)
def test_a_subject_hold_on_a_postgresql_source(
    world: World,
    server_source: ServerSource,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    system = world.client.post(
        "/api/v1/systems", json={"name": "一中教务系统", "unit_id": world.school}
    ).json()["id"]
    table = {**TABLES[0], "name": server_source.table}
    source_id = apply_catalog(world.client, system, server_source.location, (tmp_path,), [table])
    found = world.client.get("/api/v1/catalog/datasets", params={"system_id": system}).json()
    world.datasets = {"xs_biye": next(d["id"] for d in found if d["name"] == server_source.table)}
    set_rule(world, disposition="anonymise")
    assert _hold(world, world.datasets["xs_biye"], HELD).status_code == 201
    with world.factory.begin() as session:
        dispositions.register_write_credential(session, source_id, "", None, scope="/", by="owner1")
        run = dispositions.plan(session, world.datasets["xs_biye"], scope="/", by="pio1")
        assert (run.selected, run.held_rows) == (OLD - 1, 1)
        run_id = run.id
        dispositions.submit(session, run_id, dispositions.person_of(session, "pio1"), scope="/")
    _approve(world, run_id)
    dispositions.execute(world.factory, run_id, executor_name="t", keys_dir=tmp_path, batch_size=7)
    with server_source.engine.connect() as connection:
        named = connection.execute(
            text(f"SELECT xh FROM {server_source.table} WHERE xh < :last AND xm IS NOT NULL"),
            {"last": f"S{OLD:05d}"},
        ).all()
    assert [row[0] for row in named] == [HELD]  # every other old graduate anonymised
    with world.factory() as session:
        done = session.get_one(DispositionRun, run_id)
        assert (done.processed, done.remaining_after, done.held_rows) == (OLD - 1, 0, 1)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_cli_reads_the_subject_from_stdin(world: World, settings: Settings) -> None:
    """``hold place --subject-column xh`` takes the value on standard input (not in argv,
    where ``ps`` and the shell history would show it)."""
    env = {
        **os.environ,
        "EDUGUARD_HOME": str(settings.home),
        "EDUGUARD_DATABASE_URL": settings.effective_database_url,
        "EDUGUARD_SECRET_KEY": settings.secret_key.get_secret_value(),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
    }
    args = ["retention", "hold", "place", str(world.datasets["xs_biye"]), "--kind", "audit"]
    done = subprocess.run(
        [sys.executable, "-m", "eduguard", *args, "--reason", "审计抽查", "--subject-column", "xh"],
        input=f"{HELD}\n".encode(),
        env=env,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    with world.factory() as session:
        [hold] = session.scalars(select(RetentionHold)).all()
        key = service.subject_key(session)
        assert hold.subject_column == "xh"
        assert hold.subject_hash == service.subject_hash(key, hold.dataset_id, HELD)
