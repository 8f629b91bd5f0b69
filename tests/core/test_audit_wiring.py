"""The platform's own operations land in the audit log: changes, queries, denials, logins, CLI."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from eduguard.audit.models import AuditEvent
from eduguard.cli.main import app as cli_app
from eduguard.config import get_settings
from eduguard.identity.models import Role


def events(client: TestClient) -> list[AuditEvent]:
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_changes_and_queries_are_recorded_with_their_actor(admin_client: TestClient) -> None:
    unit = admin_client.post("/api/v1/units", json={"name": "甲县一中", "kind": "school"}).json()
    admin_client.patch(f"/api/v1/units/{unit['id']}", json={"principal_leader": "赵示例"})
    admin_client.get(f"/api/v1/units/{unit['id']}")
    log = events(admin_client)
    by_action = {e.action: e for e in log}
    created = by_action["unit.create"]
    assert created.username == "sysadmin"
    assert created.object_id == str(unit["id"])
    assert "system_admin" in created.roles
    updated = by_action["unit.update"]
    assert updated.fields == "principal_leader"
    assert "赵示例" not in " ".join(str(v) for e in log for v in vars(e).values())  # names only
    query = by_action["unit.read"]
    assert query.object_id == str(unit["id"])
    assert "系统管理员" in (query.reason or "")
    assert by_action["auth.login"].username == "sysadmin"


def test_denials_and_failed_logins_outlive_their_requests(
    app_client: TestClient, accounts: Any
) -> None:
    accounts.create("reader", {Role.data_user})
    bad = app_client.post("/api/v1/auth/login", json={"username": "reader", "password": "nope"})
    assert bad.status_code == 401
    accounts.login(app_client, "reader")
    denied = app_client.post("/api/v1/units", json={"name": "x", "kind": "school"})
    assert denied.status_code == 403
    log = events(app_client)
    failed = [e for e in log if e.action == "auth.login_failed"]
    assert [(e.username, e.result) for e in failed] == [("reader", "failed")]
    refusal = next(e for e in log if e.action == "access.denied")
    assert refusal.result == "denied"
    assert refusal.object_type == "unit:write"
    assert "无“新建/编辑/归档单位”权限" in (refusal.reason or "")
    assert not any(e.action == "unit.create" for e in log)


def test_a_rolled_back_request_leaves_no_change_event(admin_client: TestClient) -> None:
    admin_client.post("/api/v1/units", json={"name": "甲县一中", "kind": "school"})
    duplicate = admin_client.post("/api/v1/units", json={"name": "甲县一中", "kind": "school"})
    assert duplicate.status_code == 409
    assert [e.action for e in events(admin_client)].count("unit.create") == 1


def test_cli_changes_carry_the_cli_actor_and_the_chain_verifies(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDUGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli_app, ["init"]).exit_code == 0
        made = runner.invoke(cli_app, ["unit", "create", "甲县教育局", "--kind", "county"])
        assert made.exit_code == 0, made.output
        found = runner.invoke(cli_app, ["audit", "search", "--action", "unit.create", "--json"])
        assert found.exit_code == 0, found.output
        rows = json.loads(found.output)
        assert rows[0]["username"].startswith("cli:")
        verified = runner.invoke(cli_app, ["audit", "verify"])
        assert verified.exit_code == 0, verified.output
    finally:
        get_settings.cache_clear()
