"""Login (password, then TOTP where enrolled), logout, for the console and the API.

Brute force from one client is slowed (a per-client rate limit answers 429) and then stopped
(the account locks for a cool-down after repeated failures; the lock is in the database and
visible to the security administrator). Wrong second-factor codes count the same way
(EDUGUARD_MFA_MAX_FAILURES), and while the account is locked even the right code is refused.
After login, an administrator whose account others changed (roles, password, second factor) is
shown what was done, by whom and when, until acknowledged (/account/notices).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from eduguard.access.policy import AUTHENTICATED, MFA_PENDING, PUBLIC, ROLE_LABELS, Principal
from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.errors import EduguardError, NotAuthenticated, PermissionDenied, RateLimited
from eduguard.identity import mfa
from eduguard.identity import service as identity_service
from eduguard.identity.models import User
from eduguard.validation import RequestModel
from eduguard.web.deps import (
    SESSION_COOKIE,
    AppSettings,
    DbSession,
    client_address,
    current_login,
    language,
    permission,
)
from eduguard.web.render import page
from eduguard.web.routes.account import NoticeRead, lockout_policy, notices_of

router = APIRouter()
Public = Annotated[None, permission(PUBLIC)]
Caller = Annotated[Principal, permission(AUTHENTICATED)]
Pending = Annotated[Principal, permission(MFA_PENDING)]
LOGIN_CSRF_COOKIE = "eg_login_csrf"


class LoginRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, max_length=10)


class LoginResult(BaseModel):
    username: str
    roles: list[str]
    csrf_token: str
    # What others did to this account since (roles, password, second factor): acknowledge at
    # POST /api/v1/account/notices/acknowledge.
    notices: list[NoticeRead] = []


class Me(BaseModel):
    username: str
    roles: list[str]
    role_labels: list[str]
    unit_path: str
    mfa_enrolled: bool


def _set_session_cookie(response: Response, token: str, settings: AppSettings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        path="/",
    )


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _client(request: Request) -> str:
    return client_address(request) or "unknown"


def _throttle(request: Request, session: Session, username: str) -> None:
    wait = request.app.state.login_limiter.hit(_client(request))
    if wait:
        seconds = int(wait) + 1
        # A refused attempt is an event, written once this request's transaction has ended.
        request.state.refusal_recorded = True
        audit_service.record_separately(
            request.app.state.session_factory,
            session=session,
            actor=Actor(username=username.strip()[:64] or "-", client_address=_client(request)),
            action="auth.rate_limited",
            result="denied",
            reason=f"登录尝试过于频繁（每分钟最多 {request.app.state.login_limiter.limit} 次）",
        )
        raise RateLimited(
            "login_rate_limited",
            f"登录尝试过于频繁，请 {seconds} 秒后再试",
            f"too many login attempts; retry in {seconds} s",
            details={"retry_after": seconds},
        )


def _password_step(
    request: Request, session: Session, settings: AppSettings, username: str, password: str
) -> User:
    """Check the password; a failure is committed at once so the lockout counts it."""
    _throttle(request, session, username)
    policy = lockout_policy(settings)
    attempt = Actor(username=username.strip()[:64] or "-", client_address=_client(request))
    try:
        user = identity_service.authenticate(session, username, password, policy)
    except EduguardError as exc:
        audit_service.record(
            session, action="auth.login_failed", result="failed", reason=exc.code, actor=attempt
        )
        request.state.refusal_recorded = True
        session.commit()  # the failure count and its event outlive the failed request
        raise
    audit_service.bind_actor(
        session,
        Actor(
            username=user.username,
            user_id=user.id,
            roles=tuple(sorted(r.value for r in user.role_set)),
            unit_id=user.unit_id,
            client_address=_client(request),
            reason="密码验证通过",
        ),
    )
    audit_service.record(session, action="auth.login", object_type="user", object_id=user.id)
    return user


def _login_form(request: Request, status: int = 200, **context: object) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", status_code=status, login_csrf=token, **context)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, _: Public, next: str = "/") -> HTMLResponse:
    return _login_form(request, next=_safe_next(next))


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    _: Public,
    session: DbSession,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    login_csrf: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, login_csrf):
        raise PermissionDenied("csrf_failed", "登录表单已失效，请刷新页面后重试")
    try:
        user = _password_step(request, session, settings, username, password)
    except EduguardError as exc:
        return _login_form(
            request,
            status=exc.status_code,
            next=_safe_next(next),
            username=username,
            errors=[exc.message(language(request))],
        )
    # Demo homes skip the enrolment requirement (not the check of an enrolled code).
    verified = not mfa.enrolled(user) and (not mfa.required_for(user) or settings.demo)
    token, _login = identity_service.start_session(
        session,
        user,
        hours=settings.session_hours,
        mfa_verified=verified,
        client_address=_client(request),
        user_agent=request.headers.get("user-agent"),
    )
    if verified:
        pending = identity_service.pending_notices(session, user.id)
        target = "/account/notices" if pending else _safe_next(next)
    elif mfa.enrolled(user):
        target = "/login/mfa"
    else:
        target = "/account/mfa"  # the role requires MFA: enrol before anything else
    redirect = RedirectResponse(target, status_code=303)
    _set_session_cookie(redirect, token, settings)
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return redirect


@router.get("/login/mfa", include_in_schema=False)
def mfa_form(request: Request, _: Pending, session: DbSession) -> Response:
    login = current_login(request, session)
    if login is not None and login.mfa_verified:
        return RedirectResponse("/", status_code=303)
    if login is not None and not mfa.enrolled(login.user):
        return RedirectResponse("/account/mfa", status_code=303)
    return page(request, "login_mfa.html")


@router.post("/login/mfa", include_in_schema=False)
def mfa_submit(
    request: Request,
    _: Pending,
    session: DbSession,
    settings: AppSettings,
    code: Annotated[str, Form(max_length=10)],
) -> Response:
    login = current_login(request, session)
    assert login is not None  # guaranteed by the permission dependency
    _throttle(request, session, login.user.username)
    try:
        identity_service.check_second_factor(session, login.user, code, lockout_policy(settings))
    except EduguardError as exc:
        audit_service.record(
            session,
            action="auth.mfa_failed",
            object_type="user",
            object_id=login.user_id,
            result="failed",
            reason=exc.code,
        )
        response = page(
            request,
            "login_mfa.html",
            status_code=exc.status_code,
            errors=[exc.message(language(request))],
        )
        if exc.code == "mfa_locked":  # this pending session ends; log in again after the lock
            identity_service.end_session(session, login)
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    login.mfa_verified = True
    audit_service.record(session, action="auth.mfa", object_type="user", object_id=login.user_id)
    session.flush()
    pending = identity_service.pending_notices(session, login.user_id)
    return RedirectResponse("/account/notices" if pending else "/", status_code=303)


@router.post("/logout", include_in_schema=False)
def logout_page(request: Request, _: Pending, session: DbSession) -> RedirectResponse:
    login = current_login(request, session)
    if login is not None:
        identity_service.end_session(session, login)
        audit_service.record(
            session, action="auth.logout", object_type="user", object_id=login.user_id
        )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/api/v1/auth/login", tags=["auth"])
def api_login(
    request: Request, body: LoginRequest, _: Public, session: DbSession, settings: AppSettings
) -> Response:
    """Log in with username, password and (when enrolled) the TOTP code; sets the session
    cookie and returns the CSRF token that unsafe requests must send as ``X-CSRF-Token``."""
    user = _password_step(request, session, settings, body.username, body.password)
    if mfa.enrolled(user):
        if not body.totp:
            raise NotAuthenticated("mfa_required", "请提供动态验证码（totp）", "TOTP code required")
        try:
            identity_service.check_second_factor(session, user, body.totp, lockout_policy(settings))
        except EduguardError as exc:
            audit_service.record(
                session,
                action="auth.mfa_failed",
                object_type="user",
                object_id=user.id,
                result="failed",
                reason=exc.code,
            )
            session.commit()  # keep the used-step record, the failure count and the event
            raise
    elif mfa.required_for(user) and not settings.demo:
        raise PermissionDenied(
            "mfa_enrolment_required",
            "该角色必须启用双因素认证，请先登录控制台完成绑定",
            "this role requires MFA; enrol in the console first",
        )
    token, login = identity_service.start_session(
        session,
        user,
        hours=settings.session_hours,
        mfa_verified=True,
        client_address=_client(request),
        user_agent=request.headers.get("user-agent"),
    )
    result = LoginResult(
        username=user.username,
        roles=sorted(user.role_set),
        csrf_token=login.csrf_token,
        notices=notices_of(session, user.id),
    )
    response = Response(result.model_dump_json(), media_type="application/json")
    _set_session_cookie(response, token, settings)
    return response


@router.post("/api/v1/auth/logout", tags=["auth"], status_code=204)
def api_logout(request: Request, _: Caller, session: DbSession) -> Response:
    login = current_login(request, session)
    if login is not None:
        identity_service.end_session(session, login)
        audit_service.record(
            session, action="auth.logout", object_type="user", object_id=login.user_id
        )
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/v1/auth/me", tags=["auth"])
def me(principal: Caller, request: Request, session: DbSession) -> Me:
    lang = language(request)
    labels = [ROLE_LABELS[r][1 if lang == "en" else 0] for r in sorted(principal.roles)]
    user = identity_service.get_user(session, principal.user_id)
    return Me(
        username=principal.username,
        roles=sorted(principal.roles),
        role_labels=labels,
        unit_path=principal.unit_path,
        mfa_enrolled=mfa.enrolled(user),
    )
