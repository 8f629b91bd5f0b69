"""Health, language switch, the OpenAPI document and its docs page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import text

from eduguard import __version__
from eduguard.access.policy import AUTHENTICATED, PUBLIC, Principal
from eduguard.web.deps import LANG_COOKIE, DbSession, permission
from eduguard.web.render import page

router = APIRouter()
Public = Annotated[None, permission(PUBLIC)]
Caller = Annotated[Principal, permission(AUTHENTICATED)]


@router.get("/api/v1/health", tags=["system"])
def health(_: Public, session: DbSession) -> dict[str, Any]:
    """Liveness and database reachability."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": "ok"}


@router.get("/lang/{code}", include_in_schema=False)
def switch_language(code: str, _: Public, next: str = "/") -> RedirectResponse:
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if code in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/api/v1/openapi.json", include_in_schema=False)
def openapi_document(request: Request, _: Caller) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/api/docs", include_in_schema=False)
def api_docs(request: Request, _: Caller) -> HTMLResponse:
    return page(request, "api_docs.html")
