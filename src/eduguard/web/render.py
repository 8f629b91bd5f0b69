"""Render console pages with the language, the caller and its CSRF token in context."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from eduguard.web.deps import language
from eduguard.web.i18n import translator


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    context.setdefault("errors", [])
    context.update(
        lang=lang,
        _=translator(lang),
        principal=getattr(request.state, "principal", None),
        csrf_token=getattr(request.state, "csrf_token", ""),
        mfa_pending=getattr(request.state, "mfa_pending", False),
        demo=request.app.state.settings.demo,
        path=request.url.path,
    )
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    return response
