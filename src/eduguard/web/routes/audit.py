"""The audit administrator's console and API: search, event detail, chain status, verify,
export. Every route needs ``audit:read`` or ``audit:export`` — held only by the audit
administrator, so the system administrator cannot reach any of them (三员分立)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard import exports
from eduguard.access.policy import ROLE_ACTIONS, Principal
from eduguard.audit import queries, service, verify
from eduguard.audit.models import AuditCheckpoint, AuditEvent
from eduguard.audit.service import Actor
from eduguard.config import Settings
from eduguard.errors import ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.web.deps import AppSettings, DbSession, client_address, permission
from eduguard.web.params import EventId
from eduguard.web.render import page

router = APIRouter()
AuditReader = Annotated[Principal, permission("audit:read")]
AuditExporter = Annotated[Principal, permission("audit:export")]
PAGE_SIZE = 50


def _actor(request: Request, session: Session, caller: Principal) -> Actor:
    bound = service.bound_actor(session)
    if bound is not None:
        return bound
    decision = getattr(request.state, "decision", None)
    return Actor(
        username=caller.username,
        user_id=caller.user_id,
        roles=tuple(sorted(str(role) for role in caller.roles)),
        unit_path=caller.unit_path,
        client_address=client_address(request),
        reason=getattr(decision, "reason", None),
    )


def _moment(value: str, name: str, zone: str | None = None) -> datetime | None:
    """A filter time: one without an offset is read in ``zone`` (the console shows Beijing
    time, so that is what an auditor types) or, for the API, in UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            "time_invalid",
            f"{name} 时间格式无效，应为 2026-05-01 或 2026-05-01T08:00",
            f"{name}: invalid time",
        ) from None
    if parsed.tzinfo:
        return parsed
    return parsed.replace(tzinfo=ZoneInfo(zone) if zone else UTC)


def _filter(request: Request, caller: Principal, zone: str | None = None) -> queries.EventFilter:
    params = request.query_params
    result = params.get("result", "")
    if result and result not in service.RESULTS:
        raise ValidationFailed("result_invalid", "结果须为 ok、denied 或 failed", "bad result")
    return queries.EventFilter(
        since=_moment(params.get("since", ""), "起始", zone),
        until=_moment(params.get("until", ""), "截止", zone),
        username=params.get("account", "")[:64] or None,
        unit_path=params.get("unit", "")[:400] or None,
        action=params.get("action", "")[:64] or None,
        object_type=params.get("object_type", "")[:64] or None,
        object_id=params.get("object_id", "")[:64] or None,
        result=result or None,
        scope=caller.unit_path,
    )


def _before(request: Request) -> int | None:
    value = request.query_params.get("before", "")
    return int(value) if value.isdigit() else None


def chain_status(session: Session) -> dict[str, Any]:
    """At a glance, without reading ten million rows: head, last checkpoint and its age."""
    head = session.execute(
        select(AuditEvent.id, AuditEvent.time).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    checkpoint = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    ).first()
    return {
        "last_event_id": head[0] if head else None,
        "last_event_time": head[1] if head else None,
        "checkpoint_event_id": checkpoint.last_event_id if checkpoint else None,
        "checkpoint_time": checkpoint.created_at if checkpoint else None,
        "unsigned_events": (head[0] - (checkpoint.last_event_id if checkpoint else 0))
        if head
        else 0,
    }


def _event_json(event: AuditEvent) -> dict[str, Any]:
    out = {name: getattr(event, name) for name, _label in queries.EXPORT_COLUMNS}
    out["time"] = (
        event.time.astimezone(UTC).isoformat()
        if event.time.tzinfo
        else (event.time.replace(tzinfo=UTC).isoformat())
    )
    out["fields"] = event.field_list
    out["roles"] = event.role_list
    return out


def _search(
    request: Request, session: Session, caller: Principal, zone: str | None = None
) -> tuple[queries.EventFilter, list[AuditEvent]]:
    flt = _filter(request, caller, zone)
    found = queries.search(session, flt, before_id=_before(request), limit=PAGE_SIZE)
    service.record(
        session,
        action="audit.search",
        object_type="audit_event",
        row_count=len(found),
        reason=f"检索审计日志：{flt.describe()}",
        actor=_actor(request, session, caller),
    )
    return flt, found


def _run_verify(session: Session, settings: Settings) -> verify.VerifyResult:
    return verify.verify(
        session.connection(), keys_dir=settings.keys_dir, sink=settings.audit_checkpoint_sink_path
    )


