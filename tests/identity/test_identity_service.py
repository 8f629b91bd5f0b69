"""Accounts, passwords, separation of the three administrators, lockout, TOTP, tokens."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from eduguard.crypto import DecryptionFailed, FieldCipher
from eduguard.db.base import utcnow
from eduguard.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from eduguard.identity import mfa, tokens
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role

GOOD = "Correct-Horse-Battery-9"


def new_user(session: Session, name: str = "alice", roles: set[Role] | None = None):  # type: ignore[no-untyped-def]
    return identity_service.create_user(
        session, username=name, password=GOOD, roles=roles or {Role.data_user}, unit_id=None
    )


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short-1", "至少 12 个字符"),
        ("alice-is-my-password", "不能包含用户名"),
        ("password1234", "已泄露"),  # on zxcvbn's list
        ("woaini520", "12"),
        ("1q2w3e4r5t6y", "已泄露"),
        ("aaaaaaaaaaaaaa", "已泄露"),
    ],
)
def test_password_policy(session: Session, password: str, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        identity_service.create_user(
            session, username="alice", password=password, roles=set(), unit_id=None
        )
    assert fragment in info.value.message_zh


def test_chinese_breach_list_is_used(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="已泄露"):
        identity_service.create_user(
            session, username="bob", password="Admin@123456", roles=set(), unit_id=None
        )


@pytest.mark.parametrize(
    "roles",
    [
        {Role.system_admin, Role.audit_admin},
        {Role.system_admin, Role.security_admin},
        {Role.security_admin, Role.audit_admin, Role.data_owner},
    ],
)
def test_no_account_holds_two_administrator_roles(session: Session, roles: set[Role]) -> None:
    with pytest.raises(ValidationFailed) as info:
        new_user(session, roles=roles)
    assert info.value.code == "admin_roles_combined"
    user = new_user(session, "carol", {Role.security_admin})
    admin = new_user(session, "root1", {Role.system_admin})
    with pytest.raises(ValidationFailed):
        identity_service.set_roles(session, user, roles, granted_by=admin)


def test_nobody_grants_themselves_a_role(session: Session) -> None:
    admin = new_user(session, "root1", {Role.system_admin})
    with pytest.raises(PermissionDenied) as info:
        identity_service.set_roles(
            session, admin, {Role.system_admin, Role.data_owner}, granted_by=admin
        )
    assert info.value.code == "self_grant"
    other = new_user(session, "dora", {Role.data_user})
    identity_service.set_roles(session, other, {Role.data_owner}, granted_by=admin)
    assert other.role_set == {Role.data_owner}
    assert other.roles[0].granted_by_id == admin.id


def test_lockout_after_repeated_failures_then_cool_down(session: Session) -> None:
    user = new_user(session)
    policy = identity_service.LockoutPolicy(max_failures=3, lock_minutes=15)
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            identity_service.authenticate(session, "alice", "wrong", policy)
    assert identity_service.is_locked(user)
    # even the right password is refused while locked, with the same message
    with pytest.raises(NotAuthenticated) as locked:
        identity_service.authenticate(session, "alice", GOOD, policy)
    with pytest.raises(NotAuthenticated) as unknown:
        identity_service.authenticate(session, "nobody", GOOD, policy)
    assert locked.value.to_dict() == unknown.value.to_dict()
    user.locked_until = utcnow() - timedelta(seconds=1)  # the cool-down has passed
    assert identity_service.authenticate(session, "alice", GOOD, policy) is user
    assert user.failed_logins == 0


def test_disabling_ends_sessions_and_tokens(session: Session) -> None:
    user = new_user(session)
    token, _login = identity_service.start_session(session, user, hours=1, mfa_verified=True)
    raw, _t = tokens.create(
        session, user, name="ci", scopes={"system:read"}, allowed=frozenset({"system:read"})
    )
    identity_service.set_active(session, user, False, by=None)
    assert identity_service.resolve_session(session, token) is None
    assert tokens.resolve(session, raw) is None
    with pytest.raises(NotAuthenticated):
        identity_service.authenticate(session, "alice", GOOD)


def test_tokens_are_scoped_hashed_and_expire(session: Session) -> None:
    user = new_user(session)
    with pytest.raises(ValidationFailed) as info:
        tokens.create(
            session, user, name="x", scopes={"unit:write"}, allowed=frozenset({"system:read"})
        )
    assert info.value.code == "scope_not_held"
    raw, token = tokens.create(
        session, user, name="ci", scopes={"system:read"}, allowed=frozenset({"system:read"}), days=1
    )
    assert raw.startswith("egt_")
    assert raw not in token.token_hash
    assert tokens.resolve(session, raw) is token
    token.expires_at = utcnow() - timedelta(seconds=1)
    assert tokens.resolve(session, raw) is None
    assert tokens.resolve(session, "egt_forged") is None


def test_totp_codes_are_single_use(session: Session) -> None:
    user = new_user(session, roles={Role.audit_admin})
    assert mfa.required_for(user)
    uri = mfa.begin_enrolment(user)
    totp = pyotp.TOTP(pyotp.parse_uri(uri).secret)
    with pytest.raises(ValidationFailed):
        mfa.confirm_enrolment(user, "000000" if totp.now() != "000000" else "111111")
    now = 1_800_000_000.0
    mfa.confirm_enrolment(user, totp.at(now), now=now)
    assert mfa.enrolled(user)
    with pytest.raises(ValidationFailed):  # the same code again: refused
        mfa.verify(user, totp.at(now), now=now)
    mfa.verify(user, totp.at(now + 30), now=now + 30)


def test_enrolment_keeps_a_pending_secret_and_a_confirmed_one_is_not_reused(
    session: Session,
) -> None:
    user = new_user(session, roles={Role.security_admin})
    first = pyotp.parse_uri(mfa.begin_enrolment(user)).secret
    assert pyotp.parse_uri(mfa.begin_enrolment(user)).secret == first  # reload / second tab
    assert mfa.manual_key(user).replace(" ", "") == first
    assert all(len(group) <= 4 for group in mfa.manual_key(user).split(" "))
    now = 1_800_000_000.0
    mfa.confirm_enrolment(user, pyotp.TOTP(first).at(now), now=now)
    mfa.reset(user)  # an administrator's reset: the next enrolment gets a new secret
    assert pyotp.parse_uri(mfa.begin_enrolment(user)).secret != first


def test_totp_secret_is_not_stored_in_plaintext(session: Session, tmp_path: Path) -> None:
    user = new_user(session, roles={Role.pi_officer})
    secret = pyotp.parse_uri(mfa.begin_enrolment(user)).secret
    session.flush()
    stored = session.execute(
        text("SELECT totp_secret_encrypted FROM users WHERE id = :id"), {"id": user.id}
    ).scalar_one()
    assert secret not in stored
    assert stored.startswith("sm4gcm:v2:")
    assert user.totp_secret == secret
    session.expire(user)  # read back from the database: decrypted on load
    assert user.totp_secret == secret
    assert (tmp_path / "home" / "keys" / "master.key").stat().st_mode & 0o077 == 0


def test_field_cipher_binds_context_and_key() -> None:
    cipher = FieldCipher(bytes(16))
    token = cipher.encrypt("synthetic", "users.totp_secret:1")
    assert cipher.decrypt(token, "users.totp_secret:1") == "synthetic"
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(token, "users.totp_secret:2")
    with pytest.raises(DecryptionFailed):
        FieldCipher(bytes(range(16))).decrypt(token, "users.totp_secret:1")


def test_unknown_user_costs_the_same_argon2_verification(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No timing difference between "no such user" and "wrong password": both verify once."""
    from eduguard.identity import passwords

    new_user(session)
    calls: list[str] = []
    real = passwords.verify

    def counting(stored: str, password: str) -> bool:
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify", counting)
    for name in ("alice", "nobody"):
        with pytest.raises(NotAuthenticated):
            identity_service.authenticate(session, name, "wrong-password")
    assert len(calls) == 2
    assert calls[1] == passwords.DUMMY_HASH
