"""Bulk confirm takes only the rows the reviewer filtered to, says how many first, and leaves
sensitive fields alone unless they are explicitly included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from eduguard.catalog import jobs
from eduguard.catalog.models import Dataset, Field, ReviewStatus
from eduguard.identity.models import Role

from .conftest import students


def _scan(client: TestClient, system_id: int, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    rows = ["xh,xm,lxdh,jkzk"] + [f"{s[0]},{s[1]},{s[3]},良好" for s in students(30)]
    path.write_text("\n".join(rows), encoding="utf-8")
    made = client.post(
        f"/api/v1/systems/{system_id}/sources", json={"name": name, "location": str(path)}
    )
    assert made.status_code == 201, made.text
    assert client.post(f"/api/v1/systems/{system_id}/scans", json={}).status_code == 202


def _world(client: TestClient, accounts: Any, tmp_path: Path) -> tuple[int, int, Any]:
    unit = client.post("/api/v1/units", json={"name": "庚县教育局", "kind": "county"}).json()
    one = client.post("/api/v1/systems", json={"name": "甲系统", "unit_id": unit["id"]}).json()
    two = client.post("/api/v1/systems", json={"name": "乙系统", "unit_id": unit["id"]}).json()
    _scan(client, one["id"], tmp_path, "one.csv")
    _scan(client, two["id"], tmp_path, "two.csv")
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    assert jobs.work(factory, once=True, progress_seconds=0.0) == 2
    # Make every proposal confident and the health column (jkzk) sensitive, in both systems.
    with factory() as session, session.begin():
        session.execute(update(Field).values(confidence=0.95))
        session.execute(update(Field).where(Field.name == "jkzk").values(sensitive=True))
    accounts.create("reviewer", {Role.data_owner}, unit_id=unit["id"])
    accounts.login(client, "reviewer")
    return one["id"], two["id"], factory


def _statuses(factory: Any) -> dict[tuple[int, str], ReviewStatus]:
    with factory() as session:
        rows = session.execute(
            select(Dataset.system_id, Field.name, Field.review_status).join(Dataset)
        )
        return {(system, name): status for system, name, status in rows}


def test_bulk_confirm_stays_in_the_filtered_system(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    client = admin_client
    one, two, factory = _world(client, accounts, tmp_path)
    token = client.headers["X-CSRF-Token"]
    preview = client.get("/catalog/bulk-accept", params={"system_id": one, "min_confidence": "0.9"})
    assert preview.status_code == 200
    assert "将确认 3 个字段" in preview.text  # xh, xm, lxdh of 甲系统; not jkzk, not 乙系统
    assert 'id="bulk-sensitive"' in preview.text and "jkzk" in preview.text
    done = client.post(
        "/catalog/bulk-accept",
        data={"csrf_token": token, "system_id": str(one), "min_confidence": "0.9"},
    )
    assert done.status_code == 200 and f"system_id={one}" in str(done.url)
    assert "已批量确认 3 个字段的分类分级" in done.text
    statuses = _statuses(factory)
    assert {n for (s, n), st in statuses.items() if st == ReviewStatus.confirmed} == {
        "xh",
        "xm",
        "lxdh",
    }
    assert all(
        st == ReviewStatus.confirmed
        for (s, _n), st in statuses.items()
        if s == one and _n != "jkzk"
    )
    assert statuses[(one, "jkzk")] == ReviewStatus.proposed  # sensitive: left for review
    assert all(st == ReviewStatus.proposed for (s, _n), st in statuses.items() if s == two)
    # Explicitly included, the sensitive field of 甲系统 is confirmed — still not 乙系统's.
    included = client.post(
        "/catalog/bulk-accept",
        data={"csrf_token": token, "system_id": str(one), "include_sensitive": "true"},
    )
    assert "已批量确认 1 个字段" in included.text
    statuses = _statuses(factory)
    assert statuses[(one, "jkzk")] == ReviewStatus.confirmed
    assert all(st == ReviewStatus.proposed for (s, _n), st in statuses.items() if s == two)


def test_bulk_confirm_follows_the_name_filter_and_refuses_a_bad_threshold(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    client = admin_client
    one, two, factory = _world(client, accounts, tmp_path)
    token = client.headers["X-CSRF-Token"]
    done = client.post("/catalog/bulk-accept", data={"csrf_token": token, "q": "lxdh"})
    assert "已批量确认 2 个字段" in done.text  # lxdh in both systems, nothing else
    confirmed = {k for k, st in _statuses(factory).items() if st == ReviewStatus.confirmed}
    assert confirmed == {(one, "lxdh"), (two, "lxdh")}
    bad = client.post("/catalog/bulk-accept", data={"csrf_token": token, "min_confidence": "0.1"})
    assert bad.status_code == 422 and "置信度阈值" in bad.text
    page = client.get("/catalog", params={"system_id": one})
    assert 'formaction="/catalog/bulk-accept"' in page.text


def test_a_system_leads_to_its_sources_catalog_findings_and_facts(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    client = admin_client
    one, _two, factory = _world(client, accounts, tmp_path)
    listing = client.get("/systems")
    assert listing.status_code == 200
    for href in (
        f"/catalog/systems/{one}",
        f"/catalog?system_id={one}",
        f"/compliance/systems/{one}",
    ):
        assert f'href="{href}"' in listing.text
        assert client.get(href).status_code == 200
    page = client.get(f"/catalog/systems/{one}")
    assert f'href="/catalog?system_id={one}&amp;personal_only=true"' in page.text
    assert f'href="/catalog?system_id={one}&amp;review_status=proposed"' in page.text
    assert f'href="/compliance/systems/{one}"' in page.text
    assert 'id="system-alerts"' not in page.text  # no finding yet
    # A rescan finds a new resident-ID column: an alert, shown on the system's page.
    rows = ["xh,xm,lxdh,jkzk,sfzjh"] + [f"{s[0]},{s[1]},{s[3]},良好,{s[2]}" for s in students(30)]
    (tmp_path / "one.csv").write_text("\n".join(rows), encoding="utf-8")
    accounts.login(client, "sysadmin")
    assert client.post(f"/api/v1/systems/{one}/scans", json={}).status_code == 202
    assert jobs.work(factory, once=True, progress_seconds=0.0) == 1
    accounts.login(client, "reviewer")
    page = client.get(f"/catalog/systems/{one}")
    with factory() as session:
        from eduguard.catalog.models import CatalogAlert

        mine = session.scalars(select(CatalogAlert).where(CatalogAlert.system_id == one)).all()
    assert mine and 'id="system-alerts"' in page.text
    for alert in mine:
        assert alert.message in page.text
