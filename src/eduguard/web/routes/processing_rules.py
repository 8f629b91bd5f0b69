"""Published collection rules (收集使用规则) for anyone, without login: one page per system
(its current rules, and its children's rules where it holds children's data), every earlier
version, and each version as a PDF. Listed as public routes (tests/core/test_routes_declared)
and rate-limited per client address; a version whose content no longer matches its SM3 digest
is not shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from eduguard import labels
from eduguard.access.policy import PUBLIC
from eduguard.errors import RateLimited
from eduguard.processing import flows
from eduguard.processing import pdf as rules_pdf
from eduguard.processing.models import Audience
from eduguard.processing.schemas import RulesDocument
from eduguard.web.deps import DbSession, client_address, permission
from eduguard.web.params import Id
from eduguard.web.ratelimit import SlidingWindowLimiter
from eduguard.web.render import page

router = APIRouter()
Public = Annotated[None, permission(PUBLIC)]
PUBLIC_PAGES_PER_MINUTE = 60  # per client address: a page is cheap, a flood is not
REFUSALS_RECORDED_PER_MINUTE = 5


def _throttle(request: Request) -> None:
    state = request.app.state
    limiter: SlidingWindowLimiter | None = getattr(state, "public_rules_limiter", None)
    if limiter is None:
        limiter = state.public_rules_limiter = SlidingWindowLimiter(
            PUBLIC_PAGES_PER_MINUTE, 60.0, max_keys=10_000
        )
    address = client_address(request) or "-"
    wait = limiter.hit(address)
    if wait:
        seconds = int(wait) + 1
        # Anyone can send these: at most REFUSALS_RECORDED_PER_MINUTE of them per client
        # address become audit events (access.rate_limited); beyond that they cost only the 429.
        recorded: SlidingWindowLimiter | None = getattr(state, "public_rules_refusals", None)
        if recorded is None:
            recorded = state.public_rules_refusals = SlidingWindowLimiter(
                REFUSALS_RECORDED_PER_MINUTE, 60.0, max_keys=10_000
            )
        if recorded.hit(address):
            request.state.refusal_recorded = True
        raise RateLimited(
            "public_rate_limited",
            f"访问过于频繁，请 {seconds} 秒后再试",
            f"too many requests; retry in {seconds} s",
            details={"retry_after": seconds},
        )


def _page(request: Request, found: RulesDocument, session: DbSession) -> HTMLResponse:
    history = flows.version_history(session, found.version.system_id)
    same = [v for v in history if v.audience == found.version.audience]
    return page(
        request,
        "rules_public.html",
        document=found.document,
        rules_version=found.version,
        history=same,
        other_audience=found.other_audience,
        preview=False,
    )


@router.get("/rules/{system_id}", include_in_schema=False)
def current_rules(request: Request, system_id: Id, _: Public, session: DbSession) -> HTMLResponse:
    _throttle(request)
    return _page(request, flows.public_current(session, system_id, Audience.general), session)


@router.get("/rules/{system_id}/children", include_in_schema=False)
def current_children_rules(
    request: Request, system_id: Id, _: Public, session: DbSession
) -> HTMLResponse:
    _throttle(request)
    return _page(request, flows.public_current(session, system_id, Audience.children), session)


@router.get("/rules/versions/{version_id}", include_in_schema=False)
def rules_version(request: Request, version_id: Id, _: Public, session: DbSession) -> HTMLResponse:
    _throttle(request)
    return _page(request, flows.public_version(session, version_id), session)


@router.get("/rules/versions/{version_id}/document", include_in_schema=False)
def rules_version_pdf(request: Request, version_id: Id, _: Public, session: DbSession) -> Response:
    """The version as a PDF (embedded Chinese font where the system has one)."""
    _throttle(request)
    found = flows.public_version(session, version_id)
    settings = request.app.state.settings
    content = rules_pdf.to_pdf(
        found.document,
        number=found.version.number,
        sm3=found.version.sm3,
        published_at=labels.format_time(found.version.published_at, settings.timezone),
        font_path=settings.pdf_font,
    )
    name = f"collection-rules-{found.version.system_id}-{found.version.audience}-v{found.version.number}.pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{name}"'},
    )
