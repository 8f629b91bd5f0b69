"""Account management across domains: accounts live in units of the caller's scope; acts on
roles and credentials follow the 三员分立 stewardship rule (identity.separation), are audited,
and are shown to an affected administrator after their next login."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from eduguard.audit import service as audit_service
from eduguard.errors import NotFound, PermissionDenied, ValidationFailed
from eduguard.identity import mfa, separation
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role, User
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


ROLE_NAMES: dict[Role, str] = {
    Role.system_admin: "系统管理员",
    Role.security_admin: "安全管理员",
    Role.audit_admin: "审计管理员",
    Role.data_owner: "数据主管",
    Role.data_operator: "数据运营",
    Role.data_user: "数据使用",
    Role.pi_officer: "个人信息保护负责人",
    Role.supervisor: "上级监管",
}


def _names(roles: frozenset[Role] | set[Role]) -> str:
    return "、".join(ROLE_NAMES[r] for r in sorted(roles)) or "无角色"


def separation_denied(what: str, roles: frozenset[Role] | set[Role]) -> PermissionDenied:
    stewards = separation.account_stewards(roles)
    who = _names(set(stewards)) if stewards else "服务器运维人员在命令行"
    return PermissionDenied(
        "separation_of_duties",
        f"三员分立：{what}（涉及角色：{_names(roles)}）只能由{who}办理",
        f"separation of duties: only {sorted(stewards) or 'the CLI'} may do this "
        f"for roles {sorted(roles)}",
        details={"roles": sorted(str(r) for r in roles)},
    )


def _require_steward(by: User | None, roles: frozenset[Role] | set[Role], what: str) -> None:
    """``by`` None: the shell CLI (the server's operator), which the rule does not bind."""
    if by is not None and not separation.may_steward(by.role_set, roles):
        raise separation_denied(what, roles)


def _actor_name(session: Session, by: User | None) -> str:
    if by is not None:
        return by.username
    actor = audit_service.bound_actor(session)
    return actor.username if actor is not None else "system"


def _acted(
    session: Session,
    user: User,
    *,
    action: str,
    summary: str,
    by: User | None,
    roles_before: frozenset[Role],
) -> None:
    """Audit an act on ``user``'s roles or credentials; notify the account if it is (or was)
    an administrator's."""
    audit_service.record(
        session, action=action, object_type="user", object_id=user.id, reason=summary
    )
    if (roles_before | user.role_set) & separation.NOTIFIED_ROLES:
        identity_service.add_notice(
            session, user, action=action, summary=summary, actor=_actor_name(session, by)
        )


def changeable_roles(by_roles: frozenset[Role], by_id: int, user: User) -> frozenset[Role]:
    """The roles a holder of ``by_roles`` may tick or untick on ``user`` from the console, as
    :func:`change_roles` would allow them: none on one's own account or on an account one does
    not steward as it is; otherwise each role whose steward one is."""
    if by_id == user.id or not separation.may_steward(by_roles, user.role_set):
        return frozenset()
    return frozenset(r for r in Role if separation.may_steward(by_roles, {r}))


def change_roles(session: Session, user: User, roles: set[Role], *, by: User | None) -> User:
    before = user.role_set
    identity_service.check_separation(roles)
    # The account as it is (role-less: the system administrator's), and every role it gets.
    _require_steward(by, before, "修改该账户的角色")
    if roles:
        _require_steward(by, before | roles, "授予或收回角色")
    identity_service.set_roles(session, user, roles, granted_by=by)
    if user.role_set != before:
        _acted(
            session,
            user,
            action="user.roles_changed",
            summary=f"账户 {user.username} 的角色由“{_names(before)}”改为“{_names(user.role_set)}”",
            by=by,
            roles_before=before,
        )
    return user


def reset_password(session: Session, user: User, new: str, *, by: User | None) -> None:
    _require_steward(by, user.role_set, "重置该账户的密码")
    identity_service.reset_password(session, user, new, by=by)
    _acted(
        session,
        user,
        action="user.reset_password",
        summary=f"账户 {user.username} 的密码被重置，其会话与 API 令牌均已失效",
        by=by,
        roles_before=user.role_set,
    )


def reset_mfa(session: Session, user: User, *, by: User | None) -> None:
    if by is not None and by.id == user.id:
        raise identity_service.self_reset_mfa_denied()
    _require_steward(by, user.role_set, "重置该账户的双因素认证")
    identity_service.reset_mfa(session, user, by=by)
    _acted(
        session,
        user,
        action="user.reset_mfa",
        summary=f"账户 {user.username} 的双因素认证被重置（须重新绑定），其会话与 API 令牌均已失效",
        by=by,
        roles_before=user.role_set,
    )


def set_active(session: Session, user: User, active: bool, *, by: User | None) -> User:
    was = user.active
    identity_service.set_active(session, user, active, by=by)
    if was != active:
        _acted(
            session,
            user,
            action="user.enable" if active else "user.disable",
            summary=f"账户 {user.username} 被{'重新启用' if active else '停用'}",
            by=by,
            roles_before=user.role_set,
        )
    return user


def create_account(session: Session, data: UserCreate, *, by: User | None, scope: str) -> User:
    identity_service.check_separation(set(data.roles))
    _require_steward(by, set(data.roles), "创建带有该角色的账户")
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
    user = identity_service.create_user(
        session,
        username=data.username,
        password=data.password,
        roles=set(data.roles),
        unit_id=data.unit_id,
        display_name=data.display_name,
        granted_by=by,
    )
    record_created(session, user, by=by)
    return user


def record_created(session: Session, user: User, *, by: User | None) -> None:
    """An administrator's account, once created, is told by whom (at its first login)."""
    if user.role_set & separation.NOTIFIED_ROLES:
        _acted(
            session,
            user,
            action="user.created",
            summary=(
                f"账户 {user.username} 由 {_actor_name(session, by)} 创建，"
                f"角色：{_names(user.role_set)}"
            ),
            by=by,
            roles_before=frozenset(),
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
