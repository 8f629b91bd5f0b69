"""Login and logout for the console (form) and the API (JSON)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from eduguard.access.policy import AUTHENTICATED, PUBLIC, ROLE_LABELS, Principal
from eduguard.errors import EduguardError, PermissionDenied
from eduguard.identity import service as identity_service
from eduguard.web.deps import (
    SESSION_COOKIE,
    AppSettings,
    DbSession,
    current_login,
    language,
    permission,
)
from eduguard.web.render import page

router = APIRouter()
Public = Annotated[None, permission(PUBLIC)]
Caller = Annotated[Principal, permission(AUTHENTICATED)]
LOGIN_CSRF_COOKIE = "eg_login_csrf"


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginResult(BaseModel):
    username: str
    roles: list[str]
    csrf_token: str


class Me(BaseModel):
    username: str
    roles: list[str]
    role_labels: list[str]
    unit_path: str


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


@router.get("/login", include_in_schema=False)
def login_form(request: Request, _: Public, next: str = "/") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", login_csrf=token, next=_safe_next(next))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


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
        user = identity_service.authenticate(session, username, password)
    except EduguardError as exc:
        fresh = secrets.token_urlsafe(24)
        response = page(
            request,
            "login.html",
            status_code=exc.status_code,
            login_csrf=fresh,
            next=_safe_next(next),
            username=username,
            errors=[exc.message(language(request))],
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, fresh, httponly=True, samesite="strict", path="/login"
        )
        return response
    token, _login = identity_service.start_session(
        session,
        user,
        hours=settings.session_hours,
        client_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    _set_session_cookie(redirect, token, settings)
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return redirect


@router.post("/logout", include_in_schema=False)
def logout_page(request: Request, _: Caller, session: DbSession) -> RedirectResponse:
    login = current_login(request, session)
    if login is not None:
        identity_service.end_session(session, login)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/api/v1/auth/login", tags=["auth"])
def api_login(
    request: Request, body: LoginRequest, _: Public, session: DbSession, settings: AppSettings
) -> Response:
    """Log in; the session cookie is set and the CSRF token for unsafe requests returned."""
    user = identity_service.authenticate(session, body.username, body.password)
    token, login = identity_service.start_session(
        session,
        user,
        hours=settings.session_hours,
        client_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    result = LoginResult(
        username=user.username, roles=sorted(user.role_set), csrf_token=login.csrf_token
    )
    response = Response(result.model_dump_json(), media_type="application/json")
    _set_session_cookie(response, token, settings)
    return response


@router.post("/api/v1/auth/logout", tags=["auth"], status_code=204)
def api_logout(request: Request, _: Caller, session: DbSession) -> Response:
    login = current_login(request, session)
    if login is not None:
        identity_service.end_session(session, login)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/v1/auth/me", tags=["auth"])
def me(principal: Caller, request: Request) -> Me:
    lang = language(request)
    labels = [ROLE_LABELS[r][1 if lang == "en" else 0] for r in sorted(principal.roles)]
    return Me(
        username=principal.username,
        roles=sorted(principal.roles),
        role_labels=labels,
        unit_path=principal.unit_path,
    )
