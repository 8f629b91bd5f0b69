"""Small typed dependencies: the request's transaction, the caller, the permission it needs."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from eduguard.access.policy import AUTHENTICATED, MFA_PENDING, PUBLIC, Decision, Principal, decide
from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.config import Settings
from eduguard.errors import NotAuthenticated, PermissionDenied
from eduguard.identity import service as identity_service
from eduguard.identity import tokens as identity_tokens
from eduguard.identity.models import LoginSession, User
from eduguard.orgs import service as orgs_service

SESSION_COOKIE = "eg_session"
LANG_COOKIE = "lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACTION_ATTRIBUTE = "eduguard_action"


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back on error."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a failed commit is never a 200.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, request.app.state.settings.language)
    return lang if lang in ("zh", "en") else "zh"


Language = Annotated[str, Depends(language)]


def current_login(request: Request, session: DbSession) -> LoginSession | None:
    if getattr(request.state, "login_resolved", False):
        cached: LoginSession | None = request.state.login
        return cached
    login = identity_service.resolve_session(session, request.cookies.get(SESSION_COOKIE))
    request.state.login = login
    request.state.login_resolved = True
    # Plain copy for pages rendered after the transaction ended (error pages).
    request.state.csrf_token = login.csrf_token if login is not None else ""
    request.state.mfa_pending = login is not None and not login.mfa_verified
    return login


def _unit_path(session: Session, unit_id: int | None) -> str:
    return "/" if unit_id is None else orgs_service.get_unit(session, unit_id).path


def _principal(
    session: Session, user: User, token_scopes: frozenset[str] | None = None
) -> Principal:
    unit_path = _unit_path(session, user.unit_id)
    return Principal(
        user.id, user.username, user.role_set, unit_path, user.unit_id, token_scopes=token_scopes
    )


def principal_of(session: Session, login: LoginSession) -> Principal:
    return _principal(session, login.user)


def _token_principal(session: Session, raw: str, max_days: int) -> Principal:
    token = identity_tokens.resolve(session, raw, max_days)
    if token is None:
        raise NotAuthenticated("bad_token", "API 令牌无效、已过期或已撤销", "invalid API token")
    return _principal(session, token.user, token.scope_set)


async def _csrf_ok(request: Request, login: LoginSession) -> bool:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent, login.csrf_token)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def audit_actor(request: Request, principal: Principal, reason: str | None) -> Actor:
    via = "（API 令牌）" if principal.token_scopes is not None else ""
    return Actor(
        username=principal.username,
        user_id=principal.user_id,
        roles=tuple(sorted(role.value for role in principal.roles)),
        unit_id=principal.unit_id,
        unit_path=principal.unit_path,
        client_address=client_address(request),
        reason=f"{reason}{via}" if reason else None,
    )


def _object_id(request: Request) -> str | None:
    """The path's object id (``/systems/{system_id}`` → its value), if any."""
    ids = [str(value) for key, value in request.path_params.items() if key.endswith("id")]
    return ",".join(ids) or None


def mfa_required_error() -> NotAuthenticated:
    return NotAuthenticated("mfa_required", "请先完成双因素认证", "second factor required")


def permission(action: str) -> Any:
    """Declare the action a route needs. Returns the caller (``Principal``, or None if public).

    Denials raise: 401 when not logged in (or the second factor is pending), 403 when the role
    lacks the action. Unit scope is applied by the services (out-of-scope objects are "not
    found"). Cookie sessions must send the CSRF token on unsafe methods; API tokens need not.
    """

    async def dependency(request: Request, session: DbSession) -> Principal | None:
        if action == PUBLIC:
            request.state.decision = decide(None, PUBLIC)
            return None
        authorization = request.headers.get("authorization", "")
        login: LoginSession | None = None
        if authorization.lower().startswith("bearer "):
            max_days = request.app.state.settings.token_max_days
            principal = _token_principal(session, authorization[7:].strip(), max_days)
        else:
            login = current_login(request, session)
            if login is None:
                raise NotAuthenticated("not_authenticated", "请先登录", "please log in")
            if not login.mfa_verified and action != MFA_PENDING:
                raise mfa_required_error()
            principal = principal_of(session, login)
        decision: Decision = decide(principal, action)
        request.state.decision = decision
        request.state.principal = principal
        actor = audit_actor(request, principal, decision.reason)
        audit_service.bind_actor(session, actor)
        if not decision.allowed:
            # The request's transaction rolls back: the denial is recorded in one of its own.
            audit_service.record_separately(
                request.app.state.session_factory,
                session=session,  # written after this request's rollback releases its locks
                actor=actor,
                action="access.denied",
                object_type=action,
                object_id=_object_id(request),
                result="denied",
                reason=decision.reason,
            )
            raise PermissionDenied(
                "permission_denied", f"无权操作：{decision.reason}", decision.reason
            )
        if request.method == "GET" and action.endswith((":read", ":export")):
            # Queries are data operations too (notice item 6): one event per request.
            audit_service.record(
                session,
                action=action.replace(":", "."),
                object_type=action.split(":", 1)[0],
                object_id=_object_id(request),
            )
        if (
            login is not None
            and request.method not in SAFE_METHODS
            and not await _csrf_ok(request, login)
        ):
            raise PermissionDenied(
                "csrf_failed", "表单已失效，请刷新页面后重试", "CSRF token missing or wrong"
            )
        return principal

    setattr(dependency, ACTION_ATTRIBUTE, action)
    return Depends(dependency)


def declared_actions(call: Callable[..., Any]) -> str | None:
    action = getattr(call, ACTION_ATTRIBUTE, None)
    return action if isinstance(action, str) else None


Caller = Annotated[Principal, permission(AUTHENTICATED)]
