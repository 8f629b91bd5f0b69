"""Issue #13 item 9: every refused attempt is an audit event, written in a transaction of its
own (the request's rolls back): a cross-unit probe answered 404, a CSRF rejection, a
rate-limited login, and (bounded per client) an unauthenticated request to a protected route."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from eduguard.audit.models import AuditEvent
from eduguard.config import Settings
from eduguard.identity.models import Role
from eduguard.web.app import create_app
from eduguard.web.deps import UNAUTHENTICATED_EVENTS_PER_MINUTE


def _events(client: TestClient, action: str) -> list[AuditEvent]:
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(session.scalars(query))


def test_a_cross_unit_probe_is_recorded(admin_client: TestClient, accounts: Any) -> None:
    school_a = admin_client.post("/api/v1/units", json={"name": "甲中学", "kind": "school"}).json()
    school_b = admin_client.post("/api/v1/units", json={"name": "乙中学", "kind": "school"}).json()
    other = admin_client.post(
        "/api/v1/systems", json={"name": "乙校教务系统", "unit_id": school_b["id"]}
    ).json()
    accounts.create("owner-a", {Role.data_owner}, unit_id=school_a["id"])
    accounts.login(admin_client, "owner-a")
    probe = admin_client.get(f"/api/v1/systems/{other['id']}")
    assert probe.status_code == 404
    patch = admin_client.patch(f"/api/v1/systems/{other['id']}", json={"purpose": "x"})
    assert patch.status_code == 404
    probes = _events(admin_client, "access.not_found")
    assert [(e.username, e.object_id, e.result) for e in probes] == [
        ("owner-a", str(other["id"]), "denied")
    ] * 2
    assert probes[0].object_type == "system:read" and probes[1].object_type == "system:write"
    assert not _events(admin_client, "system.read")  # a failed read is no read


def test_csrf_rejections_are_recorded(admin_client: TestClient) -> None:
    admin_client.headers.pop("X-CSRF-Token")
    refused = admin_client.post("/api/v1/units", json={"name": "丙中学", "kind": "school"})
    assert refused.status_code == 403
    admin_client.cookies.clear()
    form = admin_client.post(
        "/login", data={"username": "someone", "password": "x", "login_csrf": "forged"}
    )
    assert form.status_code == 403
    rejected = _events(admin_client, "access.csrf_rejected")
    assert [(e.username, e.result) for e in rejected] == [("sysadmin", "denied"), ("-", "denied")]
    assert rejected[0].object_type == "unit:write"
    assert all(e.client_address == "testclient" for e in rejected)


def test_rate_limited_logins_are_recorded(settings: Settings, accounts: Any) -> None:
    app = create_app(settings.model_copy(update={"login_rate_per_minute": 2}))
    with TestClient(app, raise_server_exceptions=False) as client:
        body = {"username": "nobody", "password": "wrong"}
        statuses = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(3)]
        form = client.post("/login", data={"username": "nobody", "password": "wrong"})
        assert statuses == [401, 401, 429]
        assert form.status_code in (403, 429)
        limited = _events(client, "auth.rate_limited")
        assert len(limited) >= 1
        assert limited[0].username == "nobody" and limited[0].result == "denied"
        assert len(_events(client, "auth.login_failed")) == 2
    app.state.engine.dispose()


def test_unauthenticated_requests_are_recorded_within_a_bound(app_client: TestClient) -> None:
    for _ in range(UNAUTHENTICATED_EVENTS_PER_MINUTE + 15):
        assert app_client.get("/api/v1/units").status_code == 401
    assert (
        app_client.get("/api/v1/users", headers={"Authorization": "Bearer egt_x"}).status_code
        == 401
    )
    recorded = _events(app_client, "access.unauthenticated")
    assert len(recorded) == UNAUTHENTICATED_EVENTS_PER_MINUTE  # a flood costs a bounded log
    assert recorded[0].object_type == "unit:read" and recorded[0].username == "-"
    assert recorded[0].reason is not None and "not_authenticated" in recorded[0].reason
