"""Legal deadlines (clocks/): the JSON API under ``/api/v1/clocks`` and the console page
``/clocks`` listing a unit's open clocks, soonest first."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from eduguard.access.policy import Principal
from eduguard.clocks import flows, service
from eduguard.clocks.models import ClockStatus
from eduguard.clocks.schemas import ClockClose, ClockOpen, ClockRead
from eduguard.db.base import utcnow
from eduguard.orgs import service as orgs_service
from eduguard.web.deps import DbSession, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id, OptionalId
from eduguard.web.render import page

router = APIRouter()
Reader = Annotated[Principal, permission("clock:read")]
Manager = Annotated[Principal, permission("clock:manage")]
StatusFilter = Literal["open", "closed", "all"]


def _unit_ids(session: DbSession, caller: Principal, unit_id: int | None) -> list[int]:
    if unit_id is not None:
        return [orgs_service.get_unit(session, unit_id, scope=caller.scope).id]
    return [unit.id for unit in orgs_service.list_units(session, scope=caller.scope, limit=10_000)]


@router.get("/api/v1/clocks", tags=["clocks"])
def list_clocks(
    caller: Reader,
    session: DbSession,
    unit_id: OptionalId = None,
    status: StatusFilter = "open",
) -> list[ClockRead]:
    """Clocks of the caller's units (or of ``unit_id``), soonest due first."""
    chosen = None if status == "all" else ClockStatus(status)
    clocks = service.list_clocks(
        session, unit_ids=_unit_ids(session, caller, unit_id), status=chosen
    )
    return [ClockRead.model_validate(clock) for clock in clocks]


@router.post("/api/v1/clocks", tags=["clocks"], status_code=201)
def open_clock(data: ClockOpen, caller: Manager, session: DbSession) -> ClockRead:
    """Start a clock: its due time (hours, days or Chinese working days), reminders to
    ``owner_role`` of the unit, escalation to ``escalate_role`` once overdue."""
    clock = flows.open_clock(session, data, scope=caller.scope)
    return ClockRead.model_validate(clock)


@router.post("/api/v1/clocks/{clock_id}/close", tags=["clocks"])
def close_clock(clock_id: Id, data: ClockClose, caller: Manager, session: DbSession) -> ClockRead:
    """Close a clock with a reason (answered, reported, withdrawn …)."""
    clock = flows.close_clock(
        session, clock_id, reason=data.reason, by=caller.username, scope=caller.scope
    )
    return ClockRead.model_validate(clock)


@router.get("/clocks", include_in_schema=False)
def clocks_page(
    request: Request,
    caller: Reader,
    session: DbSession,
    unit_id: Annotated[OptionalId, Query()] = None,
) -> HTMLResponse:
    unit_id = unit_id or caller.unit_id
    units = orgs_service.list_units(session, scope=caller.scope, limit=10_000)
    clocks = service.list_clocks(session, unit_ids=_unit_ids(session, caller, unit_id))
    names = {unit.id: unit.name for unit in units}
    now = utcnow()
    rows = [
        {
            "clock": clock,
            "unit": names.get(clock.unit_id, ""),
            "overdue": clock.due_at <= now,
        }
        for clock in clocks
    ]
    return page(
        request,
        "clocks.html",
        rows=rows,
        units=units,
        unit_id=unit_id,
        crumbs=[("/", "概览"), (None, "法定期限")],
    )


@router.post("/clocks/{clock_id}/close", include_in_schema=False)
def close_clock_form(
    request: Request,
    clock_id: Id,
    caller: Manager,
    session: DbSession,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    clock = flows.close_clock(
        session, clock_id, reason=reason, by=caller.username, scope=caller.scope
    )
    return see_other(request, f"/clocks?unit_id={clock.unit_id}", "期限已关闭", "Deadline closed")
