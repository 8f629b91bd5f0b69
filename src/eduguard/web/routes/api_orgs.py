"""JSON API for units, information systems and third-party agreements (``/api/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import ValidationError

from eduguard.access.policy import Principal
from eduguard.errors import ValidationFailed
from eduguard.orgs import service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementUpdate,
    SystemCreate,
    SystemRead,
    SystemUpdate,
    UnitCreate,
    UnitRead,
    UnitUpdate,
)
from eduguard.validation import MAX_ID, Day, validation_details
from eduguard.web.deps import AppSettings, DbSession, permission
from eduguard.web.params import Id, OptionalId
from eduguard.web.routes.uploads import read_limited

router = APIRouter(prefix="/api/v1")

UnitReader = Annotated[Principal, permission("unit:read")]
UnitWriter = Annotated[Principal, permission("unit:write")]
SystemReader = Annotated[Principal, permission("system:read")]
SystemWriter = Annotated[Principal, permission("system:write")]
AgreementReader = Annotated[Principal, permission("agreement:read")]
AgreementWriter = Annotated[Principal, permission("agreement:write")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Search = Annotated[str | None, Query(max_length=100)]


@router.get("/units", tags=["units"])
def list_units(
    caller: UnitReader,
    session: DbSession,
    search: Search = None,
    kind: UnitKind | None = None,
    include_archived: bool = False,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[UnitRead]:
    units = service.list_units(
        session,
        scope=caller.scope,
        search=search,
        kind=kind,
        include_archived=include_archived,
        limit=limit,
        offset=offset,
    )
    return [UnitRead.model_validate(u) for u in units]


@router.post("/units", tags=["units"], status_code=201)
def create_unit(body: UnitCreate, caller: UnitWriter, session: DbSession) -> UnitRead:
    return UnitRead.model_validate(service.create_unit(session, body, scope=caller.scope))


@router.get("/units/{unit_id}", tags=["units"])
def read_unit(unit_id: Id, caller: UnitReader, session: DbSession) -> UnitRead:
    return UnitRead.model_validate(service.get_unit(session, unit_id, scope=caller.scope))


@router.patch("/units/{unit_id}", tags=["units"])
def update_unit(unit_id: Id, body: UnitUpdate, caller: UnitWriter, session: DbSession) -> UnitRead:
    return UnitRead.model_validate(service.update_unit(session, unit_id, body, scope=caller.scope))


@router.post("/units/{unit_id}/archive", tags=["units"])
def archive_unit(unit_id: Id, caller: UnitWriter, session: DbSession) -> UnitRead:
    return UnitRead.model_validate(service.archive_unit(session, unit_id, scope=caller.scope))


@router.get("/systems", tags=["systems"])
def list_systems(
    caller: SystemReader,
    session: DbSession,
    unit_id: OptionalId = None,
    search: Search = None,
    include_archived: bool = False,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[SystemRead]:
    systems = service.list_systems(
        session,
        scope=caller.scope,
        unit_id=unit_id,
        search=search,
        include_archived=include_archived,
        limit=limit,
        offset=offset,
    )
    return [SystemRead.model_validate(s) for s in systems]


@router.post("/systems", tags=["systems"], status_code=201)
def create_system(body: SystemCreate, caller: SystemWriter, session: DbSession) -> SystemRead:
    return SystemRead.model_validate(service.create_system(session, body, scope=caller.scope))


@router.get("/systems/{system_id}", tags=["systems"])
def read_system(system_id: Id, caller: SystemReader, session: DbSession) -> SystemRead:
    return SystemRead.model_validate(service.get_system(session, system_id, scope=caller.scope))


@router.patch("/systems/{system_id}", tags=["systems"])
def update_system(
    system_id: Id, body: SystemUpdate, caller: SystemWriter, session: DbSession
) -> SystemRead:
    system = service.update_system(session, system_id, body, scope=caller.scope)
    return SystemRead.model_validate(system)


@router.post("/systems/{system_id}/archive", tags=["systems"])
def archive_system(system_id: Id, caller: SystemWriter, session: DbSession) -> SystemRead:
    return SystemRead.model_validate(service.archive_system(session, system_id, scope=caller.scope))


@router.get("/agreements", tags=["agreements"])
def list_agreements(
    caller: AgreementReader,
    session: DbSession,
    unit_id: OptionalId = None,
    search: Search = None,
    include_archived: bool = False,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[AgreementRead]:
    agreements = service.list_agreements(
        session,
        scope=caller.scope,
        unit_id=unit_id,
        search=search,
        include_archived=include_archived,
        limit=limit,
        offset=offset,
    )
    return [AgreementRead.model_validate(a) for a in agreements]


@router.post("/agreements", tags=["agreements"], status_code=201)
async def create_agreement(
    caller: AgreementWriter,
    session: DbSession,
    settings: AppSettings,
    unit_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    provider: Annotated[str, Form(max_length=200)],
    valid_from: Annotated[Day, Form()],
    valid_until: Annotated[Day, Form()],
    system_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    scope: Annotated[str, Form(max_length=5000)] = "",
    scenarios: Annotated[str, Form(max_length=5000)] = "",
    boundaries: Annotated[str, Form(max_length=5000)] = "",
    document: Annotated[UploadFile | None, File()] = None,
) -> AgreementRead:
    """Register an agreement (multipart form), optionally with its signed document."""
    try:
        data = AgreementCreate(
            unit_id=unit_id,
            system_id=system_id,
            provider=provider,
            scope=scope,
            scenarios=scenarios,
            boundaries=boundaries,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    except ValidationError as exc:
        details = validation_details(exc.errors(), "zh")
        raise ValidationFailed("validation_failed", "协议信息不正确", details=details) from None
    upload = await read_limited(document, settings.max_upload_bytes)
    agreement = service.create_agreement(
        session,
        data,
        uploads_dir=settings.uploads_dir,
        max_bytes=settings.max_upload_bytes,
        document=upload,
        scope=caller.scope,
    )
    return AgreementRead.model_validate(agreement)


@router.get("/agreements/{agreement_id}", tags=["agreements"])
def read_agreement(agreement_id: Id, caller: AgreementReader, session: DbSession) -> AgreementRead:
    agreement = service.get_agreement(session, agreement_id, scope=caller.scope)
    return AgreementRead.model_validate(agreement)


@router.patch("/agreements/{agreement_id}", tags=["agreements"])
def update_agreement(
    agreement_id: Id, body: AgreementUpdate, caller: AgreementWriter, session: DbSession
) -> AgreementRead:
    agreement = service.update_agreement(session, agreement_id, body, scope=caller.scope)
    return AgreementRead.model_validate(agreement)


@router.get("/agreements/{agreement_id}/document", tags=["agreements"])
def agreement_document(
    agreement_id: Id, caller: AgreementReader, session: DbSession, settings: AppSettings
) -> FileResponse:
    agreement = service.get_agreement(session, agreement_id, scope=caller.scope)
    path = service.agreement_document(agreement, settings.uploads_dir)
    return FileResponse(path, filename=agreement.document_name or path.name)


@router.post("/agreements/{agreement_id}/archive", tags=["agreements"])
def archive_agreement(
    agreement_id: Id, caller: AgreementWriter, session: DbSession
) -> AgreementRead:
    agreement = service.archive_agreement(session, agreement_id, scope=caller.scope)
    return AgreementRead.model_validate(agreement)