def _export(
    request: Request, session: Session, caller: Principal, fmt: str, zone: str | None = None
) -> Response:
    flt = _filter(request, caller, zone)
    view = queries.ExportView(request.app.state.settings.timezone, _unit_names(session))
    body, count = queries.export_bytes(session, flt, fmt, view)
    service.record(
        session,
        action="audit.export",
        object_type="audit_event",
        row_count=count,
        fields=[name for name, _label in queries.EXPORT_COLUMNS],
        reason=f"导出审计日志（{fmt}）：{flt.describe()}",
        actor=_actor(request, session, caller),
    )
    stamp = datetime.now(ZoneInfo(view.zone)).strftime("%Y%m%d-%H%M%S")
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        body,
        media_type=media,
        headers={
            "content-disposition": exports.attachment(
                f"审计日志-{stamp}.{fmt}", f"audit-{stamp}.{fmt}"
            )
        },
    )


# ---------------------------------------------------------------- console


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, caller: AuditReader, session: DbSession) -> HTMLResponse:
    flt, found = _search(request, session, caller, request.app.state.settings.timezone)
    params = {k: v for k, v in request.query_params.items() if k != "before"}
    return page(
        request,
        "audit.html",
        events=found,
        flt=flt,
        params=params,
        status=chain_status(session),
        next_before=found[-1].id if len(found) == PAGE_SIZE else None,
        can_export="audit:export" in _actions(caller),
        unit_names=_unit_names(session),
    )


def _unit_names(session: Session) -> dict[str, str]:
    """Unit path → name, so people read 示例县第一中学 rather than /1/2/3/4/."""
    return orgs_service.unit_names(session)


def _actions(caller: Principal) -> set[str]:
    return {action for role in caller.roles for action in ROLE_ACTIONS.get(role, ())}


@router.get("/audit/verify", include_in_schema=False)
def audit_verify_page(
    request: Request, caller: AuditReader, session: DbSession, settings: AppSettings
) -> HTMLResponse:
    checked = _run_verify(session, settings)
    service.record(
        session,
        action="audit.verify",
        object_type="audit_event",
        row_count=checked.events_checked,
        result="ok" if checked.ok else "failed",
        actor=_actor(request, session, caller),
    )
    return page(request, "audit_verify.html", result=checked, status=chain_status(session))


@router.get("/audit/export", include_in_schema=False)
def audit_export_download(
    request: Request, caller: AuditExporter, session: DbSession, format: str = "csv"
) -> Response:
    return _export(request, session, caller, format, request.app.state.settings.timezone)


@router.get("/audit/{event_id}", include_in_schema=False)
def audit_event_page(
    event_id: EventId, request: Request, caller: AuditReader, session: DbSession
) -> HTMLResponse:
    # The read itself is recorded by permission("audit:read") (audit.read, this id).
    found = queries.get_event(session, event_id, scope=caller.unit_path)
    return page(request, "audit_event.html", event=found, unit_names=_unit_names(session))


# ---------------------------------------------------------------- API


@router.get("/api/v1/audit/events", tags=["audit"])
def api_events(request: Request, caller: AuditReader, session: DbSession) -> dict[str, Any]:
    """Search (newest first). Filters: since, until, account, unit, action, object_type,
    object_id, result; page with ``before`` = the last id of the previous page."""
    _flt, found = _search(request, session, caller)
    return {
        "items": [_event_json(event) for event in found],
        "next_before": found[-1].id if len(found) == PAGE_SIZE else None,
    }


@router.get("/api/v1/audit/events/{event_id}", tags=["audit"])
def api_event(
    event_id: EventId, request: Request, caller: AuditReader, session: DbSession
) -> dict[str, Any]:
    # The read itself is recorded by permission("audit:read") (audit.read, this id).
    found = queries.get_event(session, event_id, scope=caller.unit_path)
    return _event_json(found)


@router.get("/api/v1/audit/verify", tags=["audit"])
def api_verify(
    request: Request, caller: AuditReader, session: DbSession, settings: AppSettings
) -> dict[str, Any]:
    checked = _run_verify(session, settings)
    service.record(
        session,
        action="audit.verify",
        object_type="audit_event",
        row_count=checked.events_checked,
        result="ok" if checked.ok else "failed",
        actor=_actor(request, session, caller),
    )
    return checked.as_dict()


@router.get("/api/v1/audit/export", tags=["audit"])
def api_export(
    request: Request, caller: AuditExporter, session: DbSession, format: str = "csv"
) -> Response:
    return _export(request, session, caller, format)
