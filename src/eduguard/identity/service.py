"""Accounts, roles and login sessions. Services flush, never commit.

- Three-administrator separation (三员分立, GB/T 22239-2019): no account holds two of the
  system, security and audit administrator roles, and nobody grants roles to themselves.
- Login failures lock the account for a cool-down after ``max_failures``; every failure
  answers the same message, so an attacker cannot tell an unknown user from a wrong password.
- Session tokens are random and stored only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from eduguard.db.base import utcnow
from eduguard.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from eduguard.identity import passwords, tokens
from eduguard.identity.models import LoginSession, Role, User, UserRole

ADMIN_ROLES = frozenset({Role.system_admin, Role.security_admin, Role.audit_admin})
ALL = "/"


def bad_login() -> NotAuthenticated:
    return NotAuthenticated(
        "bad_credentials",
        "用户名或密码错误；连续多次失败后账户将被临时锁定",
        "wrong username or password; repeated failures lock the account for a while",
    )


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_minutes: int = 15


# ---------------------------------------------------------------- roles


def check_separation(roles: set[Role] | frozenset[Role]) -> None:
    held = sorted(roles & ADMIN_ROLES)
    if len(held) > 1:
        raise ValidationFailed(
            "admin_roles_combined",
            "系统管理员、安全管理员、审计管理员须由不同人员担任，同一账户不能兼任其中两个",
            "no account may hold two of the system, security and audit administrator roles",
            details={"roles": [str(r) for r in held]},
        )


def set_roles(session: Session, user: User, roles: set[Role], *, granted_by: User | None) -> User:
    check_separation(roles)
    if granted_by is not None and granted_by.id == user.id:
        raise PermissionDenied("self_grant", "不能修改自己的角色", "nobody changes their own roles")
    current = {r.role: r for r in user.roles}
    user.roles = [
        current.get(role)
        or UserRole(role=role, granted_by_id=granted_by.id if granted_by else None)
        for role in sorted(roles)
    ]
    session.flush()
    return user


# ---------------------------------------------------------------- accounts


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
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise ValidationFailed("invalid_username", "用户名不能为空、不含空格且不超过 64 个字符")
    check_separation(roles)
    passwords.check_policy(username, password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("username_exists", f"用户名已存在：{username}", "username exists")
    user = User(
        username=username,
        display_name=display_name.strip()[:100],
        unit_id=unit_id,
        password_hash=passwords.hash_password(password),
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


def get_user(session: Session, user_id: int, unit_paths: dict[int, str] | None = None) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", f"账户不存在：{user_id}", "account not found")
    return user


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise NotFound("user_not_found", f"账户不存在：{username}", "account not found")
    return user


def list_users(
    session: Session, *, unit_ids: Sequence[int] | None = None, search: str | None = None
) -> Sequence[User]:
    """``unit_ids``: the units in the caller's scope (None: every account, platform-wide)."""
    query = select(User)
    if unit_ids is not None:
        query = query.where(User.unit_id.in_(list(unit_ids)))
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(or_(User.username.like(pattern), User.display_name.like(pattern)))
    return session.scalars(query.order_by(User.id)).all()


def change_password(session: Session, user: User, old: str, new: str) -> None:
    if not passwords.verify(user.password_hash, old):
        raise ValidationFailed("bad_password", "原密码错误", "the current password is wrong")
    passwords.check_policy(user.username, new)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    session.flush()


def reset_password(session: Session, user: User, new: str, *, by: User | None) -> None:
    """An administrator sets a new password (e.g. forgotten): every session of the account ends."""
    if by is not None and by.id == user.id:
        raise PermissionDenied("self_reset", "请在“我的账户”中修改自己的密码")
    passwords.check_policy(user.username, new)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(session, user)


def set_active(session: Session, user: User, active: bool, *, by: User | None) -> User:
    if by is not None and by.id == user.id and not active:
        raise PermissionDenied("self_disable", "不能停用自己的账户")
    user.active = active
    if not active:
        end_all_sessions(session, user)
        tokens.revoke_all(session, user.id)
    session.flush()
    return user


def unlock(session: Session, user: User) -> User:
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def is_locked(user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return user.locked_until is not None and user.locked_until > now


# ---------------------------------------------------------------- login


def authenticate(
    session: Session, username: str, password: str, policy: LockoutPolicy | None = None
) -> User:
    """Verify a password. Failures are flushed to the session before raising: the caller must
    commit them (the web layer does), or the lockout would never take effect."""
    policy = policy or LockoutPolicy()
    user = session.scalar(select(User).where(User.username == username.strip()))
    usable = user is not None and user.active
    stored = user.password_hash if user is not None and usable else passwords.DUMMY_HASH
    ok = passwords.verify(stored, password)  # always one argon2 verification
    if user is None or not usable:
        raise bad_login()
    now = utcnow()
    if is_locked(user, now):
        raise bad_login()
    if not ok:
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + timedelta(minutes=policy.lock_minutes)
            user.failed_logins = 0
        session.flush()
        raise bad_login()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session,
    user: User,
    *,
    hours: int,
    mfa_verified: bool,
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
        mfa_verified=mfa_verified,
    )
    session.add(login)
    session.flush()
    return token, login


def resolve_session(session: Session, token: str | None) -> LoginSession | None:
    if not token:
        return None
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
    if login is None or login.revoked or login.expires_at <= utcnow():
        return None
    if not login.user.active:
        return None
    return login


def end_session(session: Session, login: LoginSession) -> None:
    login.revoked = True
    session.flush()


def end_all_sessions(session: Session, user: User) -> int:
    sessions = session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked.is_(False))
    ).all()
    for login in sessions:
        login.revoked = True
    session.flush()
    return len(sessions)


def active_sessions(session: Session, user: User) -> Sequence[LoginSession]:
    query = (
        select(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked.is_(False))
        .where(LoginSession.expires_at > utcnow())
        .order_by(LoginSession.created_at.desc())
    )
    return session.scalars(query).all()


def end_own_session(session: Session, user: User, session_id: int) -> None:
    login = session.get(LoginSession, session_id)
    if login is None or login.user_id != user.id:
        raise NotFound("session_not_found", "会话不存在")
    end_session(session, login)
