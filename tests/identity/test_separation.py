"""三员分立 against the system administrator's own powers (issue #13, item 2), on both databases.

The attacks of the review, through the API and the console: the system administrator creates an
account with ``audit_admin`` (then reads the audit log as it), promotes an account it prepared,
and resets the real auditor's password and second factor to log in as them. Each now answers
403 and leaves an ``access.denied`` event; the stewards (the security administrator for the
auditor, the auditor for the security administrator) can, and the affected administrator is
told at next login. The shell CLI is not bound, but is audited and told too.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from eduguard.access.policy import ROLE_STEWARDS
from eduguard.audit.models import AuditEvent
from eduguard.cli.main import app as cli_app
from eduguard.config import get_settings
from eduguard.identity import separation
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role

NEW_PASSWORD = "Fresh-synthetic-Pw-73"  # a synthetic test credential
PASSWORD = "Admin-Passw0rd-for-tests"  # the accounts fixture's synthetic default


def _unthrottle(client: TestClient) -> None:
    client.app.state.login_limiter._hits.clear()  # type: ignore[attr-defined]


def _console_enrol(client: TestClient, username: str, password: str) -> Any:
    """Log in to the console as an administrator without a second factor, enrol one (reading
    the new secret from the database), and return the answer of the confirmation."""
    _unthrottle(client)
    client.cookies.clear()
    client.get("/login")
    step = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "login_csrf": client.cookies.get("eg_login_csrf"),
        },
        follow_redirects=False,
    )
    assert step.headers["location"] == "/account/mfa", step.text
    enrol = client.get("/account/mfa")
    csrf = enrol.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        secret = identity_service.find_user(session, username).totp_secret
    assert secret is not None
    client.headers["X-CSRF-Token"] = csrf
    return client.post(
        "/account/mfa",
        data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )


def _events(client: TestClient, action: str) -> list[AuditEvent]:
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def _id(client: TestClient, username: str) -> int:
    users = client.get("/api/v1/users").json()
    return int(next(u["id"] for u in users if u["username"] == username))


def _denied(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] in ("separation_of_duties", "self_reset_mfa")


def test_the_rule_is_data() -> None:
    assert {
        Role.audit_admin: frozenset({Role.security_admin}),
        Role.security_admin: frozenset({Role.audit_admin}),
    } == ROLE_STEWARDS
    assert not separation.may_steward({Role.system_admin}, {Role.audit_admin})
    assert not separation.may_steward({Role.system_admin}, {Role.security_admin})
    assert separation.may_steward({Role.security_admin}, {Role.audit_admin})
    assert separation.may_steward({Role.audit_admin}, {Role.security_admin})
    assert separation.may_steward({Role.system_admin}, {Role.data_user, Role.pi_officer})
    assert not separation.may_steward({Role.security_admin}, {Role.data_user})
    assert not separation.may_steward({Role.security_admin}, set())  # role-less: system admin


def test_system_admin_cannot_create_an_auditor(admin_client: TestClient, accounts: Any) -> None:
    body = {"username": "fake-auditor", "password": NEW_PASSWORD, "roles": ["audit_admin"]}
    _denied(admin_client.post("/api/v1/users", json=body))
    # the console form too
    csrf = admin_client.headers["X-CSRF-Token"]
    form = {"csrf_token": csrf, "username": "fake-auditor2", "password": NEW_PASSWORD}
    page = admin_client.post("/users/new", data={**form, "roles": "audit_admin"})
    assert page.status_code == 403 and "三员分立" in page.text
    names = {u["username"] for u in admin_client.get("/api/v1/users").json()}
    assert not names & {"fake-auditor", "fake-auditor2"}
    login = admin_client.post(
        "/api/v1/auth/login", json={"username": "fake-auditor", "password": NEW_PASSWORD}
    )
    assert login.status_code == 401  # no such account: the audit log stays closed
    denied = _events(admin_client, "access.denied")
    assert [e.object_id for e in denied] == ["fake-auditor", "fake-auditor2"]
    assert all(e.username == "sysadmin" and e.result == "denied" for e in denied)
    assert all("separation_of_duties" in (e.reason or "") for e in denied)


def test_system_admin_cannot_promote_an_account_it_prepared(
    admin_client: TestClient, accounts: Any
) -> None:
    made = admin_client.post(
        "/api/v1/users", json={"username": "prepared", "password": NEW_PASSWORD, "roles": []}
    )
    assert made.status_code == 201, made.text
    target = made.json()["id"]
    _denied(admin_client.put(f"/api/v1/users/{target}/roles", json={"roles": ["audit_admin"]}))
    csrf = admin_client.headers["X-CSRF-Token"]
    page = admin_client.post(
        f"/users/{target}/roles", data={"csrf_token": csrf, "roles": "security_admin"}
    )
    assert page.status_code == 403
    # nor does a steward promote an account someone else prepared (its password is known)
    accounts.create("sec", {Role.security_admin})
    accounts.login(admin_client, "sec")
    _denied(admin_client.put(f"/api/v1/users/{target}/roles", json={"roles": ["audit_admin"]}))
    assert len(_events(admin_client, "access.denied")) == 3
    assert _events(admin_client, "user.roles_changed") == []


def _role_boxes(page_html: str, username: str) -> dict[str, bool] | None:
    """The role checkboxes of one account's row on /users: value -> can be changed (None: the
    row has no role form at all)."""
    row = re.search(rf'<tr[^>]*data-username="{re.escape(username)}".*?</tr>', page_html, re.S)
    assert row is not None, username
    if "/roles" not in row.group(0):
        return None
    boxes = re.findall(r'<input type="checkbox" name="roles" value="(\w+)"([^>]*)>', row.group(0))
    return {value: "disabled" not in attrs for value, attrs in boxes}


def test_users_page_offers_only_the_changes_the_caller_may_make(
    admin_client: TestClient, accounts: Any
) -> None:
    accounts.create("auditor", {Role.audit_admin})
    accounts.create("sec", {Role.security_admin})
    accounts.create("owner", {Role.data_owner})
    as_admin = admin_client.get("/users").text
    assert _role_boxes(as_admin, "sysadmin") is None  # nobody changes their own roles
    assert _role_boxes(as_admin, "auditor") is None  # the security administrator's to steward
    owner = _role_boxes(as_admin, "owner")
    assert owner is not None and owner["data_owner"] and owner["system_admin"]
    assert not owner["audit_admin"] and not owner["security_admin"]
    accounts.login(admin_client, "sec")
    as_security = admin_client.get("/users").text
    assert _role_boxes(as_security, "owner") is None and _role_boxes(as_security, "sec") is None
    auditor = _role_boxes(as_security, "auditor")
    assert auditor is not None and [v for v, ok in auditor.items() if ok] == ["audit_admin"]
    # what is offered is what the server accepts
    csrf = admin_client.headers["X-CSRF-Token"]
    done = admin_client.post(
        f"/users/{_id(admin_client, 'auditor')}/roles",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert _events(admin_client, "user.roles_changed")


def test_system_admin_cannot_take_over_the_auditor(admin_client: TestClient, accounts: Any) -> None:
    auditor = accounts.create("auditor", {Role.audit_admin})
    sysadmin = _id(admin_client, "sysadmin")
    _denied(
        admin_client.post(
            f"/api/v1/users/{auditor}/reset-password", json={"password": NEW_PASSWORD}
        )
    )
    _denied(admin_client.post(f"/api/v1/users/{auditor}/reset-mfa"))
    _denied(admin_client.put(f"/api/v1/users/{auditor}/roles", json={"roles": []}))
    csrf = admin_client.headers["X-CSRF-Token"]
    page = admin_client.post(f"/users/{auditor}/reset-mfa", data={"csrf_token": csrf})
    assert page.status_code == 403 and "三员分立" in page.text
    # self reset of the second factor is refused too
    _denied(admin_client.post(f"/api/v1/users/{sysadmin}/reset-mfa"))
    denied = _events(admin_client, "access.denied")
    assert [e.object_id for e in denied] == [str(auditor)] * 4 + [str(sysadmin)]
    assert "self_reset_mfa" in (denied[-1].reason or "")
    # the auditor is untouched: old password and second factor still work, nothing to notice
    auditor_client = TestClient(admin_client.app)
    accounts.login(auditor_client, "auditor")
    assert auditor_client.get("/api/v1/account/notices").json() == []
    assert auditor_client.get("/api/v1/audit/events").status_code == 200
    bad = auditor_client.post(
        "/api/v1/auth/login",
        json={"username": "auditor", "password": NEW_PASSWORD, "totp": "000000"},
    )
    assert bad.status_code == 401


def test_stewards_act_and_the_affected_admin_is_told(
    admin_client: TestClient, accounts: Any
) -> None:
    accounts.create("sec", {Role.security_admin})
    accounts.login(admin_client, "sec")
    made = admin_client.post(
        "/api/v1/users",
        json={"username": "aud2", "password": NEW_PASSWORD, "roles": ["audit_admin"]},
    )
    assert made.status_code == 201, made.text
    auditor = made.json()["id"]
    reset = admin_client.post(
        f"/api/v1/users/{auditor}/reset-password", json={"password": "Second-synthetic-Pw-58"}
    )
    assert reset.status_code == 200, reset.text
    # the security administrator stewards nobody else
    clerk = accounts.create("clerk", {Role.data_user})
    _denied(admin_client.post(f"/api/v1/users/{clerk}/reset-mfa"))
    _denied(
        admin_client.post(
            f"/api/v1/users/{_id(admin_client, 'sysadmin')}/reset-password",
            json={"password": NEW_PASSWORD},
        )
    )
    assert [e.object_id for e in _events(admin_client, "access.denied")] == [
        str(clerk),
        str(_id(admin_client, "sysadmin")),
    ]
    assert [e.username for e in _events(admin_client, "user.reset_password")] == ["sec"]
    # the auditor logs in (in the console: enrols its second factor) and sees both acts
    auditor_client = TestClient(admin_client.app)
    answer = auditor_client.post(
        "/api/v1/auth/login", json={"username": "aud2", "password": "Second-synthetic-Pw-58"}
    )
    assert answer.status_code == 403  # must enrol first, in the console
    done = _console_enrol(auditor_client, "aud2", "Second-synthetic-Pw-58")
    assert done.headers["location"] == "/account/notices"
    notices = auditor_client.get("/account/notices")
    assert notices.status_code == 200
    assert "sec" in notices.text and "密码被重置" in notices.text and "创建" in notices.text
    api = auditor_client.get("/api/v1/account/notices").json()
    assert [n["action"] for n in api] == ["user.created", "user.reset_password"]
    assert all(n["actor"] == "sec" and n["created_at"] for n in api)
    csrf = auditor_client.headers["X-CSRF-Token"]
    ack = auditor_client.post(
        "/account/notices/acknowledge", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert ack.status_code == 303
    assert auditor_client.get("/api/v1/account/notices").json() == []
    # the auditor stewards the security administrator: resets its second factor
    sec = _id(auditor_client, "sec")
    assert auditor_client.post(f"/api/v1/users/{sec}/reset-mfa").status_code == 200
    assert [e.username for e in _events(admin_client, "user.reset_mfa")] == ["aud2"]
    relog = TestClient(admin_client.app)
    _unthrottle(relog)
    result = relog.post("/api/v1/auth/login", json={"username": "sec", "password": PASSWORD})
    assert result.status_code == 403  # enrol again first
    done = _console_enrol(relog, "sec", PASSWORD)
    assert done.headers["location"] == "/account/notices"
    assert [n["action"] for n in relog.get("/api/v1/account/notices").json()] == ["user.reset_mfa"]


def test_notice_after_the_console_second_factor(admin_client: TestClient, accounts: Any) -> None:
    auditor = accounts.create("auditor", {Role.audit_admin})
    accounts.create("sec", {Role.security_admin})
    accounts.login(admin_client, "sec")
    answer = admin_client.put(f"/api/v1/users/{auditor}/roles", json={"roles": []})
    assert answer.status_code == 200, answer.text  # the steward may revoke the role
    back = admin_client.put(f"/api/v1/users/{auditor}/roles", json={"roles": ["audit_admin"]})
    _denied(back)  # …but not give it back: the account is now the system administrator's
    client = TestClient(admin_client.app)
    _unthrottle(client)
    client.get("/login")
    step = client.post(
        "/login",
        data={
            "username": "auditor",
            "password": PASSWORD,
            "login_csrf": client.cookies.get("eg_login_csrf"),
        },
        follow_redirects=False,
    )
    assert step.headers["location"] == "/login/mfa"
    csrf = client.get("/login/mfa").text.split('name="csrf_token" value="', 1)[1].split('"')[0]
    done = client.post(
        "/login/mfa",
        data={"csrf_token": csrf, "code": accounts.totp("auditor")},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/account/notices"
    page = client.get("/account/notices")
    assert "sec" in page.text and "审计管理员" in page.text and "无角色" in page.text
    # when, in Beijing time (the console's zone), to the second
    assert re.search(r"<td>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}</td>", page.text)
    assert "UTC" not in page.text


# ---------------------------------------------------------------- the shell CLI

runner = CliRunner()


@pytest.fixture
def cli_env(
    settings: Any, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("EDUGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_acts_are_audited_and_told(
    cli_env: None, app_client: TestClient, accounts: Any
) -> None:
    accounts.create("auditor", {Role.audit_admin})
    result = runner.invoke(
        cli_app, ["user", "reset-password", "auditor", "--password", NEW_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli_app, ["user", "reset-mfa", "auditor"])
    assert result.exit_code == 0, result.output
    events = _events(app_client, "user.reset_password") + _events(app_client, "user.reset_mfa")
    assert [e.username.startswith("cli:") for e in events] == [True, True]
    answer = app_client.post(
        "/api/v1/auth/login", json={"username": "auditor", "password": NEW_PASSWORD}
    )
    assert answer.status_code == 403  # the second factor is gone: enrol in the console first
    done = _console_enrol(app_client, "auditor", NEW_PASSWORD)
    assert done.headers["location"] == "/account/notices"
    api = app_client.get("/api/v1/account/notices").json()
    assert [(n["action"], n["actor"].startswith("cli:")) for n in api] == [
        ("user.reset_password", True),
        ("user.reset_mfa", True),
    ]
