"""Account and role management: system administrators manage, security administrators see
(and lift) lockouts. Creating accounts, granting roles and resetting credentials
(``user:credentials``) also follow the 三员分立 stewardship rule (identity.separation): a refusal
answers 403 and is an audit event. Scope follows the unit tree like everything else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from eduguard.access.policy import ROLE_LABELS, Principal
from eduguard.audit import service as audit_service
from eduguard.errors import EduguardError, PermissionDenied
from eduguard.identity import flows as identity_flows
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role, User
from eduguard.identity.schemas import PasswordReset, RolesUpdate, UserCreate, UserRead
from eduguard.orgs import service as orgs_service
from eduguard.web.deps import DbSession, language, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id
from eduguard.web.render import page
from eduguard.web.routes.forms import parse

router = APIRouter()
Reader = Annotated[Principal, permission("user:read")]
Manager = Annotated[Principal, permission("user:manage")]
Unlocker = Annotated[Principal, permission("user:unlock")]
Steward = Annotated[Principal, permission("user:credentials")]
T = TypeVar("T")


def _audited_denial(
    request: Request, session: DbSession, target: object, act: Callable[[], T]
) -> T:
    """Run ``act``; a refusal under the separation of duties (or of a self-reset) is recorded
    as an ``access.denied`` event that outlives the request's rollback, then raised."""
    try:
        return act()
    except PermissionDenied as exc:
        request.state.refusal_recorded = True  # the error handler must not record it twice
        audit_service.record_separately(
            request.app.state.session_factory,
            session=session,
            action="access.denied",
            object_type="user",
            object_id=str(target),
            result="denied",
            reason=f"{exc.code}: {exc.message_zh}",
        )
        raise


def _me(session: DbSession, caller: Principal) -> User:
    return identity_service.get_user(session, caller.user_id)


def _role_choices(lang: str) -> list[tuple[str, str]]:
    return [(role.value, ROLE_LABELS[role][1 if lang == "en" else 0]) for role in Role]


def _list_page(
    request: Request, session: DbSession, caller: Principal, status: int = 200, **context: object
) -> HTMLResponse:
    users = identity_flows.list_accounts(session, scope=caller.scope)
    # Per account, the role boxes this caller may change (三员分立, never one's own roles): the
    # others are shown disabled, and a row with none shows its roles as text, with no button.
    changeable = {
        u.id: {r.value for r in identity_flows.changeable_roles(caller.roles, caller.user_id, u)}
        for u in users
    }
    units = {
        u.id: u.name for u in orgs_service.list_units(session, scope=caller.scope, limit=100_000)
    }
    return page(
        request,
        "users.html",
        status_code=status,
        users=[identity_flows.describe(u) for u in users],
        units=units,
        role_choices=_role_choices(language(request)),
        role_labels={r.value: ROLE_LABELS[r][0] for r in Role},
        can_manage="user:manage" in _granted(caller),
        can_steward="user:credentials" in _granted(caller),
        changeable=changeable,
        me=caller.user_id,
        **context,
    )


def _granted(caller: Principal) -> set[str]:
    from eduguard.access.policy import actions_of

    return set(actions_of(caller.roles))


@router.get("/users", include_in_schema=False)
def users_page(request: Request, caller: Reader, session: DbSession) -> HTMLResponse:
    return _list_page(request, session, caller)


@router.post("/users/new", include_in_schema=False)
async def user_create_page(request: Request, caller: Steward, session: DbSession) -> Response:
    form = await request.form()
    data, errors = parse(UserCreate, form, language(request))
    status = 422
    if data is not None:
        body = data
        try:
            with session.begin_nested():
                _audited_denial(
                    request,
                    session,
                    body.username,
                    lambda: identity_flows.create_account(
                        session, body, by=_me(session, caller), scope=caller.scope
                    ),
                )
            return see_other(
                request,
                "/users",
                f"已创建账户“{body.username}”",
                f"Account “{body.username}” created",
            )
        except EduguardError as exc:
            errors = [exc.message(language(request))]
            status = exc.status_code
    return _list_page(request, session, caller, status=status, errors=errors)


@router.post("/users/{user_id}/roles", include_in_schema=False)
async def user_roles_page(
    request: Request, user_id: Id, caller: Steward, session: DbSession
) -> Response:
    form = await request.form()
    roles = {Role(r) for r in form.getlist("roles") if isinstance(r, str) and r in Role.__members__}
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    try:
        with session.begin_nested():
            _audited_denial(
                request,
                session,
                user_id,
                lambda: identity_flows.change_roles(session, user, roles, by=_me(session, caller)),
            )
    except EduguardError as exc:
        return _list_page(
            request,
            session,
            caller,
            status=exc.status_code,
            errors=[exc.message(language(request))],
        )
    return see_other(
        request,
        "/users",
        f"已更新账户“{user.username}”的角色",
        f"Roles of “{user.username}” updated",
    )


