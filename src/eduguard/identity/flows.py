"""Account management across domains: accounts live in units of the caller's scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from eduguard.errors import NotFound, ValidationFailed
from eduguard.identity import mfa
from eduguard.identity import service as identity_service
from eduguard.identity.models import User
from eduguard.identity.schemas import UserCreate, UserRead
from eduguard.orgs import service as orgs_service

ALL = "/"


def _scope_unit_ids(session: Session, scope: str) -> list[int] | None:
    if scope == ALL:
        return None
    return [
        u.id
        for u in orgs_service.list_units(
            session, scope=scope, include_archived=True, limit=1_000_000
        )
    ]


def list_accounts(session: Session, *, scope: str, search: str | None = None) -> Sequence[User]:
    return identity_service.list_users(
        session, unit_ids=_scope_unit_ids(session, scope), search=search
    )


def get_account(session: Session, user_id: int, *, scope: str) -> User:
    user = identity_service.get_user(session, user_id)
    if scope != ALL:
        if user.unit_id is None:
            raise NotFound("user_not_found", f"账户不存在：{user_id}", "account not found")
        try:
            orgs_service.get_unit(session, user.unit_id, scope=scope)
        except NotFound:
            raise NotFound(
                "user_not_found", f"账户不存在：{user_id}", "account not found"
            ) from None
    return user


def create_account(session: Session, data: UserCreate, *, by: User, scope: str) -> User:
    if data.unit_id is None and scope != ALL:
        raise ValidationFailed("unit_required", "请选择账户所属单位")
    if data.unit_id is not None:
        try:
            orgs_service.get_unit(session, data.unit_id, scope=scope)
        except NotFound:
            raise ValidationFailed(
                "unit_not_found",
                f"所属单位不存在：{data.unit_id}",
                details={"unit_id": data.unit_id},
            ) from None
    return identity_service.create_user(
        session,
        username=data.username,
        password=data.password,
        roles=set(data.roles),
        unit_id=data.unit_id,
        display_name=data.display_name,
        granted_by=by,
    )


def describe(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        unit_id=user.unit_id,
        roles=sorted(user.role_set),
        active=user.active,
        locked=identity_service.is_locked(user),
        locked_until=user.locked_until if identity_service.is_locked(user) else None,
        failed_logins=user.failed_logins,
        mfa_enrolled=mfa.enrolled(user),
    )
