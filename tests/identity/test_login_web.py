"""Login over HTTP: brute force slowed then locked, lock visible to the security administrator,
API tokens, account management through the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from eduguard.identity.models import Role

PASSWORD = "Admin-Passw0rd-for-tests"


def test_brute_force_is_locked_then_visible_and_unlockable(
    app_client: TestClient, accounts: Any
) -> None:
    accounts.create("target", {Role.data_user})
    accounts.create("guard", {Role.security_admin})
    for _ in range(5):  # EDUGUARD_LOGIN_MAX_FAILURES defaults to 5
        wrong = app_client.post("/api/v1/auth/login", json={"username": "target", "password": "x"})
        assert wrong.status_code == 401
    right = app_client.post("/api/v1/auth/login", json={"username": "target", "password": PASSWORD})
    assert right.status_code == 401  # locked: the right password no longer works
    assert right.json() == wrong.json()  # …and nothing tells the attacker so

    app_client.app.state.login_limiter._hits.clear()  # type: ignore[attr-defined]
    accounts.login(app_client, "guard")
    listed = {u["username"]: u for u in app_client.get("/api/v1/users").json()}
    assert listed["target"]["locked"] is True
    page = app_client.get("/users")
    assert "已锁定至" in page.text
    unlocked = app_client.post(f"/api/v1/users/{listed['target']['id']}/unlock")
    assert unlocked.json()["locked"] is False
    accounts.login(app_client, "target")


def test_one_client_is_rate_limited(app_client: TestClient, accounts: Any) -> None:
    accounts.create("someone", {Role.data_user})
    statuses = [
        app_client.post(
            "/api/v1/auth/login", json={"username": f"guess{i}", "password": "x"}
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    limited = app_client.post("/api/v1/auth/login", json={"username": "someone", "password": "x"})
    assert limited.json()["error"]["code"] == "login_rate_limited"
    assert limited.json()["error"]["details"]["retry_after"] > 0


def test_admin_roles_need_totp_on_the_api(app_client: TestClient, accounts: Any) -> None:
    accounts.create("auditor", {Role.audit_admin})
    missing = app_client.post(
        "/api/v1/auth/login", json={"username": "auditor", "password": PASSWORD}
    )
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "mfa_required"
    accounts.create("fresh-admin", {Role.system_admin}, enrol_mfa=False)
    unenrolled = app_client.post(
        "/api/v1/auth/login", json={"username": "fresh-admin", "password": PASSWORD}
    )
    assert unenrolled.status_code == 403
    assert unenrolled.json()["error"]["code"] == "mfa_enrolment_required"


def test_api_token_is_scoped_and_cannot_mint_tokens(admin_client: TestClient) -> None:
    created = admin_client.post(
        "/api/v1/account/tokens", json={"name": "报表脚本", "scopes": ["system:read"], "days": 30}
    )
    assert created.status_code == 201, created.text
    raw = created.json()["token"]
    assert all("token" not in t for t in admin_client.get("/api/v1/account/tokens").json())

    machine = TestClient(admin_client.app)
    bearer = {"Authorization": f"Bearer {raw}"}
    assert machine.get("/api/v1/systems", headers=bearer).status_code == 200
    denied = machine.get("/api/v1/units", headers=bearer)
    assert denied.status_code == 403
    assert "令牌" in denied.json()["error"]["message"]
    mint = machine.post(
        "/api/v1/account/tokens", headers=bearer, json={"name": "x", "scopes": ["unit:write"]}
    )
    assert mint.status_code == 403

    too_wide = admin_client.post(
        "/api/v1/account/tokens", json={"name": "x", "scopes": ["audit:read"]}
    )
    assert too_wide.status_code == 422
    token_id = created.json()["id"]
    admin_client.post(f"/api/v1/account/tokens/{token_id}/revoke")
    assert machine.get("/api/v1/systems", headers=bearer).status_code == 401


def test_user_management_rules_over_http(admin_client: TestClient, accounts: Any) -> None:
    combined = admin_client.post(
        "/api/v1/users",
        json={
            "username": "both",
            "password": "A-Good-Passw0rd-x",
            "roles": ["security_admin", "audit_admin"],
        },
    )
    assert combined.status_code == 422
    assert combined.json()["error"]["code"] == "admin_roles_combined"
    me = admin_client.get("/api/v1/users").json()[0]
    self_grant = admin_client.put(
        f"/api/v1/users/{me['id']}/roles", json={"roles": ["system_admin", "pi_officer"]}
    )
    assert self_grant.status_code == 403
    made = admin_client.post(
        "/api/v1/users",
        json={"username": "clerk", "password": "A-Good-Passw0rd-x", "roles": ["data_user"]},
    )
    assert made.status_code == 201, made.text
    clerk = made.json()
    assert admin_client.post(f"/api/v1/users/{clerk['id']}/disable").json()["active"] is False
    login = admin_client.post(
        "/api/v1/auth/login", json={"username": "clerk", "password": "A-Good-Passw0rd-x"}
    )
    assert login.status_code == 401


def test_logout_everywhere_ends_other_sessions(app_client: TestClient, accounts: Any) -> None:
    accounts.create("roamer", {Role.data_user})
    other = TestClient(app_client.app)
    accounts.login(other, "roamer")
    accounts.login(app_client, "roamer")
    assert len(app_client.get("/api/v1/account/sessions").json()) == 2
    assert app_client.post("/api/v1/account/logout-everywhere").json() == {"sessions_ended": 2}
    assert other.get("/api/v1/auth/me").status_code == 401


def test_administrator_resets_a_forgotten_password(admin_client: TestClient, accounts: Any) -> None:
    accounts.create("forgetful", {Role.data_user})
    other = TestClient(admin_client.app)
    accounts.login(other, "forgetful")
    target = next(
        u for u in admin_client.get("/api/v1/users").json() if u["username"] == "forgetful"
    )
    weak = admin_client.post(
        f"/api/v1/users/{target['id']}/reset-password", json={"password": "123456"}
    )
    assert weak.status_code == 422
    done = admin_client.post(
        f"/api/v1/users/{target['id']}/reset-password", json={"password": "Brand-New-Passw0rd-7"}
    )
    assert done.status_code == 200, done.text
    assert other.get("/api/v1/auth/me").status_code == 401  # its sessions ended
    accounts.login(other, "forgetful", password="Brand-New-Passw0rd-7")
    me = next(u for u in admin_client.get("/api/v1/users").json() if u["username"] == "sysadmin")
    own = admin_client.post(
        f"/api/v1/users/{me['id']}/reset-password", json={"password": "Brand-New-Passw0rd-8"}
    )
    assert own.status_code == 403