@router.post("/users/{user_id}/disable", include_in_schema=False)
def user_disable_page(
    request: Request, user_id: Id, caller: Manager, session: DbSession
) -> Response:
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    identity_flows.set_active(session, user, False, by=_me(session, caller))
    return see_other(
        request, "/users", f"已停用账户“{user.username}”", f"Account “{user.username}” disabled"
    )


@router.post("/users/{user_id}/enable", include_in_schema=False)
def user_enable_page(
    request: Request, user_id: Id, caller: Manager, session: DbSession
) -> Response:
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    identity_flows.set_active(session, user, True, by=_me(session, caller))
    return see_other(
        request, "/users", f"已启用账户“{user.username}”", f"Account “{user.username}” enabled"
    )


@router.post("/users/{user_id}/reset-mfa", include_in_schema=False)
def user_reset_mfa_page(
    request: Request, user_id: Id, caller: Steward, session: DbSession
) -> Response:
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    try:
        with session.begin_nested():
            _audited_denial(
                request,
                session,
                user_id,
                lambda: identity_flows.reset_mfa(session, user, by=_me(session, caller)),
            )
    except EduguardError as exc:
        return _list_page(
            request,
            session,
            caller,
            status=exc.status_code,
            errors=[exc.message(language(request))],
        )
    return see_other(
        request,
        "/users",
        f"已重置账户“{user.username}”的双因素认证",
        f"Second factor of “{user.username}” reset",
    )


@router.post("/users/{user_id}/unlock", include_in_schema=False)
def user_unlock_page(
    request: Request, user_id: Id, caller: Unlocker, session: DbSession
) -> Response:
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    identity_service.unlock(session, user)
    return see_other(
        request, "/users", f"已解锁账户“{user.username}”", f"Account “{user.username}” unlocked"
    )


# ---------------------------------------------------------------- API


@router.get("/api/v1/users", tags=["users"])
def api_users(caller: Reader, session: DbSession, search: str | None = None) -> list[UserRead]:
    users = identity_flows.list_accounts(
        session, scope=caller.scope, search=(search or "")[:64] or None
    )
    return [identity_flows.describe(u) for u in users]


@router.post("/api/v1/users", tags=["users"], status_code=201)
def api_create_user(
    request: Request, body: UserCreate, caller: Steward, session: DbSession
) -> UserRead:
    """Create an account; the roles given must be ones the caller stewards (三员分立)."""
    user = _audited_denial(
        request,
        session,
        body.username,
        lambda: identity_flows.create_account(
            session, body, by=_me(session, caller), scope=caller.scope
        ),
    )
    return identity_flows.describe(user)


@router.get("/api/v1/users/{user_id}", tags=["users"])
def api_user(user_id: Id, caller: Reader, session: DbSession) -> UserRead:
    return identity_flows.describe(identity_flows.get_account(session, user_id, scope=caller.scope))


@router.put("/api/v1/users/{user_id}/roles", tags=["users"])
def api_set_roles(
    request: Request, user_id: Id, body: RolesUpdate, caller: Steward, session: DbSession
) -> UserRead:
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    _audited_denial(
        request,
        session,
        user_id,
        lambda: identity_flows.change_roles(
            session, user, set(body.roles), by=_me(session, caller)
        ),
    )
    return identity_flows.describe(user)


@router.post("/api/v1/users/{user_id}/disable", tags=["users"])
def api_disable(user_id: Id, caller: Manager, session: DbSession) -> UserRead:
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    identity_flows.set_active(session, user, False, by=_me(session, caller))
    return identity_flows.describe(user)


@router.post("/api/v1/users/{user_id}/enable", tags=["users"])
def api_enable(user_id: Id, caller: Manager, session: DbSession) -> UserRead:
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    identity_flows.set_active(session, user, True, by=_me(session, caller))
    return identity_flows.describe(user)


@router.post("/api/v1/users/{user_id}/reset-mfa", tags=["users"])
def api_reset_mfa(request: Request, user_id: Id, caller: Steward, session: DbSession) -> UserRead:
    """Forget an account's second factor (never one's own; its sessions and tokens end)."""
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    _audited_denial(
        request,
        session,
        user_id,
        lambda: identity_flows.reset_mfa(session, user, by=_me(session, caller)),
    )
    return identity_flows.describe(user)


@router.post("/api/v1/users/{user_id}/reset-password", tags=["users"])
def api_reset_password(
    request: Request, user_id: Id, body: PasswordReset, caller: Steward, session: DbSession
) -> UserRead:
    """Set a new password for an account (its sessions and tokens end); never one's own."""
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    _audited_denial(
        request,
        session,
        user_id,
        lambda: identity_flows.reset_password(
            session, user, body.password, by=_me(session, caller)
        ),
    )
    return identity_flows.describe(user)


@router.post("/api/v1/users/{user_id}/unlock", tags=["users"])
def api_unlock(user_id: Id, caller: Unlocker, session: DbSession) -> UserRead:
    user = identity_flows.get_account(session, user_id, scope=caller.scope)
    return identity_flows.describe(identity_service.unlock(session, user))
