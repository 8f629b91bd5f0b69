"""The public open-data catalog (数据开放目录), without login: ``/open/{unit_id}``. Only what the
unit marks 无条件共享 — dataset and field names, descriptions and grade, never values, counts
or anything else. A unit that publishes nothing and a unit that does not exist get the same
page. Listed as a public route (tests/core/test_routes_declared), rate-limited per client
address like the published collection rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from eduguard.access.policy import PUBLIC
from eduguard.errors import RateLimited
from eduguard.sharing import flows
from eduguard.web.deps import DbSession, client_address, permission
from eduguard.web.params import Id
from eduguard.web.ratelimit import SlidingWindowLimiter
from eduguard.web.render import page

router = APIRouter()
Public = Annotated[None, permission(PUBLIC)]
PAGES_PER_MINUTE = 60  # per client address


def _throttle(request: Request) -> None:
    state = request.app.state
    limiter: SlidingWindowLimiter | None = getattr(state, "open_catalog_limiter", None)
    if limiter is None:
        limiter = state.open_catalog_limiter = SlidingWindowLimiter(
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


@router.get("/open/{unit_id}", include_in_schema=False)
def open_page(request: Request, unit_id: Id, _: Public, session: DbSession) -> HTMLResponse:
    _throttle(request)
    unit, entries = flows.public_open_catalog(session, unit_id)
    return page(request, "open_catalog.html", unit=unit, entries=entries)
