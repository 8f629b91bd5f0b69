"""Console pages: overview, units, information systems, third-party agreements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from eduguard.access.policy import AUTHENTICATED, Principal
from eduguard.db.base import utcnow
from eduguard.errors import EduguardError
from eduguard.orgs import service
from eduguard.orgs.models import StorageLocation, SystemKind, UnitKind
from eduguard.orgs.schemas import (
    AgreementCreate,
    AgreementUpdate,
    SystemCreate,
    SystemUpdate,
    UnitCreate,
    UnitUpdate,
)
from eduguard.web.deps import AppSettings, DbSession, language, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id, OptionalId
from eduguard.web.render import page
from eduguard.web.routes.forms import parse
from eduguard.web.routes.uploads import read_limited

router = APIRouter(include_in_schema=False)
Caller = Annotated[Principal, permission(AUTHENTICATED)]
UnitReader = Annotated[Principal, permission("unit:read")]
UnitWriter = Annotated[Principal, permission("unit:write")]
SystemReader = Annotated[Principal, permission("system:read")]
SystemWriter = Annotated[Principal, permission("system:write")]
AgreementReader = Annotated[Principal, permission("agreement:read")]
AgreementWriter = Annotated[Principal, permission("agreement:write")]


@router.get("/")
def overview(request: Request, caller: Caller, session: DbSession) -> HTMLResponse:
    units = service.list_units(session, scope=caller.scope, limit=10_000)
    systems = service.list_systems(session, scope=caller.scope, limit=10_000)
    agreements = service.list_agreements(session, scope=caller.scope, limit=10_000)
    soon = utcnow().date() + timedelta(days=90)
    return page(
        request,
        "overview.html",
        units=units,
        systems=systems,
        agreements=agreements,
        overseas=[s for s in systems if s.storage_location == StorageLocation.overseas],
        no_mlps=[s for s in systems if s.mlps_level is None],
        million=[s for s in systems if s.pi_subject_count >= 1_000_000],
        expiring=[a for a in agreements if a.valid_until <= soon],
    )


# ---------------------------------------------------------------- units


@router.get("/units")
def units_page(
    request: Request, caller: UnitReader, session: DbSession, q: str = "", archived: bool = False
) -> HTMLResponse:
    units = service.list_units(
        session, scope=caller.scope, search=q[:100] or None, include_archived=archived, limit=1000
    )
    template = "units_table.html" if request.headers.get("hx-request") else "units.html"
    return page(request, template, units=units, q=q, archived=archived)


def _unit_form(
    request: Request, session: DbSession, caller: Principal, **context: object
) -> HTMLResponse:
    parents = service.list_units(session, scope=caller.scope, limit=10_000)
    status = 422 if context.get("errors") else 200
    return page(
        request,
        "unit_form.html",
        status_code=status,
        parents=parents,
        kinds=list(UnitKind),
        **context,
    )


@router.get("/units/new")
def unit_new(request: Request, caller: UnitWriter, session: DbSession) -> HTMLResponse:
    return _unit_form(request, session, caller, unit=None, values={})


@router.post("/units/new")
async def unit_create(request: Request, caller: UnitWriter, session: DbSession) -> Response:
    form = await request.form()
    data, errors = parse(UnitCreate, form, language(request))
    if data is not None:
        try:
            service.create_unit(session, data, scope=caller.scope)
            return see_other(
                request, "/units", f"已新建单位“{data.name}”", f"Unit “{data.name}” created"
            )
        except EduguardError as exc:
            errors = [exc.message(language(request))]
    return _unit_form(request, session, caller, unit=None, values=dict(form), errors=errors)


@router.get("/units/{unit_id}/edit")
def unit_edit(
    request: Request, unit_id: Id, caller: UnitWriter, session: DbSession
) -> HTMLResponse:
    unit = service.get_unit(session, unit_id, scope=caller.scope)
    values = {c: getattr(unit, c) or "" for c in UnitCreate.model_fields if hasattr(unit, c)}
    return _unit_form(request, session, caller, unit=unit, values=values)


@router.post("/units/{unit_id}/edit")
async def unit_update(
    request: Request, unit_id: Id, caller: UnitWriter, session: DbSession
) -> Response:
    unit = service.get_unit(session, unit_id, scope=caller.scope)
    form = await request.form()
    data, errors = parse(UnitUpdate, form, language(request))
    if data is not None:
        try:
            with session.begin_nested():
                service.update_unit(session, unit_id, data, scope=caller.scope)
            return see_other(
                request, "/units", f"已保存单位“{unit.name}”", f"Unit “{unit.name}” saved"
            )
        except EduguardError as exc:
            errors = [exc.message(language(request))]
    return _unit_form(request, session, caller, unit=unit, values=dict(form), errors=errors)


@router.post("/units/{unit_id}/archive")
def unit_archive(request: Request, unit_id: Id, caller: UnitWriter, session: DbSession) -> Response:
    unit = service.archive_unit(session, unit_id, scope=caller.scope)
    return see_other(request, "/units", f"已归档单位“{unit.name}”", f"Unit “{unit.name}” archived")


# ---------------------------------------------------------------- systems


@router.get("/systems")
def systems_page(
    request: Request, caller: SystemReader, session: DbSession, q: str = "", archived: bool = False
) -> HTMLResponse:
    systems = service.list_systems(
        session, scope=caller.scope, search=q[:100] or None, include_archived=archived, limit=1000
    )
    template = "systems_table.html" if request.headers.get("hx-request") else "systems.html"
    return page(request, template, systems=systems, q=q, archived=archived)


def _system_form(
    request: Request, session: DbSession, caller: Principal, **context: object
) -> HTMLResponse:
    own_units = service.list_units(session, scope=caller.scope, limit=10_000)
    all_units = service.list_units(session, limit=10_000)
    status = 422 if context.get("errors") else 200
    return page(
        request,
        "system_form.html",
        status_code=status,
        own_units=own_units,
        all_units=all_units,
        kinds=list(SystemKind),
        locations=list(StorageLocation),
        **context,
    )


@router.get("/systems/new")
def system_new(request: Request, caller: SystemWriter, session: DbSession) -> HTMLResponse:
    return _system_form(request, session, caller, system=None, values={}, selected_users=[])


def _selected(form_values: Sequence[object]) -> list[int]:
    return [int(v) for v in form_values if isinstance(v, str) and v.isdigit()]


@router.post("/systems/new")
async def system_create(request: Request, caller: SystemWriter, session: DbSession) -> Response:
    form = await request.form()
    data, errors = parse(SystemCreate, form, language(request))
    if data is not None:
        try:
            with session.begin_nested():
                created = service.create_system(session, data, scope=caller.scope)
            return see_other(
                request,
                "/systems",
                f"已新建信息系统“{created.name}”",
                f"System “{created.name}” registered",
            )
        except EduguardError as exc:
            errors = [exc.message(language(request))]
    return _system_form(
        request,
        session,
        caller,
        system=None,
        values=dict(form),
        selected_users=_selected(form.getlist("user_unit_ids")),
        errors=errors,
    )


@router.get("/systems/{system_id}/edit")
def system_edit(
    request: Request, system_id: Id, caller: SystemWriter, session: DbSession
) -> HTMLResponse:
    system = service.get_system(session, system_id, scope=caller.scope)
    values = {
        c: getattr(system, c) if getattr(system, c) is not None else ""
        for c in SystemUpdate.model_fields
        if hasattr(system, c)
    }
    values["unit_id"] = system.unit_id
    return _system_form(
        request,
        session,
        caller,
        system=system,
        values=values,
        selected_users=[u.id for u in system.user_units],
    )


@router.post("/systems/{system_id}/edit")
async def system_update(
    request: Request, system_id: Id, caller: SystemWriter, session: DbSession
) -> Response:
    system = service.get_system(session, system_id, scope=caller.scope)
    form = await request.form()
    data, errors = parse(SystemUpdate, form, language(request))
    if data is not None:
        # Blank optional inputs mean "cleared" on an edit form.
        for field in ("url", "mlps_level", "mlps_filing_no", "operator_unit_id", "operator_name"):
            if field not in data.model_fields_set:
                setattr(data, field, None)
        if "user_unit_ids" not in data.model_fields_set:
            data.user_unit_ids = []
        try:
            with session.begin_nested():
                service.update_system(session, system_id, data, scope=caller.scope)
            return see_other(
                request,
                "/systems",
                f"已保存信息系统“{system.name}”",
                f"System “{system.name}” saved",
            )
        except EduguardError as exc:
            errors = [exc.message(language(request))]
    return _system_form(
        request,
        session,
        caller,
        system=system,
        values=dict(form),
        selected_users=_selected(form.getlist("user_unit_ids")),
        errors=errors,
    )


@router.post("/systems/{system_id}/archive")
def system_archive(
    request: Request, system_id: Id, caller: SystemWriter, session: DbSession
) -> Response:
    system = service.archive_system(session, system_id, scope=caller.scope)
    return see_other(
        request,
        "/systems",
        f"已归档信息系统“{system.name}”",
        f"System “{system.name}” archived",
    )


# ---------------------------------------------------------------- agreements


@router.get("/agreements")
def agreements_page(
    request: Request,
    caller: AgreementReader,
    session: DbSession,
    q: str = "",
    archived: bool = False,
) -> HTMLResponse:
    agreements = service.list_agreements(
        session, scope=caller.scope, search=q[:100] or None, include_archived=archived, limit=1000
    )
    template = "agreements_table.html" if request.headers.get("hx-request") else "agreements.html"
    return page(request, template, agreements=agreements, q=q, archived=archived)


def _agreement_form(
    request: Request, session: DbSession, caller: Principal, **context: object
) -> HTMLResponse:
    units = service.list_units(session, scope=caller.scope, limit=10_000)
    systems = service.list_systems(session, scope=caller.scope, limit=10_000)
    status = 422 if context.get("errors") else 200
    return page(
        request, "agreement_form.html", status_code=status, units=units, systems=systems, **context
    )


@router.get("/agreements/new")
def agreement_new(request: Request, caller: AgreementWriter, session: DbSession) -> HTMLResponse:
    return _agreement_form(request, session, caller, values={}, agreement=None)


@router.post("/agreements/new")
async def agreement_create(
    request: Request, caller: AgreementWriter, session: DbSession, settings: AppSettings
) -> Response:
    form = await request.form()
    try:
        return await _save_agreement(request, caller, session, settings, form, None)
    finally:
        await form.close()  # uploaded files are temporary files: release them


async def _save_agreement(
    request: Request,
    caller: Principal,
    session: DbSession,
    settings: AppSettings,
    form: FormData,
    agreement_id: OptionalId,
) -> Response:
    """Create (``agreement_id`` None) or update an agreement from the console form."""
    agreement = (
        service.get_agreement(session, agreement_id, scope=caller.scope)
        if agreement_id is not None
        else None
    )
    data, errors = (
        parse(AgreementCreate, form, language(request))
        if agreement is None
        else parse(AgreementUpdate, form, language(request))
    )
    upload = form.get("document")
    if data is not None:
        try:
            document = await read_limited(
                upload if isinstance(upload, UploadFile) else None, settings.max_upload_bytes
            )
            with session.begin_nested():
                if isinstance(data, AgreementCreate):
                    service.create_agreement(
                        session,
                        data,
                        uploads_dir=settings.uploads_dir,
                        max_bytes=settings.max_upload_bytes,
                        document=document,
                        scope=caller.scope,
                    )
                else:
                    if "system_id" not in data.model_fields_set:
                        data.system_id = None  # a blank select clears the system
                    assert agreement is not None
                    service.update_agreement(
                        session,
                        agreement.id,
                        data,
                        uploads_dir=settings.uploads_dir,
                        max_bytes=settings.max_upload_bytes,
                        document=document,
                        scope=caller.scope,
                    )
            return see_other(request, "/agreements", "已保存第三方协议", "Agreement saved")
        except EduguardError as exc:
            errors = [exc.message(language(request))]
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return _agreement_form(
        request, session, caller, values=values, errors=errors, agreement=agreement
    )


@router.get("/agreements/{agreement_id}/edit")
def agreement_edit(
    request: Request, agreement_id: Id, caller: AgreementWriter, session: DbSession
) -> HTMLResponse:
    agreement = service.get_agreement(session, agreement_id, scope=caller.scope)
    values = {
        field: getattr(agreement, field) if getattr(agreement, field) is not None else ""
        for field in (*AgreementUpdate.model_fields, "unit_id")
    }
    return _agreement_form(request, session, caller, values=values, agreement=agreement)


@router.post("/agreements/{agreement_id}/edit")
async def agreement_update(
    request: Request,
    agreement_id: Id,
    caller: AgreementWriter,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    form = await request.form()
    try:
        return await _save_agreement(request, caller, session, settings, form, agreement_id)
    finally:
        await form.close()


@router.post("/agreements/{agreement_id}/archive")
def agreement_archive(
    request: Request, agreement_id: Id, caller: AgreementWriter, session: DbSession
) -> Response:
    service.archive_agreement(session, agreement_id, scope=caller.scope)
    return see_other(request, "/agreements", "已归档第三方协议", "Agreement archived")
