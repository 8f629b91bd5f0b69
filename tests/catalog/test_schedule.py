"""Scheduled scans and runs left behind by a dead worker: the worker's housekeeping queues a
source's scan when it is due (once), and fails a run whose heartbeat went quiet."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit.models import AuditEvent
from eduguard.catalog import flows, jobs, service
from eduguard.catalog.models import DataSource, RunStatus, ScanRun
from eduguard.catalog.schemas import SourceCreate, SourceUpdate
from eduguard.config import Settings
from eduguard.db.base import utcnow

from .conftest import World, make_school_db


def _source(
    factory: sessionmaker[Session], world: World, settings: Settings, tmp_path: Path, **extra: Any
) -> int:
    database = make_school_db(tmp_path / "school.db")
    with factory() as session, session.begin():
        source = flows.add_source(
            session,
            world.system,
            SourceCreate(name="学籍库", location=f"sqlite:///{database}", **extra),
            scope="/",
            policy=service.LocationPolicy((tmp_path,), settings.home),
        )
        return source.id


def _runs(factory: sessionmaker[Session], source_id: int) -> list[ScanRun]:
    with factory() as session:
        query = select(ScanRun).where(ScanRun.source_id == source_id).order_by(ScanRun.id)
        return list(session.scalars(query).all())


def _age_runs(factory: sessionmaker[Session], days: float) -> None:
    with factory() as session, session.begin():
        moment = utcnow() - timedelta(days=days)
        session.execute(update(ScanRun).values(requested_at=moment))


def test_a_scheduled_source_is_scanned_when_due_and_only_then(
    audited_factory: sessionmaker[Session],
    run_worker: Callable[[], int],
    world: World,
    settings: Settings,
    tmp_path: Path,
) -> None:
    source_id = _source(audited_factory, world, settings, tmp_path, scan_every_days=7)
    assert run_worker() == 1  # never scanned: due at once
    [first] = _runs(audited_factory, source_id)
    assert (first.status, first.requested_by) == (RunStatus.succeeded, "schedule")
    assert run_worker() == 0  # scanned just now: not due
    _age_runs(audited_factory, 6)
    assert run_worker() == 0  # six days ago: not yet
    _age_runs(audited_factory, 8)
    assert run_worker() == 1  # eight days ago: due again
    assert [r.status for r in _runs(audited_factory, source_id)] == [RunStatus.succeeded] * 2
    # Housekeeping twice in a row queues one run, not two (a queued run counts as busy).
    _age_runs(audited_factory, 8)
    assert jobs.housekeeping(audited_factory) == (0, 1)
    assert jobs.housekeeping(audited_factory) == (0, 0)
    # Switched off (0), it is scanned on demand only.
    with audited_factory() as session, session.begin():
        source = session.get(DataSource, source_id)
        assert source is not None
        service.update_source(
            session, source, SourceUpdate(scan_every_days=0), service.LocationPolicy()
        )
    assert run_worker() == 1  # the run queued above
    _age_runs(audited_factory, 30)
    assert run_worker() == 0
    with audited_factory() as session:  # the worker's queueing is in the audit log
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.username == "worker")
        ).all()
    assert actions.count("catalog.scan.scheduled") == 3


def test_a_run_whose_worker_died_is_failed_and_can_run_again(
    audited_factory: sessionmaker[Session],
    run_worker: Callable[[], int],
    world: World,
    settings: Settings,
    tmp_path: Path,
) -> None:
    source_id = _source(audited_factory, world, settings, tmp_path)
    with audited_factory() as session, session.begin():
        flows.request_scan(session, world.system, scope="/", requested_by="test")
        flows.request_scan(session, world.system, scope="/", requested_by="test")
    with audited_factory() as session, session.begin():  # two workers took them …
        dead = service.claim_next(session)
        alive = service.claim_next(session)
        assert dead is not None and alive is not None
        dead_id, alive_id = dead.id, alive.id
        dead.heartbeat_at = utcnow() - timedelta(minutes=45)  # … one stopped long ago
        alive.heartbeat_at = utcnow() - timedelta(minutes=2)
    assert jobs.housekeeping(audited_factory, stale_minutes=30) == (1, 0)
    with audited_factory() as session:
        lost = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "catalog.scan.worker_lost")
        ).all()
        assert [(e.object_id, e.result) for e in lost] == [(str(dead_id), "failed")]
    with audited_factory() as session:
        dead_run = session.get(ScanRun, dead_id)
        alive_run = session.get(ScanRun, alive_id)
        assert dead_run is not None and alive_run is not None
        assert dead_run.status == RunStatus.failed and dead_run.error_code == "worker_lost"
        assert "中断" in (dead_run.error_message or "")
        assert alive_run.status == RunStatus.running
    # The source can be scanned again, and a run's progress keeps its heartbeat fresh.
    with audited_factory() as session, session.begin():
        flows.request_scan(session, world.system, scope="/", requested_by="test")
        session.execute(update(ScanRun).where(ScanRun.id == alive_id).values(status="succeeded"))
    assert run_worker() == 1
    last = _runs(audited_factory, source_id)[-1]
    assert last.status == RunStatus.succeeded and last.heartbeat_at is not None
    assert last.started_at is not None and last.heartbeat_at >= last.started_at


def test_the_schedule_through_the_api(
    app_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    from eduguard.identity.models import Role

    accounts.create("sysadmin", {Role.system_admin})
    accounts.login(app_client, "sysadmin")
    unit = app_client.post("/api/v1/units", json={"name": "庚县一小", "kind": "school"}).json()
    system = app_client.post("/api/v1/systems", json={"name": "学籍", "unit_id": unit["id"]})
    database = make_school_db(tmp_path / "s.db")
    made = app_client.post(
        f"/api/v1/systems/{system.json()['id']}/sources",
        json={"name": "库", "location": f"sqlite:///{database}", "scan_every_days": 14},
    )
    assert made.status_code == 201, made.text
    assert made.json()["scan_every_days"] == 14
    url = f"/api/v1/catalog/sources/{made.json()['id']}"
    assert app_client.patch(url, json={"scan_every_days": 400}).status_code == 422
    assert app_client.patch(url, json={"scan_every_days": 0}).json()["scan_every_days"] is None
