"""Registered sources against hostile servers (built here, on 127.0.0.1), on both databases:
no local file ever sent, hosts checked at registration and at scan time, hung sources fail
within their timeouts, scans can be cancelled and archived sources are not scanned."""

from __future__ import annotations

import importlib.util
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit.models import AuditEvent
from eduguard.catalog import flows, jobs, service
from eduguard.catalog.models import DataSource, RunStatus, ScanRun, SourceKind
from eduguard.catalog.schemas import SourceCreate, SourceUpdate
from eduguard.config import Settings
from eduguard.errors import Conflict, ValidationFailed
from eduguard.identity.models import Role

from .conftest import World, make_school_db

ALL = "/"


def _fake_servers() -> ModuleType:
    """tests/scan/fake_servers.py (the test folders are not packages)."""
    path = Path(__file__).parents[1] / "scan" / "fake_servers.py"
    spec = importlib.util.spec_from_file_location("eduguard_test_fake_servers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fake = _fake_servers()


@pytest.fixture
def local_settings(settings: Settings) -> Settings:
    """This machine's loopback allowed (the platform's own database never is), short timeouts."""
    return settings.model_copy(
        update={"source_hosts": "127.0.0.1", "source_connect_seconds": 2, "source_read_seconds": 2}
    )


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, bytes]:
    secret = f"PLANTED-{secrets.token_hex(16)}".encode()
    path = tmp_path / "home" / "keys" / "master.key.copy"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(secret)
    return path, secret


@pytest.fixture
def fake_mysql(planted: tuple[Path, bytes]) -> Iterator[object]:
    server = fake.FakeMySQL(steal=planted[0])
    yield server
    server.close()


def _add(factory: sessionmaker[Session], settings: Settings, system: int, location: str) -> int:
    with factory() as session, session.begin():
        source = flows.add_source(
            session,
            system,
            SourceCreate(name="教务库", location=location),
            scope=ALL,
            policy=flows.location_policy(settings),
        )
        return source.id


def _plant(factory: sessionmaker[Session], system: int, location: str) -> int:
    """A source row as an older version stored it (no check at registration)."""
    with factory() as session, session.begin():
        source = DataSource(
            system_id=system, name="旧登记", kind=SourceKind.database, location=location
        )
        session.add(source)
        session.flush()
        return source.id


def _queue(factory: sessionmaker[Session], system: int, source_id: int) -> int:
    with factory() as session, session.begin():
        (run,) = flows.request_scan(
            session, system, scope=ALL, requested_by="tester", source_id=source_id
        )
        return run.id


def _work(factory: sessionmaker[Session], settings: Settings, **options: object) -> int:
    return jobs.work(
        factory,
        once=True,
        progress_seconds=0.0,
        policy=flows.source_policy(settings),
        run_minutes=settings.scan_run_minutes,
        **options,
    )


def _run(factory: sessionmaker[Session], run_id: int) -> ScanRun:
    with factory() as session:
        run = session.get(ScanRun, run_id)
        assert run is not None
        session.expunge(run)
        return run


def test_the_worker_never_sends_a_local_file_to_a_fake_mysql_server(
    audited_factory: sessionmaker[Session],
    world: World,
    local_settings: Settings,
    fake_mysql: object,
    planted: tuple[Path, bytes],
) -> None:
    _path, secret = planted
    port = fake_mysql.port  # type: ignore[attr-defined]
    # The reported attack, stored before this check existed: refused again at scan time.
    legacy = _plant(
        audited_factory, world.system, f"mysql+pymysql://u@127.0.0.1:{port}/db?local_infile=1"
    )
    first = _queue(audited_factory, world.system, legacy)
    # A plain URL, registered now: the server asks for the file; the driver never sends it.
    plain = _add(
        audited_factory,
        local_settings,
        world.system,
        f"mysql+pymysql://u:pw-1234@127.0.0.1:{port}/db",
    )
    second = _queue(audited_factory, world.system, plain)
    assert _work(audited_factory, local_settings) == 2
    refused, failed = _run(audited_factory, first), _run(audited_factory, second)
    assert refused.status == RunStatus.failed and refused.error_code == "source_option_refused"
    assert failed.status == RunStatus.failed and failed.error_message == "无法连接数据源"
    assert fake_mysql.client_flags  # type: ignore[attr-defined]
    assert not fake_mysql.client_flags[0] & fake.CLIENT_LOCAL_FILES  # type: ignore[attr-defined]
    assert secret not in bytes(fake_mysql.received)  # type: ignore[attr-defined]


