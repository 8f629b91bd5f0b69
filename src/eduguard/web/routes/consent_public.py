"""The public consent page, without login: ``/consent/l/<token>`` (a signed one-time link the
school sent). Listed as public routes (tests/core/test_routes_declared), rate-limited per client
address like the published rules; a forged, expired or used link gets a clear Chinese page and
changes nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from eduguard.access.policy import PUBLIC
from eduguard.consent import collect
from eduguard.errors import EduguardError, RateLimited
from eduguard.web.deps import DbSession, client_address, language, permission
from eduguard.web.ratelimit import SlidingWindowLimiter
from eduguard.web.render import page

router = APIRouter()
Public = Annotated[None, permission(PUBLIC)]
PAGES_PER_MINUTE = 30  # per client address: a person needs a few; a guesser gets nowhere


def _throttle(request: Request) -> None:
    state = request.app.state
    limiter: SlidingWindowLimiter | None = getattr(state, "consent_link_limiter", None)
    if limiter is None:
        limiter = state.consent_link_limiter = SlidingWindowLimiter(
            PAGES_PER_MINUTE, 60.0, max_keys=10_000
        )
    wait = limiter.hit(client_address(request) or "-")
    if wait:
        seconds = int(wait) + 1
        raise RateLimited(
            "public_rate_limited",
            f"访问过于频繁，请 {seconds} 秒后再试",
            f"too many requests; retry in {seconds} s",
            details={"retry_after": seconds},
        )


def _key(request: Request, session: DbSession) -> bytes:
    secret = request.app.state.settings.secret_key.get_secret_value()
    return collect.key_for(session, secret)


def _refused(request: Request, exc: EduguardError) -> HTMLResponse:
    return page(
        request,
        "consent_public.html",
        status_code=exc.status_code,
        view=None,
        problem=exc.message(language(request)),
    )


@router.get("/consent/l/{token}", include_in_schema=False)
def link_page(request: Request, token: str, _: Public, session: DbSession) -> HTMLResponse:
    _throttle(request)
    try:
        view = collect.link_page(session, token, key=_key(request, session))
    except EduguardError as exc:
        if exc.status_code >= 500:
            raise
        return _refused(request, exc)
    return page(request, "consent_public.html", view=view, token=token, problem=None)


@router.post("/consent/l/{token}", include_in_schema=False)
async def link_submit(request: Request, token: str, _: Public, session: DbSession) -> HTMLResponse:
    _throttle(request)
    form = await request.form()
    answers: dict[int, str] = {}
    for name, value in form.items():
        if name.startswith("p") and name[1:].isdigit() and isinstance(value, str):
            answers[int(name[1:])] = value
    key = _key(request, session)
    try:
        with session.begin_nested():
            ids, withdrawal = collect.submit(session, token, answers, key=key)
    except EduguardError as exc:
        if exc.status_code >= 500:
            raise
        if exc.code == "consent_no_choice":
            view = collect.link_page(session, token, key=key)
            return page(
                request,
                "consent_public.html",
                status_code=422,
                view=view,
                token=token,
                problem=exc.message(language(request)),
            )
        return _refused(request, exc)
    return page(
        request,
        "consent_public.html",
        view=None,
        problem=None,
        recorded=len(ids),
        withdrawal=f"/consent/l/{withdrawal}",
    )
