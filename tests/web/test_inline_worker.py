"""The web server runs queued scans itself when no separate worker is configured, and the
console says so when work is queued and no worker is alive."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from eduguard.catalog import workers
from eduguard.catalog.models import ScanRun, WorkerHeartbeat
from eduguard.config import Settings
from eduguard.db.base import utcnow
from eduguard.identity.models import Role
from eduguard.web.app import create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _settings(db_url: str, tmp_path: Path, worker: str) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=db_url,
        secret_key=secrets.token_urlsafe(48),
        max_upload_bytes=64 * 1024,
        worker=worker,  # type: ignore[arg-type]
    )


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return _settings(db_url, tmp_path, "inline")


def test_auto_means_inline_for_the_demo_and_the_embedded_database(tmp_path: Path) -> None:
    assert Settings(home=tmp_path, demo=True, database_url="postgresql://x/y").inline_worker
    assert Settings(home=tmp_path, database_url=None).inline_worker
    assert not Settings(home=tmp_path, database_url="postgresql://x/y").inline_worker
    assert not Settings(home=tmp_path, demo=True, worker="external").inline_worker
    assert Settings(home=tmp_path, database_url="sqlite:///x.db", worker="inline").inline_worker


def _system(client: TestClient, accounts: Any) -> tuple[int, str]:
    unit = client.post("/api/v1/units", json={"name": "丁县一小", "kind": "school"}).json()
    system = client.post("/api/v1/systems", json={"name": "学籍", "unit_id": unit["id"]}).json()
    accounts.create("owner", {Role.data_owner}, unit_id=unit["id"])
    return system["id"], accounts.login(client, "owner")


def _upload(client: TestClient, system_id: int, token: str) -> None:
    names = [
        "王子涵",
        "李欣怡",
        "张梓轩",
        "刘浩宇",
        "陈雨桐",
        "杨一诺",
        "黄思远",
        "赵佳琪",
        "吴俊杰",
        "周梦瑶",
    ]
    rows = ["学号,姓名,联系电话"] + [f"S{n:03d},{m},139{n:08d}" for n, m in enumerate(names * 2)]
    sent = client.post(
        f"/catalog/systems/{system_id}/sources/upload",
        data={"csrf_token": token},
        files={"file": ("名单.csv", "\n".join(rows).encode("gbk"), "text/csv")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text


def test_the_web_server_scans_a_queued_run_itself(admin_client: TestClient, accounts: Any) -> None:
    client = admin_client
    assert client.app.state.worker.thread.is_alive()  # type: ignore[attr-defined]
    system_id, token = _system(client, accounts)
    _upload(client, system_id, token)
    queued = client.post(f"/catalog/systems/{system_id}/scan", data={"csrf_token": token})
    assert queued.status_code == 200
    run_id = client.get("/api/v1/catalog/runs").json()[0]["id"]
    deadline = time.monotonic() + 30
    status = "queued"
    while time.monotonic() < deadline and status in ("queued", "running"):
        time.sleep(0.3)
        status = client.get(f"/api/v1/catalog/runs/{run_id}").json()["status"]
    assert status == "succeeded"
    fields = client.get("/api/v1/catalog/fields", params={"system_id": system_id}).json()
    assert {f["name"] for f in fields} >= {"姓名", "联系电话"}
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        beats = session.scalars(select(WorkerHeartbeat)).all()
        assert [b.kind for b in beats] == ["inline"]
    assert "worker-banner" not in client.get(f"/catalog/systems/{system_id}").text


def test_the_console_warns_when_work_is_queued_and_no_worker_is_alive(
    db_url: str, tmp_path: Path
) -> None:
    from tests.conftest import Accounts

    app = create_app(_settings(db_url, tmp_path, "external"))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert getattr(app.state, "worker", None) is None
        accounts = Accounts(app.state.session_factory)
        accounts.create("sysadmin", {Role.system_admin})
        accounts.login(client, "sysadmin")
        system_id, token = _system(client, accounts)
        _upload(client, system_id, token)
        page = client.get(f"/catalog/systems/{system_id}")
        assert "worker-banner" not in page.text  # nothing queued
        client.post(f"/catalog/systems/{system_id}/scan", data={"csrf_token": token})
        factory = app.state.session_factory
        with factory() as session, session.begin():
            session.execute(update(ScanRun).values(requested_at=utcnow() - timedelta(minutes=1)))
        page = client.get("/catalog")
        assert "worker-banner" in page.text and "eduguard worker" in page.text
        # A worker that was seen a moment ago (its heartbeat) silences the banner.
        with factory() as session, session.begin():
            workers.beat(session, "elsewhere:1:external", "external")
        assert "worker-banner" not in client.get("/catalog").text
        # ... until it has been silent too long.
        with factory() as session, session.begin():
            session.execute(
                update(WorkerHeartbeat).values(
                    seen_at=utcnow() - timedelta(seconds=workers.SILENT_SECONDS + 5)
                )
            )
        assert "worker-banner" in client.get("/").text
    app.state.engine.dispose()
