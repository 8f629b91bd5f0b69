"""File and SQLite sources may only point inside EDUGUARD_SCAN_ROOTS, never at eduguard's home."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from eduguard.catalog import flows, jobs
from eduguard.config import Settings


def system_id(client: TestClient) -> int:
    unit = client.post("/api/v1/units", json={"name": "甲县一中", "kind": "school"}).json()
    system = client.post("/api/v1/systems", json={"name": "学籍", "unit_id": unit["id"]}).json()
    return int(system["id"])


def test_sources_outside_the_roots_are_refused(
    admin_client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    url = f"/api/v1/systems/{system_id(admin_client)}/sources"
    outside = admin_client.post(url, json={"name": "passwd", "location": "/etc"})
    assert outside.status_code == 422
    assert outside.json()["error"]["code"] == "source_outside_roots"
    own_db = admin_client.post(
        url, json={"name": "自身", "location": f"sqlite:///{settings.home / 'eduguard.db'}"}
    )
    assert own_db.status_code == 422
    assert own_db.json()["error"]["code"] == "source_forbidden"
    keys = admin_client.post(url, json={"name": "keys", "location": str(settings.home / "keys")})
    assert keys.json()["error"]["code"] == "source_forbidden"
    escape = admin_client.post(url, json={"name": "up", "location": str(tmp_path / ".." / "..")})
    assert escape.json()["error"]["code"] == "source_outside_roots"
    inside = tmp_path / "exports"
    inside.mkdir()
    ok = admin_client.post(url, json={"name": "导出", "location": str(inside)})
    assert ok.status_code == 201, ok.text
    assert [s["name"] for s in admin_client.get(url).json()] == ["导出"]


def test_symlinks_into_the_home_are_refused_at_registration_and_scan(
    admin_client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    keys = settings.home / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    (keys / "planted.csv").write_text("PLANTED-KEY-MATERIAL\n1\n")
    url = f"/api/v1/systems/{system_id(admin_client)}/sources"
    (tmp_path / "innocent").symlink_to(keys, target_is_directory=True)
    linked = admin_client.post(url, json={"name": "链接", "location": str(tmp_path / "innocent")})
    assert linked.status_code == 422
    assert linked.json()["error"]["code"] == "source_forbidden"
    # A folder that was fine when registered gains a link to the keys: refused at scan time.
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "ok.csv").write_text("xm\n张三\n")
    source = admin_client.post(url, json={"name": "导出", "location": str(exports)}).json()
    (exports / "keys").symlink_to(keys, target_is_directory=True)
    (exports / "key.csv").symlink_to(keys / "planted.csv")
    system = source["system_id"]
    (run,) = admin_client.post(f"/api/v1/systems/{system}/scans", json={}).json()
    state = admin_client.app.state  # type: ignore[attr-defined]
    jobs.work(
        state.session_factory, once=True, progress_seconds=0.0, policy=flows.source_policy(settings)
    )
    done = admin_client.get(f"/api/v1/catalog/runs/{run['id']}").json()
    assert done["status"] == "failed" and done["error_code"] == "path_outside_source"
    fields = admin_client.get("/api/v1/catalog/fields").json()
    assert "PLANTED" not in str(fields)