def test_registration_refuses_file_options_and_hosts_outside_the_list(
    audited_factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    local = settings.model_copy(update={"source_hosts": "127.0.0.1,10.0.0.0/8"})
    refused = {
        "mysql+pymysql://u@10.0.0.9/db?local_infile=1": "source_option_refused",
        "postgresql://u@10.0.0.9/db?passfile=/root/.pgpass": "source_option_refused",
        "postgresql://u@10.0.0.9/db?sslrootcert=/etc/ssl/ca.pem": "source_option_refused",
        "mysql+pymysql://u@10.0.0.9/db?init_command=SET%20x%3D1": "source_option_refused",
        "postgresql://u@169.254.169.254/latest": "source_host_refused",
        "mysql+pymysql://u@192.168.3.4/db": "source_host_refused",
    }
    platform = settings.effective_database_url
    if platform.startswith("sqlite"):  # the platform's own database file (inside the roots)
        refused[platform] = "source_host_refused"
    else:
        refused["postgresql://postgres@127.0.0.1:5432/test"] = "source_host_refused"
    for location, code in refused.items():
        with pytest.raises(ValidationFailed) as caught:
            _add(audited_factory, local, world.system, location)
        assert caught.value.code == code, location
    with audited_factory() as session:
        assert session.scalars(select(DataSource)).all() == []  # nothing was added
    # An allowed source may not be changed into a refused one either.
    source_id = _add(audited_factory, local, world.system, "mysql+pymysql://u@10.0.0.9/db")
    with audited_factory() as session, session.begin():
        source = session.get(DataSource, source_id)
        assert source is not None
        change = SourceUpdate(location="mysql+pymysql://u@10.0.0.9/db?local_infile=1")
        with pytest.raises(ValidationFailed):
            service.update_source(session, source, change, flows.location_policy(local))


def test_the_api_refuses_a_local_infile_source(admin_client: TestClient, accounts: object) -> None:
    unit = admin_client.post("/api/v1/units", json={"name": "丁县一小", "kind": "school"}).json()
    system = admin_client.post("/api/v1/systems", json={"name": "教务系统", "unit_id": unit["id"]})
    response = admin_client.post(
        f"/api/v1/systems/{system.json()['id']}/sources",
        json={"name": "教务库", "location": "mysql+pymysql://u:pw-1234@10.0.0.9/db?local_infile=1"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "source_option_refused"
    assert "pw-1234" not in response.text


def test_a_host_allowed_at_registration_is_checked_again_at_scan_time(
    audited_factory: sessionmaker[Session], world: World, local_settings: Settings
) -> None:
    source_id = _add(audited_factory, local_settings, world.system, "postgresql://u@127.0.0.1:1/db")
    run_id = _queue(audited_factory, world.system, source_id)
    narrowed = local_settings.model_copy(update={"source_hosts": "10.0.0.0/8"})
    _work(audited_factory, narrowed)
    run = _run(audited_factory, run_id)
    assert run.status == RunStatus.failed and run.error_message == "无法连接数据源"


def test_hung_sources_fail_the_run_within_the_timeout(
    audited_factory: sessionmaker[Session], world: World, local_settings: Settings
) -> None:
    silent, stalled = fake.SilentPort(), fake.FakeMySQL(mode="silent")
    try:
        locations = [
            f"mysql+pymysql://u@127.0.0.1:{silent.port}/db",
            f"postgresql://u@127.0.0.1:{silent.port}/db",
            f"mysql+pymysql://u@127.0.0.1:{stalled.port}/db",
            "mysql+pymysql://u@127.0.0.1:6379/db",  # redis
        ]
        runs = [
            _queue(
                audited_factory,
                world.system,
                _add(audited_factory, local_settings, world.system, loc),
            )
            for loc in locations
        ]
        started = time.monotonic()
        assert _work(audited_factory, local_settings) == len(runs)
        assert time.monotonic() - started < 10 * len(runs)
    finally:
        silent.close()
        stalled.close()
    for run_id in runs:
        run = _run(audited_factory, run_id)
        assert run.status == RunStatus.failed, run_id
        assert run.error_message == "无法连接数据源", (run_id, run.error_message)


def test_cancelling_a_queued_or_running_scan(
    audited_factory: sessionmaker[Session], world: World, settings: Settings, tmp_path: Path
) -> None:
    db = make_school_db(tmp_path / "school.db")
    source_id = _add(audited_factory, settings, world.system, f"sqlite:///{db}")
    queued = _queue(audited_factory, world.system, source_id)
    with audited_factory() as session, session.begin():
        flows.cancel_run(session, queued, scope=ALL, cancelled_by="tester")
    assert _work(audited_factory, settings) == 0  # skipped
    assert _run(audited_factory, queued).status == RunStatus.cancelled
    with audited_factory() as session, session.begin(), pytest.raises(Conflict):
        flows.cancel_run(session, queued, scope=ALL, cancelled_by="tester")
    # A running one: the worker finds it cancelled at its next progress write and stops.
    running = _queue(audited_factory, world.system, source_id)
    with audited_factory() as session, session.begin():
        assert service.claim(session, running) is not None
        flows.cancel_run(session, running, scope=ALL, cancelled_by="tester")
    jobs.execute(
        audited_factory, running, progress_seconds=0.0, policy=flows.source_policy(settings)
    )
    run = _run(audited_factory, running)
    assert run.status == RunStatus.cancelled and run.version_id is None
    with audited_factory() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "catalog.scan.cancel")
        ).all()
        assert sorted(int(e.object_id or 0) for e in events) == [queued, running]


def test_a_run_past_its_deadline_is_stopped(
    audited_factory: sessionmaker[Session], world: World, settings: Settings, tmp_path: Path
) -> None:
    db = make_school_db(tmp_path / "school.db")
    source_id = _add(audited_factory, settings, world.system, f"sqlite:///{db}")
    run_id = _queue(audited_factory, world.system, source_id)
    with audited_factory() as session, session.begin():
        assert service.claim(session, run_id) is not None
    jobs.execute(audited_factory, run_id, progress_seconds=0.0, run_minutes=0)
    run = _run(audited_factory, run_id)
    assert run.status == RunStatus.failed and run.error_code == "scan_deadline"
    assert "超过时限" in (run.error_message or "")
    assert "EDUGUARD_" not in (run.error_message or "")  # no setting names shown to schools
    assert run.version_id is None


def test_archiving_a_source_cancels_its_queued_runs(
    audited_factory: sessionmaker[Session], world: World, settings: Settings, tmp_path: Path
) -> None:
    db = make_school_db(tmp_path / "school.db")
    source_id = _add(audited_factory, settings, world.system, f"sqlite:///{db}")
    run_id = _queue(audited_factory, world.system, source_id)
    with audited_factory() as session, session.begin():
        flows.archive_source(session, source_id, scope=ALL)
    assert _work(audited_factory, settings) == 0
    run = _run(audited_factory, run_id)
    assert run.status == RunStatus.cancelled and "归档" in (run.error_message or "")
    # A queued run of a source archived some other way is skipped all the same.
    other = _add(audited_factory, settings, world.system, f"sqlite:///{db}")
    second = _queue(audited_factory, world.system, other)
    with audited_factory() as session, session.begin():
        source = session.get(DataSource, other)
        assert source is not None
        source.archived = True
    assert _work(audited_factory, settings) == 0
    assert _run(audited_factory, second).status == RunStatus.queued


def test_cancel_through_the_api_needs_catalog_scan(
    admin_client: TestClient, accounts: object, tmp_path: Path
) -> None:
    unit = admin_client.post("/api/v1/units", json={"name": "戊县一小", "kind": "school"}).json()
    system = admin_client.post(
        "/api/v1/systems", json={"name": "学籍系统", "unit_id": unit["id"]}
    ).json()
    db = make_school_db(tmp_path / "school.db")
    admin_client.post(
        f"/api/v1/systems/{system['id']}/sources",
        json={"name": "学籍库", "location": f"sqlite:///{db}"},
    ).raise_for_status()
    (run,) = admin_client.post(f"/api/v1/systems/{system['id']}/scans", json={}).json()
    accounts.create("reader", {Role.data_user}, unit_id=unit["id"])  # type: ignore[attr-defined]
    response = admin_client.post(f"/api/v1/catalog/runs/{run['id']}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert admin_client.post(f"/api/v1/catalog/runs/{run['id']}/cancel").status_code == 409
    # The console: the runs table offers “取消” for an active run; the form cancels it.
    (second,) = admin_client.post(f"/api/v1/systems/{system['id']}/scans", json={}).json()
    page = admin_client.get(f"/catalog/systems/{system['id']}/runs").text
    assert f"/catalog/runs/{second['id']}/cancel" in page
    token = admin_client.headers["X-CSRF-Token"]
    response = admin_client.post(
        f"/catalog/runs/{second['id']}/cancel", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert admin_client.get(f"/api/v1/catalog/runs/{second['id']}").json()["status"] == "cancelled"
    assert "已取消" in admin_client.get(f"/catalog/systems/{system['id']}").text
    accounts.login(admin_client, "reader")  # type: ignore[attr-defined]
    assert admin_client.post(f"/api/v1/catalog/runs/{run['id']}/cancel").status_code == 403


def test_a_server_silent_after_startup_is_cut_at_the_deadline_or_on_cancel(
    audited_factory: sessionmaker[Session], world: World, local_settings: Settings
) -> None:
    """libpq waits for ever on a PostgreSQL server that completes its startup and then says
    nothing: the worker's watchdog shuts the socket at the run's deadline, or on cancel."""
    server = fake.FakePostgres()
    try:
        location = f"postgresql://u@127.0.0.1:{server.port}/db"
        source_id = _add(audited_factory, local_settings, world.system, location)
        policy = flows.source_policy(local_settings)
        run_id = _queue(audited_factory, world.system, source_id)
        with audited_factory() as session, session.begin():
            assert service.claim(session, run_id) is not None
        started = time.monotonic()
        jobs.execute(audited_factory, run_id, progress_seconds=0.0, policy=policy, run_minutes=0.05)
        assert time.monotonic() - started < 10
        run = _run(audited_factory, run_id)
        assert run.status == RunStatus.failed and run.error_code == "scan_deadline"
        # Cancelled while blocked in that read: stopped within a few seconds.
        second = _queue(audited_factory, world.system, source_id)
        with audited_factory() as session, session.begin():
            assert service.claim(session, second) is not None
        worker = threading.Thread(
            target=jobs.execute,
            args=(audited_factory, second),
            kwargs={"progress_seconds": 0.0, "policy": policy},
        )
        worker.start()
        time.sleep(1.0)
        with audited_factory() as session, session.begin():
            flows.cancel_run(session, second, scope=ALL, cancelled_by="tester")
        worker.join(timeout=15)
        assert not worker.is_alive()
        assert _run(audited_factory, second).status == RunStatus.cancelled
    finally:
        server.close()
