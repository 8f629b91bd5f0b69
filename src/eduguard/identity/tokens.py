"""API tokens for machines: scoped to actions, revocable, shown once, stored as SHA-256.

Every token expires: at most ``max_days`` (EDUGUARD_TOKEN_MAX_DAYS) after its creation, also
one stored without an end (before migration 0011) or with an end beyond today's maximum. A
token ends with its account's password change or reset, second-factor reset, log-out-everywhere
and disabling (see identity.service).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.db.base import utcnow
from eduguard.errors import NotFound, ValidationFailed
from eduguard.identity.models import ApiToken, User

TOKEN_PREFIX = "egt_"  # noqa: S105 - a public marker, not a secret
MAX_DAYS = 366
DEFAULT_MAX_DAYS = 90


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create(
    session: Session,
    user: User,
    *,
    name: str,
    scopes: set[str],
    allowed: frozenset[str],
    days: int | None = None,
    max_days: int = DEFAULT_MAX_DAYS,
) -> tuple[str, ApiToken]:
    """Returns the raw token (shown once) and its record. Scopes must be actions the
    account holds now (``allowed``); they are re-checked against its roles on every use.
    ``days`` None: ``max_days``; never a token without an end."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("invalid_token_name", "令牌名称不能为空且不超过 100 个字符")
    if not scopes:
        raise ValidationFailed("empty_scopes", "请至少选择一项令牌权限")
    beyond = sorted(scopes - allowed)
    if beyond:
        raise ValidationFailed(
            "scope_not_held",
            f"不能授予本账户没有的权限：{'、'.join(beyond)}",
            f"scopes beyond the account's own: {beyond}",
        )
    limit = min(max_days, MAX_DAYS)
    days = limit if days is None else days
    if not 1 <= days <= limit:
        raise ValidationFailed(
            "invalid_token_days",
            f"有效期应为 1–{limit} 天",
            f"a token lives 1 to {limit} days",
            details={"max_days": limit},
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=_digest(raw),
        scopes=" ".join(sorted(scopes)),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return raw, token


def effective_expiry(token: ApiToken, max_days: int = DEFAULT_MAX_DAYS) -> datetime:
    """When the token ends: its own end, never later than ``max_days`` after its creation."""
    cap = token.created_at + timedelta(days=min(max_days, MAX_DAYS))
    return cap if token.expires_at is None else min(token.expires_at, cap)


def resolve(session: Session, raw: str, max_days: int = DEFAULT_MAX_DAYS) -> ApiToken | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if effective_expiry(token, max_days) <= utcnow():
        return None
    token.last_used_at = utcnow()
    return token


def list_for(session: Session, user_id: int) -> Sequence[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return session.scalars(query).all()


def revoke(session: Session, user_id: int, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound("token_not_found", "令牌不存在")
    token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return token


def revoke_all(session: Session, user_id: int) -> None:
    for token in list_for(session, user_id):
        token.revoked_at = token.revoked_at or utcnow()
    session.flush()
