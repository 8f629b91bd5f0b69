""" "My account": sessions, API tokens, password, TOTP enrolment, the notices of what others did
to the account — console and API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from eduguard.access.policy import ACTIONS, AUTHENTICATED, MFA_PENDING, Principal, actions_of
from eduguard.audit import service as audit_service
from eduguard.errors import EduguardError, PermissionDenied
from eduguard.identity import mfa, tokens
from eduguard.identity import service as identity_service
from eduguard.identity.models import LoginSession, User
from eduguard.validation import RequestModel
from eduguard.web.deps import (
    SESSION_COOKIE,
    AppSettings,
    DbSession,
    current_login,
    language,
    permission,
    writes,
)
from eduguard.web.flash import see_other
from eduguard.web.params import Id
from eduguard.web.render import page, qr_svg

router = APIRouter()
Caller = Annotated[Principal, permission(AUTHENTICATED)]
Pending = Annotated[Principal, permission(MFA_PENDING)]


class SessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    expires_at: datetime
    client_address: str | None
    user_agent: str | None


class TokenCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=50)
    # None or missing: EDUGUARD_TOKEN_MAX_DAYS; never a token without an end.
    days: int | None = Field(default=None, ge=1, le=366)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    scopes: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str  # shown once


class NoticeRead(BaseModel):
    """What someone else did to this account (roles, password, second factor)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    action: str
    summary: str
    actor: str
    created_at: datetime


def notices_of(session: DbSession, user_id: int) -> list[NoticeRead]:
    return [
        NoticeRead.model_validate(n) for n in identity_service.pending_notices(session, user_id)
    ]


def lockout_policy(settings: AppSettings) -> identity_service.LockoutPolicy:
    return identity_service.LockoutPolicy(
        settings.login_max_failures, settings.login_lock_minutes, settings.mfa_max_failures
    )


def _user(session: DbSession, caller: Principal) -> User:
    """The caller's own account. API tokens cannot manage the account that issued them (a
    narrowly scoped token must not mint a broader one)."""
    if caller.token_scopes is not None:
        raise PermissionDenied(
            "token_not_allowed",
            "API 令牌不能管理账户、会话或令牌",
            "API tokens cannot manage accounts",
        )
    return identity_service.get_user(session, caller.user_id)


def _token_choices(caller: Principal) -> list[tuple[str, str]]:
    return [(action, ACTIONS[action]) for action in sorted(actions_of(caller.roles))]


def _account_page(
    request: Request, session: DbSession, caller: Principal, status: int = 200, **context: object
) -> HTMLResponse:
    user = _user(session, caller)
    login = current_login(request, session)
    return page(
        request,
        "account.html",
        status_code=status,
        user=user,
        sessions=identity_service.active_sessions(session, user),
        current_session_id=login.id if login is not None else None,
        tokens=tokens.list_for(session, user.id),
        scope_choices=_token_choices(caller),
        mfa_enrolled=mfa.enrolled(user),
        mfa_required=mfa.required_for(user),
        **context,
    )


@router.get("/account", include_in_schema=False)
def account_page(request: Request, caller: Caller, session: DbSession) -> HTMLResponse:
    return _account_page(request, session, caller)


@router.post("/account/sessions/{session_id}/revoke", include_in_schema=False)
def revoke_session_page(
    request: Request, session_id: Id, caller: Caller, session: DbSession
) -> Response:
    identity_service.end_own_session(session, _user(session, caller), session_id)
    return see_other(request, "/account", "已注销该登录会话", "Session logged out")


@router.post("/account/logout-everywhere", include_in_schema=False)
def logout_everywhere_page(caller: Caller, session: DbSession) -> Response:
    identity_service.log_out_everywhere(session, _user(session, caller))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/tokens", include_in_schema=False)
