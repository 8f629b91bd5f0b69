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
from eduguard.identity import mfa, passwords, tokens
from eduguard.identity.models import AccountNotice, LoginSession, Role, User, UserRole

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
    mfa_max_failures: int = 5  # wrong second-factor codes in a row; same lock duration


def mfa_locked() -> NotAuthenticated:
    return NotAuthenticated(
        "mfa_locked",
        "动态验证码错误次数过多，账户已临时锁定，请稍后再试或联系安全管理员解除锁定",
        "too many wrong one-time codes: the account is locked for a while",
    )


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


def change_password(
    session: Session, user: User, old: str, new: str, *, keep_session_id: int | None = None
) -> int:
    """The account changes its own password: every other session and every API token of the
    account ends (the session it is changed from stays). Returns the number of sessions ended."""
    if not passwords.verify(user.password_hash, old):
        raise ValidationFailed("bad_password", "原密码错误", "the current password is wrong")
    passwords.check_policy(user.username, new)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    ended = end_all_sessions(session, user, keep_session_id=keep_session_id)
    tokens.revoke_all(session, user.id)
    session.flush()
    return ended


def reset_password(session: Session, user: User, new: str, *, by: User | None) -> None:
    """An administrator sets a new password (e.g. forgotten): every session and API token of
    the account ends."""
    if by is not None and by.id == user.id:
        raise PermissionDenied("self_reset", "请在“我的账户”中修改自己的密码")
    passwords.check_policy(user.username, new)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(session, user)
    tokens.revoke_all(session, user.id)


def self_reset_mfa_denied() -> PermissionDenied:
    return PermissionDenied(
        "self_reset_mfa",
        "不能重置自己的双因素认证，请联系负责您账户的管理员",
        "nobody resets their own second factor",
    )


def reset_mfa(session: Session, user: User, *, by: User | None) -> None:
    """Forget the account's second factor (it enrols again at next login); its sessions and
    API tokens end. Never one's own: that would let a stolen session drop the second factor."""
    if by is not None and by.id == user.id:
        raise self_reset_mfa_denied()
    mfa.reset(user)
    user.totp_failures = 0
    end_all_sessions(session, user)
    tokens.revoke_all(session, user.id)
    session.flush()


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
    user.totp_failures = 0
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


def end_all_sessions(session: Session, user: User, *, keep_session_id: int | None = None) -> int:
    """Revoke the account's sessions (except ``keep_session_id``); returns how many ended."""
    query = select(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.revoked.is_(False)
    )
    if keep_session_id is not None:
        query = query.where(LoginSession.id != keep_session_id)
    sessions = session.scalars(query).all()
    for login in sessions:
        login.revoked = True
    session.flush()
    return len(sessions)


def log_out_everywhere(session: Session, user: User) -> int:
    """Every session and every API token of the account ends."""
    ended = end_all_sessions(session, user)
    tokens.revoke_all(session, user.id)
    return ended


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


# ---------------------------------------------------------------- second factor with lockout


def _count_mfa_failure(user: User, policy: LockoutPolicy) -> bool:
    """Count one wrong code; returns True when this failure locked the account."""
    user.totp_failures = (user.totp_failures or 0) + 1
    if user.totp_failures >= policy.mfa_max_failures:
        user.locked_until = utcnow() + timedelta(minutes=policy.lock_minutes)
        user.totp_failures = 0
        return True
    return False


def check_second_factor(
    session: Session,
    user: User,
    code: str,
    policy: LockoutPolicy | None = None,
    *,
    enrolment: bool = False,
) -> None:
    """Verify a TOTP code (``enrolment``: the code confirming a new secret). While the account
    is locked every code is refused; ``policy.mfa_max_failures`` wrong codes in a row lock it
    for ``policy.lock_minutes``. The failure count is flushed before raising: the caller commits
    it. Raises ``mfa_locked`` (the account is, or has just become, locked) or ``bad_totp``."""
    policy = policy or LockoutPolicy()
    if is_locked(user):
        raise mfa_locked()
    try:
        if enrolment:
            mfa.confirm_enrolment(user, code)
        else:
            mfa.verify(user, code)
    except ValidationFailed:
        locked = _count_mfa_failure(user, policy)
        session.flush()
        if locked:
            raise mfa_locked() from None
        raise
    user.totp_failures = 0
    session.flush()


# ---------------------------------------------------------------- notices


def add_notice(session: Session, user: User, *, action: str, summary: str, actor: str) -> None:
    session.add(
        AccountNotice(user_id=user.id, action=action, summary=summary[:500], actor=actor[:64])
    )
    session.flush()


def pending_notices(session: Session, user_id: int) -> Sequence[AccountNotice]:
    query = (
        select(AccountNotice)
        .where(AccountNotice.user_id == user_id, AccountNotice.acknowledged_at.is_(None))
        .order_by(AccountNotice.id)
    )
    return session.scalars(query).all()


def acknowledge_notices(session: Session, user_id: int) -> int:
    pending = pending_notices(session, user_id)
    for notice in pending:
        notice.acknowledged_at = utcnow()
    session.flush()
    return len(pending)
