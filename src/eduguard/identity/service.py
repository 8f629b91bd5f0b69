"""Accounts and login sessions. Passwords are hashed with argon2id; session tokens are random
and stored only as SHA-256 digests. "No such user" and "wrong password" look the same."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.db.base import utcnow
from eduguard.errors import Conflict, NotAuthenticated, ValidationFailed
from eduguard.identity.models import LoginSession, Role, User, UserRole

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# Verified against when the user does not exist, so both paths cost one argon2 verification.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

BAD_LOGIN = NotAuthenticated("bad_credentials", "用户名或密码错误", "wrong username or password")


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone=True columns; they are stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_password_policy(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "weak_password",
            f"密码至少 {MIN_PASSWORD_LENGTH} 个字符",
            f"password must have at least {MIN_PASSWORD_LENGTH} characters",
        )
    if username.lower() in password.lower():
        raise ValidationFailed(
            "weak_password", "密码不能包含用户名", "password contains the username"
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    roles: set[Role],
    unit_id: int | None,
    display_name: str = "",
    granted_by: User | None = None,
) -> User:
    username = username.strip()
    if not username or len(username) > 64:
        raise ValidationFailed("invalid_username", "用户名不能为空且不超过 64 个字符")
    check_password_policy(username, password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("username_exists", f"用户名已存在：{username}", "username exists")
    user = User(
        username=username,
        display_name=display_name,
        unit_id=unit_id,
        password_hash=hash_password(password),
    )
    user.roles = [
        UserRole(role=role, granted_by_id=granted_by.id if granted_by else None)
        for role in sorted(roles)
    ]
    session.add(user)
    session.flush()
    return user


def count_users(session: Session) -> int:
    return len(session.scalars(select(User.id)).all())


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    stored = user.password_hash if user is not None and user.active else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise BAD_LOGIN from None
    if user is None or not user.active:
        raise BAD_LOGIN
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    session.flush()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session,
    user: User,
    *,
    hours: int,
    client_address: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, LoginSession]:
    """Returns the cookie token (shown once) and the stored session."""
    token = secrets.token_urlsafe(32)
    login = LoginSession(
        token_hash=_digest(token),
        csrf_token=secrets.token_urlsafe(24),
        user_id=user.id,
        expires_at=utcnow() + timedelta(hours=hours),
        client_address=client_address,
        user_agent=(user_agent or "")[:255],
    )
    session.add(login)
    session.flush()
    return token, login


def resolve_session(session: Session, token: str | None) -> LoginSession | None:
    if not token:
        return None
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
    if login is None or login.revoked or _aware(login.expires_at) <= utcnow():
        return None
    if not login.user.active:
        return None
    return login


def end_session(session: Session, login: LoginSession) -> None:
    login.revoked = True
    session.flush()