async def create_token_page(
    request: Request, caller: Caller, session: DbSession, settings: AppSettings
) -> Response:
    form = await request.form()
    name = str(form.get("name") or "")
    scopes = {str(s) for s in form.getlist("scopes")}
    days_raw = str(form.get("days") or settings.token_max_days)
    try:
        raw, _token = tokens.create(
            session,
            _user(session, caller),
            name=name,
            scopes=scopes,
            allowed=actions_of(caller.roles),
            days=int(days_raw) if days_raw.isdigit() and len(days_raw) < 6 else 0,
            max_days=settings.token_max_days,
        )
    except EduguardError as exc:
        return _account_page(
            request,
            session,
            caller,
            status=exc.status_code,
            errors=[exc.message(language(request))],
        )
    return _account_page(request, session, caller, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token_page(
    request: Request, token_id: Id, caller: Caller, session: DbSession
) -> Response:
    tokens.revoke(session, _user(session, caller).id, token_id)
    return see_other(request, "/account", "已撤销该 API 令牌", "API token revoked")


@router.post("/account/password", include_in_schema=False)
def change_password_page(
    request: Request,
    caller: Caller,
    session: DbSession,
    old_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
) -> Response:
    login = current_login(request, session)
    try:
        with session.begin_nested():
            identity_service.change_password(
                session,
                _user(session, caller),
                old_password,
                new_password,
                keep_session_id=login.id if login is not None else None,
            )
    except EduguardError as exc:
        return _account_page(
            request,
            session,
            caller,
            status=exc.status_code,
            errors=[exc.message(language(request))],
        )
    return see_other(
        request,
        "/account",
        "密码已修改；其他会话与全部 API 令牌均已失效",
        "Password changed; your other sessions and every API token have ended",
    )


def _current(request: Request, session: DbSession) -> LoginSession:
    login = current_login(request, session)
    assert login is not None  # cookie sessions only: guaranteed by the permission check
    return login


@router.get("/account/mfa", include_in_schema=False)
@writes  # stores the new (unconfirmed) secret
def mfa_enrol_page(request: Request, caller: Pending, session: DbSession) -> Response:
    login = _current(request, session)
    user = login.user
    if mfa.enrolled(user):
        # Enrolled already: a pending session proves the code on /login/mfa, never re-enrols.
        target = "/login/mfa" if not login.mfa_verified else "/account"
        return RedirectResponse(target, status_code=303)
    uri = mfa.begin_enrolment(user)
    session.flush()
    return page(
        request, "mfa_enrol.html", qr_svg=qr_svg(uri), key=mfa.manual_key(user), account=user
    )


@router.post("/account/mfa", include_in_schema=False)
def mfa_enrol_confirm(
    request: Request,
    caller: Pending,
    session: DbSession,
    settings: AppSettings,
    code: Annotated[str, Form(max_length=10)],
) -> Response:
    login = _current(request, session)
    user = login.user
    if mfa.enrolled(user):
        return RedirectResponse("/account", status_code=303)
    try:
        identity_service.check_second_factor(
            session, user, code, lockout_policy(settings), enrolment=True
        )
    except EduguardError as exc:
        audit_service.record(
            session,
            action="auth.mfa_enrol_failed",
            object_type="user",
            object_id=user.id,
            result="failed",
            reason=exc.code,
        )
        if exc.code == "mfa_locked":
            identity_service.end_session(session, login)  # start again after the lock
            response = RedirectResponse("/login", status_code=303)
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        uri = mfa.provisioning_uri(user)
        return page(
            request,
            "mfa_enrol.html",
            status_code=exc.status_code,
            qr_svg=qr_svg(uri),
            key=mfa.manual_key(user),
            account=user,
            errors=[exc.message(language(request))],
        )
    login.mfa_verified = True
    audit_service.record(session, action="auth.mfa_enrol", object_type="user", object_id=user.id)
    session.flush()
    pending = identity_service.pending_notices(session, user.id)
    target = "/account/notices" if pending else "/account"
    return see_other(request, target, "已绑定双因素认证", "Two-factor authentication is on")


@router.get("/account/notices", include_in_schema=False)
def notices_page(request: Request, caller: Caller, session: DbSession) -> HTMLResponse:
    user = _user(session, caller)
    return page(request, "account_notices.html", notices=notices_of(session, user.id))


@router.post("/account/notices/acknowledge", include_in_schema=False)
def acknowledge_notices_page(request: Request, caller: Caller, session: DbSession) -> Response:
    user = _user(session, caller)
    count = identity_service.acknowledge_notices(session, user.id)
    audit_service.record(
        session,
        action="account.notices_acknowledged",
        object_type="user",
        object_id=user.id,
        row_count=count,
    )
    return see_other(request, "/", "已确认安全提示", "Notices acknowledged")


# ---------------------------------------------------------------- API


@router.get("/api/v1/account/sessions", tags=["account"])
def api_sessions(caller: Caller, session: DbSession) -> list[SessionRead]:
    user = _user(session, caller)
    return [SessionRead.model_validate(s) for s in identity_service.active_sessions(session, user)]


@router.post("/api/v1/account/sessions/{session_id}/revoke", tags=["account"], status_code=204)
def api_revoke_session(session_id: Id, caller: Caller, session: DbSession) -> Response:
    identity_service.end_own_session(session, _user(session, caller), session_id)
    return Response(status_code=204)


@router.post("/api/v1/account/logout-everywhere", tags=["account"])
def api_logout_everywhere(caller: Caller, session: DbSession) -> dict[str, int]:
    """End every session and revoke every API token of the account."""
    ended = identity_service.log_out_everywhere(session, _user(session, caller))
    return {"sessions_ended": ended}


@router.get("/api/v1/account/tokens", tags=["account"])
def api_tokens(caller: Caller, session: DbSession) -> list[TokenRead]:
    user = _user(session, caller)
    return [TokenRead.model_validate(t) for t in tokens.list_for(session, user.id)]


@router.post("/api/v1/account/tokens", tags=["account"], status_code=201)
def api_create_token(
    body: TokenCreate, caller: Caller, session: DbSession, settings: AppSettings
) -> TokenCreated:
    """Create an API token; the token itself is in this answer only, never again. It lives
    ``days`` (at most, and by default, EDUGUARD_TOKEN_MAX_DAYS)."""
    raw, token = tokens.create(
        session,
        _user(session, caller),
        name=body.name,
        scopes=set(body.scopes),
        allowed=actions_of(caller.roles),
        days=body.days,
        max_days=settings.token_max_days,
    )
    return TokenCreated(**TokenRead.model_validate(token).model_dump(), token=raw)


@router.post("/api/v1/account/tokens/{token_id}/revoke", tags=["account"])
def api_revoke_token(token_id: Id, caller: Caller, session: DbSession) -> TokenRead:
    user = _user(session, caller)
    return TokenRead.model_validate(tokens.revoke(session, user.id, token_id))


@router.get("/api/v1/account/notices", tags=["account"])
def api_notices(caller: Caller, session: DbSession) -> list[NoticeRead]:
    """What others did to this account (roles, password, second factor), until acknowledged."""
    return notices_of(session, _user(session, caller).id)


@router.post("/api/v1/account/notices/acknowledge", tags=["account"])
def api_acknowledge_notices(caller: Caller, session: DbSession) -> dict[str, int]:
    user = _user(session, caller)
    count = identity_service.acknowledge_notices(session, user.id)
    audit_service.record(
        session,
        action="account.notices_acknowledged",
        object_type="user",
        object_id=user.id,
        row_count=count,
    )
    return {"acknowledged": count}
