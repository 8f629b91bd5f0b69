"""Backup and recovery (备份与恢复, notice item 5): JSON API under ``/api/v1/backup`` — each
information system's backup policy and recovery drills with their evidence files — and the
console page ``/backup``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError

from eduguard import labels
from eduguard.access.policy import Principal
from eduguard.backup import flows
from eduguard.backup.models import DrillOutcome, Frequency
from eduguard.backup.schemas import (
    DrillIn,
    DrillRead,
    EvidenceIn,
    EvidenceRead,
    PolicyIn,
    PolicyRead,
    SystemBackup,
)
from eduguard.config import Settings
from eduguard.db.base import utcnow
from eduguard.errors import ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.validation import validation_details
from eduguard.web.deps import AppSettings, DbSession, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id, OptionalId, decode_base64
from eduguard.web.render import page
from eduguard.web.routes.uploads import read_limited

router = APIRouter()
Reader = Annotated[Principal, permission("backup:read")]
Writer = Annotated[Principal, permission("backup:write")]


def _today(settings: Settings) -> date:
    return labels.local_time(utcnow(), settings.timezone).date()


# ---------------------------------------------------------------- API


@router.get("/api/v1/backup/units/{unit_id}/systems", tags=["backup"])
def list_systems(
    unit_id: Id, caller: Reader, session: DbSession, settings: AppSettings
) -> list[SystemBackup]:
    """Every system of the unit (and below): policy, drills, whether a drill is due."""
    return flows.overview(session, unit_id, scope=caller.scope, today=_today(settings))


@router.get("/api/v1/backup/systems/{system_id}", tags=["backup"])
def read_system(
    system_id: Id, caller: Reader, session: DbSession, settings: AppSettings
) -> SystemBackup:
    return flows.read_system(session, system_id, scope=caller.scope, today=_today(settings))


@router.put("/api/v1/backup/systems/{system_id}/policy", tags=["backup"])
def save_policy(system_id: Id, body: PolicyIn, caller: Writer, session: DbSession) -> PolicyRead:
    """Create or replace the system's backup policy (frequency, location, encryption, how long
    copies are kept, RTO/RPO targets)."""
    policy = flows.save_policy(session, system_id, body, scope=caller.scope, by=caller.username)
    return PolicyRead.model_validate(policy)


@router.post("/api/v1/backup/systems/{system_id}/drills", tags=["backup"], status_code=201)
def record_drill(
    system_id: Id, body: DrillIn, caller: Writer, session: DbSession, settings: AppSettings
) -> DrillRead:
    """Record a recovery drill that took place, with the RTO and RPO achieved."""
    drill = flows.record_drill(
        session,
        system_id,
        body,
        scope=caller.scope,
        by=caller.username,
        today=_today(settings),
    )
    return DrillRead.model_validate(drill)


@router.post("/api/v1/backup/drills/{drill_id}/evidence", tags=["backup"], status_code=201)
def attach_evidence(
    drill_id: Id, body: EvidenceIn, caller: Writer, session: DbSession, settings: AppSettings
) -> EvidenceRead:
    """An evidence file of the drill (restore log, screenshot, signed record) in base64."""
    evidence = flows.attach_evidence(
        session,
        drill_id,
        body.file_name,
        decode_base64(body.content_base64),
        scope=caller.scope,
        by=caller.username,
        uploads_dir=settings.uploads_dir,
    )
    return EvidenceRead.model_validate(evidence)


@router.get("/api/v1/backup/evidence/{evidence_id}", tags=["backup"])
def download_evidence(
    evidence_id: Id, caller: Reader, session: DbSession, settings: AppSettings
) -> FileResponse:
    evidence, path = flows.evidence_file(
        session, evidence_id, scope=caller.scope, uploads_dir=settings.uploads_dir
    )
    return FileResponse(path, filename=evidence.name)


# ---------------------------------------------------------------- console


@router.get("/backup", include_in_schema=False)
def backup_page(
    request: Request,
    caller: Reader,
    session: DbSession,
    settings: AppSettings,
    unit_id: Annotated[OptionalId, Query()] = None,
) -> HTMLResponse:
    units = orgs_service.list_units(session, scope=caller.scope, limit=10_000)
    chosen = unit_id or caller.unit_id or (units[0].id if units else None)
    rows = (
        flows.overview(session, chosen, scope=caller.scope, today=_today(settings))
        if chosen is not None
        else []
    )
    return page(
        request,
        "backup.html",
        rows=rows,
        units=units,
        unit_id=chosen,
        frequencies=[f.value for f in Frequency],
        outcomes=[o.value for o in DrillOutcome],
        today=_today(settings).isoformat(),
        due=sum(1 for r in rows if r.status != "ok"),
        crumbs=[("/", "概览"), (None, "备份与恢复")],
    )


def _form_error(exc: ValidationError) -> ValidationFailed:
    first = validation_details(exc.errors(), "zh")[0]
    return ValidationFailed("backup_form_invalid", str(first["message"]))


@router.post("/backup/systems/{system_id}/policy", include_in_schema=False)
def policy_form(
    request: Request,
    system_id: Id,
    caller: Writer,
    session: DbSession,
    frequency: Annotated[str, Form(max_length=20)],
    location: Annotated[str, Form(max_length=2000)],
    retention_days: Annotated[str, Form(max_length=10)],
    encryption: Annotated[str, Form(max_length=500)] = "",
    offsite: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        body = PolicyIn.model_validate(
            {
                "frequency": frequency,
                "location": location,
                "retention_days": retention_days,
                "encryption": encryption,
                "offsite": bool(offsite),
            }
        )
    except ValidationError as exc:
        raise _form_error(exc) from None
    system = orgs_service.get_system(session, system_id, scope=caller.scope)
    flows.save_policy(session, system_id, body, scope=caller.scope, by=caller.username)
    return see_other(
        request, f"/backup?unit_id={system.unit_id}", "备份策略已保存", "Backup policy saved"
    )


@router.post("/backup/systems/{system_id}/drills", include_in_schema=False)
def drill_form(
    request: Request,
    system_id: Id,
    caller: Writer,
    session: DbSession,
    settings: AppSettings,
    drilled_on: Annotated[str, Form(max_length=10)],
    scope: Annotated[str, Form(max_length=2000)],
    outcome: Annotated[str, Form(max_length=20)],
    rto_minutes: Annotated[str, Form(max_length=10)],
    rpo_minutes: Annotated[str, Form(max_length=10)],
) -> Response:
    try:
        body = DrillIn.model_validate(
            {
                "drilled_on": drilled_on,
                "scope": scope,
                "outcome": outcome,
                "rto_minutes": rto_minutes,
                "rpo_minutes": rpo_minutes,
            }
        )
    except ValidationError as exc:
        raise _form_error(exc) from None
    system = orgs_service.get_system(session, system_id, scope=caller.scope)
    flows.record_drill(
        session, system_id, body, scope=caller.scope, by=caller.username, today=_today(settings)
    )
    return see_other(
        request, f"/backup?unit_id={system.unit_id}", "恢复演练已登记", "Recovery drill recorded"
    )


@router.post("/backup/drills/{drill_id}/evidence", include_in_schema=False)
async def evidence_form(
    request: Request,
    drill_id: Id,
    caller: Writer,
    session: DbSession,
    settings: AppSettings,
    file: Annotated[UploadFile, File()],
) -> Response:
    upload = await read_limited(file, min(settings.max_upload_bytes, flows.MAX_EVIDENCE_BYTES))
    if upload is None:
        raise ValidationFailed("evidence_empty", "请选择演练证明文件")
    drill = flows.get_drill(session, drill_id, scope=caller.scope)
    system = orgs_service.get_system(session, drill.system_id, scope=caller.scope)
    flows.attach_evidence(
        session,
        drill_id,
        *upload,
        scope=caller.scope,
        by=caller.username,
        uploads_dir=settings.uploads_dir,
    )
    return see_other(
        request, f"/backup?unit_id={system.unit_id}", "证明材料已上传", "Evidence uploaded"
    )
