"""Flash messages: a POST that succeeds redirects (303) to a GET page that says so.

The message travels in a short-lived signed cookie (``eg_flash``, HMAC-SHA256 with a key
derived from ``EDUGUARD_SECRET_KEY`` — or, without one, a random key of this process) and is
shown once by the next full page (``base.html``); htmx partials leave it for the page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.types import ASGIApp

FLASH_COOKIE = "eg_flash"
MAX_MESSAGE = 300
MAX_AGE_SECONDS = 120


def _key(app: ASGIApp) -> bytes:
    state = app.state  # type: ignore[attr-defined]
    key: bytes | None = getattr(state, "flash_key", None)
    if key is None:
        secret = state.settings.secret_key.get_secret_value()
        key = (
            hashlib.sha256(b"eduguard flash\0" + secret.encode()).digest()
            if secret
            else secrets.token_bytes(32)
        )
        state.flash_key = key
    return key


def _sign(app: ASGIApp, payload: str) -> str:
    return hmac.new(_key(app), payload.encode(), hashlib.sha256).hexdigest()[:32]


def set_flash(request: Request, response: Response, message: str) -> None:
    payload = base64.urlsafe_b64encode(message[:MAX_MESSAGE].encode()).decode().rstrip("=")
    response.set_cookie(
        FLASH_COOKIE,
        f"{payload}.{_sign(request.app, payload)}",
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
        path="/",
    )


def see_other(
    request: Request, url: str, message: str | None = None, english: str | None = None
) -> RedirectResponse:
    """303 to ``url`` (a GET page), which shows ``message`` once — or ``english`` when the
    console is in English (every console action passes both; a test checks)."""
    from eduguard.web.deps import language  # deps → render → flash: imported when used

    response = RedirectResponse(url, status_code=303)
    if message:
        shown = english if english and language(request) == "en" else message
        set_flash(request, response, shown)
    return response


def read_flash(request: Request) -> str | None:
    """The message the last redirect left, if its signature holds."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return None
    payload, signature = raw.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(request.app, payload)):
        return None
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()[:MAX_MESSAGE]
    except (binascii.Error, UnicodeDecodeError):
        return None
