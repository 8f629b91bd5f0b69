"""Credentials hardening (issue #13): second-factor attempts capped (item 6), API tokens end with
credential changes and always expire (item 10), guessable passwords refused (item 13), a
password change ends the other sessions (item 18). On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from eduguard.audit.models import AuditEvent
from eduguard.db import migrate
from eduguard.db.base import utcnow
from eduguard.errors import ValidationFailed
from eduguard.identity import passwords, tokens
from eduguard.identity import service as identity_service
from eduguard.identity.models import ApiToken, Role

PASSWORD = "Admin-Passw0rd-for-tests"  # the accounts fixture's synthetic default


def _unthrottle(client: TestClient) -> None:
    client.app.state.login_limiter._hits.clear()  # type: ignore[attr-defined]


def _factory(client: TestClient) -> Any:
    return client.app.state.session_factory  # type: ignore[attr-defined]


def _wrong_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    step = int(time.time() // totp.interval)
    near = {totp.generate_otp(s) for s in range(step - 2, step + 3)}
    return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in near)


def _end_lock(client: TestClient, username: str) -> None:
    """Let the lock time pass (the lock is a time in the database)."""
    with _factory(client)() as session, session.begin():
        user = identity_service.find_user(session, username)
        assert user.locked_until is not None
        user.locked_until = utcnow() - timedelta(seconds=1)


def _events(client: TestClient, action: str) -> list[AuditEvent]:
    with _factory(client)() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# ---------------------------------------------------------------- item 6: second factor


def test_wrong_totp_codes_lock_the_api_login(app_client: TestClient, accounts: Any) -> None:
    accounts.create("boss", {Role.system_admin})
    secret = accounts.totp_secrets["boss"]
    wrong = {"username": "boss", "password": PASSWORD, "totp": _wrong_code(secret)}
    codes = []
    for _ in range(5):  # EDUGUARD_MFA_MAX_FAILURES defaults to 5
        _unthrottle(app_client)
        codes.append(app_client.post("/api/v1/auth/login", json=wrong).json()["error"]["code"])
    assert codes == ["bad_totp"] * 4 + ["mfa_locked"]
    _unthrottle(app_client)
    right = {"username": "boss", "password": PASSWORD, "totp": accounts.totp("boss")}
    refused = app_client.post("/api/v1/auth/login", json=right)
    assert refused.status_code == 401  # locked: the right code no longer works
    assert [e.result for e in _events(app_client, "auth.mfa_failed")] == ["failed"] * 5
    _end_lock(app_client, "boss")
    _unthrottle(app_client)
    right["totp"] = accounts.totp("boss")
    assert app_client.post("/api/v1/auth/login", json=right).status_code == 200


def test_wrong_totp_codes_lock_the_console_login(app_client: TestClient, accounts: Any) -> None:
    accounts.create("boss", {Role.system_admin})
    secret = accounts.totp_secrets["boss"]

    def password_step() -> str:
        _unthrottle(app_client)
        app_client.cookies.clear()
        app_client.get("/login")
        step = app_client.post(
            "/login",
            data={
                "username": "boss",
                "password": PASSWORD,
                "login_csrf": app_client.cookies.get("eg_login_csrf"),
            },
            follow_redirects=False,
        )
        assert step.headers["location"] == "/login/mfa", step.text
        page = app_client.get("/login/mfa")
        return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    csrf = password_step()
    answers = []
    for _ in range(5):
        _unthrottle(app_client)
        answer = app_client.post(
            "/login/mfa", data={"csrf_token": csrf, "code": _wrong_code(secret)}
        )
        answers.append(answer.status_code)
    assert answers == [422] * 4 + [401]
    assert "错误次数过多" in answer.text
    # the pending session ended; the password step itself is refused while locked
    gone = app_client.get("/login/mfa", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login?")
    _unthrottle(app_client)
    app_client.get("/login")
    locked = app_client.post(
        "/login",
        data={
            "username": "boss",
            "password": PASSWORD,
            "login_csrf": app_client.cookies.get("eg_login_csrf"),
        },
        follow_redirects=False,
    )
    assert locked.status_code == 401
    _end_lock(app_client, "boss")
    csrf = password_step()
    done = app_client.post(
        "/login/mfa",
        data={"csrf_token": csrf, "code": accounts.totp("boss")},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/"


def test_wrong_codes_lock_the_enrolment(app_client: TestClient, accounts: Any) -> None:
    accounts.create("newboss", {Role.system_admin}, enrol_mfa=False)

    def enrol_page() -> tuple[str, str]:
        _unthrottle(app_client)
        app_client.cookies.clear()
        app_client.get("/login")
        step = app_client.post(
            "/login",
            data={
                "username": "newboss",
                "password": PASSWORD,
                "login_csrf": app_client.cookies.get("eg_login_csrf"),
            },
            follow_redirects=False,
        )
        assert step.headers["location"] == "/account/mfa", step.text
        page = app_client.get("/account/mfa")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        with _factory(app_client)() as session:
            secret = identity_service.find_user(session, "newboss").totp_secret
        assert secret is not None
        return csrf, secret

    csrf, secret = enrol_page()
    statuses = []
    for _ in range(5):
        answer = app_client.post(
            "/account/mfa",
            data={"csrf_token": csrf, "code": _wrong_code(secret)},
            follow_redirects=False,
        )
        statuses.append(answer.status_code)
    assert statuses == [422] * 4 + [303]
    assert answer.headers["location"] == "/login"  # the session ended at the lock
    assert len(_events(app_client, "auth.mfa_enrol_failed")) == 5
    with _factory(app_client)() as session:
        user = identity_service.find_user(session, "newboss")
        assert identity_service.is_locked(user) and user.totp_confirmed_at is None
    _end_lock(app_client, "newboss")
    csrf, secret = enrol_page()
    done = app_client.post(
        "/account/mfa",
        data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )
    assert done.headers["location"] in ("/account", "/account/notices")


# ---------------------------------------------------------------- item 10: API tokens


def _token(client: TestClient, **extra: Any) -> dict[str, Any]:
    body = {"name": "ci", "scopes": ["system:read"], **extra}
    made = client.post("/api/v1/account/tokens", json=body)
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


def _works(client: TestClient, raw: str) -> bool:
    fresh = TestClient(client.app)
    answer = fresh.get("/api/v1/systems", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


def test_tokens_always_expire(app_client: TestClient, accounts: Any) -> None:
    accounts.create("robot-owner", {Role.data_operator})
    accounts.login(app_client, "robot-owner")
    for extra in ({"days": None}, {}):
        token = _token(app_client, **extra)
        assert token["expires_at"] is not None
        assert token["expires_at"][:10] == (utcnow() + timedelta(days=90)).date().isoformat()
    too_long = app_client.post(
        "/api/v1/account/tokens", json={"name": "x", "scopes": ["system:read"], "days": 200}
    )
    assert too_long.status_code == 422 and "1–90" in too_long.json()["error"]["message"]


def test_old_never_expiring_tokens_are_capped(session: Session) -> None:
    user = identity_service.create_user(
        session, username="legacy", password=PASSWORD, roles={Role.data_user}, unit_id=None
    )
    raw, token = tokens.create(
        session, user, name="old", scopes={"system:read"}, allowed=frozenset({"system:read"})
    )
    token.expires_at = None  # as stored before this release ("days": null)
    token.created_at = utcnow() - timedelta(days=30)
    assert tokens.resolve(session, raw) is token
    token.created_at = utcnow() - timedelta(days=91)
    assert tokens.resolve(session, raw) is None
    assert tokens.resolve(session, raw, max_days=366) is token
    token.expires_at = utcnow() + timedelta(days=300)  # beyond today's maximum
    assert tokens.resolve(session, raw) is None


def test_migration_caps_never_expiring_tokens(engine: Engine) -> None:
    config = migrate.alembic_config(engine)
    command.downgrade(config, "0009")
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (username, display_name, password_hash, active,"
                    " failed_logins, password_changed_at, created_at, updated_at)"
                    " VALUES ('m', '', 'x', :t, 0, :now, :now, :now)"
                ),
                {"t": True, "now": utcnow()},
            )
            uid = connection.execute(text("SELECT id FROM users")).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO api_tokens (user_id, name, prefix, token_hash, scopes,"
                    " created_at, expires_at) VALUES (:u, 'n', 'egt_x', 'h', 'system:read',"
                    " :created, NULL)"
                ),
                {"u": uid, "created": utcnow() - timedelta(days=5)},
            )
    finally:
        migrate.upgrade(engine)
    with Session(engine) as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.expires_at is not None
        assert abs(token.expires_at - (token.created_at + timedelta(days=90))) < timedelta(
            seconds=1
        )


@pytest.mark.parametrize("act", ["reset_password", "reset_mfa", "change_password", "everywhere"])
def test_tokens_end_with_credential_changes(
    admin_client: TestClient, accounts: Any, act: str
) -> None:
    accounts.create("robot-owner", {Role.data_owner}, enrol_mfa=True)
    owner = TestClient(admin_client.app)
    _unthrottle(owner)
    accounts.login(owner, "robot-owner")
    raw = _token(owner)["token"]
    assert _works(owner, raw)
    target = next(
        u["id"] for u in admin_client.get("/api/v1/users").json() if u["username"] == "robot-owner"
    )
    if act == "reset_password":
        answer = admin_client.post(
            f"/api/v1/users/{target}/reset-password", json={"password": "Reset-synthetic-Pw-31"}
        )
    elif act == "reset_mfa":
        answer = admin_client.post(f"/api/v1/users/{target}/reset-mfa")
    elif act == "change_password":
        answer = owner.post(
            "/account/password",
            data={
                "csrf_token": owner.headers["X-CSRF-Token"],
                "old_password": PASSWORD,
                "new_password": "Changed-synthetic-Pw-64",
            },
        )
    else:
        answer = owner.post("/api/v1/account/logout-everywhere")
    assert answer.status_code == 200, answer.text
    assert not _works(owner, raw)


# ---------------------------------------------------------------- item 13: weak passwords

WEAK = [
    "123456789012",
    "abcdefghijkl",
    "P@ssw0rd2024!",
    "qwertyuiop12",
    "1q2w3e4r5t6y",
    "Password1234",
    "password2024!",
    "aaaaaaaaaaaa",
    "abc123abc123",
    "Welcome2024!",
    "iloveyou1234",
    "zhangwei1234",
    "woaini1314520",
    "Xuexiao2024!",
    "Jiaoyu@123456",
    "Teacher2024!",
    "Student@2024",
    "admin12345678",
    "Qwerty123456!",
    "11111111aaaa",
    "19880808abcd",
    "asdfghjkl123",
    "Summer2024!!",
    "Passw0rd!234",
    "1qaz2wsx3edc",
    "!QAZ2wsx#EDC",
    "Laoshi@88888",
    "Banji2024!!!",
]
STRONG = [
    PASSWORD,  # tests/conftest.py's ADMIN_PASSWORD
    "Correct-Horse-Battery-9",
    "tiger-lantern-42-moss",
    "vK9#mQ2!xL7@pR4",
    "Zq7-synthetic-Pw-9xK",
    "Browser-Passw0rd-synthetic",
    "A-Good-Passw0rd-x",
    "Brand-New-Passw0rd-7",
]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        passwords.check_policy("alice", password)
    assert info.value.code == "weak_password"
    assert "密码" in info.value.message_zh


@pytest.mark.parametrize("password", STRONG)
def test_strong_passwords_pass(password: str) -> None:
    passwords.check_policy("alice", password)


def test_demo_style_passwords_pass() -> None:
    import secrets

    for _ in range(200):  # what eduguard.demo generates
        passwords.check_policy("demo-admin", secrets.token_urlsafe(12))


def test_weak_password_is_explained_over_http(admin_client: TestClient) -> None:
    answer = admin_client.post(
        "/api/v1/users",
        json={"username": "weakling", "password": "P@ssw0rd2024!", "roles": ["data_user"]},
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "weak_password"
    assert "常见密码" in answer.json()["error"]["message"]
    guessable = admin_client.post(
        "/api/v1/users",
        json={"username": "weakling", "password": "123456789012", "roles": ["data_user"]},
    )
    assert "太容易被猜中" in guessable.json()["error"]["message"]


# ---------------------------------------------------------------- item 18: password change


def test_changing_ones_password_ends_the_other_sessions(
    app_client: TestClient, accounts: Any
) -> None:
    accounts.create("mover", {Role.data_user})
    other = TestClient(app_client.app)
    accounts.login(other, "mover")
    accounts.login(app_client, "mover")
    raw = _token(app_client)["token"]
    changed = app_client.post(
        "/account/password",
        data={
            "csrf_token": app_client.headers["X-CSRF-Token"],
            "old_password": PASSWORD,
            "new_password": "Changed-synthetic-Pw-64",
        },
    )
    assert changed.status_code == 200 and "其他会话" in changed.text
    assert other.get("/api/v1/auth/me").status_code == 401
    assert app_client.get("/api/v1/auth/me").status_code == 200  # this one stays
    assert len(app_client.get("/api/v1/account/sessions").json()) == 1
    assert not _works(app_client, raw)
