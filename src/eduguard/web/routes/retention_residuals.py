"""Residual copies of a disposition run (仍存在的副本, issue #20 part 5): who still holds the
run's data — backups until their expiry, processors and recipients — and what each confirmed.
API under ``/api/v1/retention/runs/{id}/residuals``; the console form is on the run's page.
Recording a confirmation on a completed run issues its certificate again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError

from eduguard import labels
from eduguard.access.policy import Principal
from eduguard.db.base import utcnow
from eduguard.errors import ValidationFailed
from eduguard.retention import dispositions, residuals
from eduguard.retention.residual_models import ResidualConfirmation
from eduguard.retention.residuals import ConfirmationBody, ConfirmationIn, ConfirmationRead
from eduguard.validation import validation_details
from eduguard.web.deps import AppSettings, DbSession, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id, decode_base64
from eduguard.web.routes.uploads import read_limited

router = APIRouter()
Reader = Annotated[Principal, permission("retention:read")]
Writer = Annotated[Principal, permission("retention:write")]


def _read(row: ResidualConfirmation) -> ConfirmationRead:
    return ConfirmationRead.model_validate(row, from_attributes=True)


@router.get("/api/v1/retention/runs/{run_id}/residuals", tags=["retention"])
def read_residuals(run_id: Id, caller: Reader, session: DbSession) -> residuals.ResidualsRead:
    """What still holds the run's data: its system's backups (until when) and every processor
    or recipient of the dataset, with what each confirmed (unconfirmed unless recorded)."""
    run = dispositions.get_run(session, run_id, scope=caller.scope)
    return residuals.read(session, run)


@router.post("/api/v1/retention/runs/{run_id}/residuals", tags=["retention"], status_code=201)
def record_residual(
    run_id: Id, body: ConfirmationBody, caller: Writer, session: DbSession, settings: AppSettings
) -> ConfirmationRead:
    """Record what a holder said (deletion confirmed on a date, or not), optionally with its
    letter in base64; a completed run's certificate is issued again with it."""
    evidence = None
    if body.evidence_name is not None and body.evidence_base64 is not None:
        evidence = (body.evidence_name, decode_base64(body.evidence_base64, "evidence_base64"))
    row = residuals.confirm(
        session,
        run_id,
        body.statement(),
        scope=caller.scope,
        by=caller.username,
        today=labels.local_time(utcnow(), settings.timezone).date(),
        keys_dir=settings.keys_dir,
        uploads_dir=settings.uploads_dir,
        evidence=evidence,
    )
    return _read(row)


@router.get(
    "/api/v1/retention/runs/{run_id}/residuals/{confirmation_id}/evidence", tags=["retention"]
)
def download_residual_evidence(
    run_id: Id, confirmation_id: Id, caller: Reader, session: DbSession, settings: AppSettings
) -> FileResponse:
    run = dispositions.get_run(session, run_id, scope=caller.scope)
    name, path = residuals.evidence_file(session, run, confirmation_id, settings.uploads_dir)
    return FileResponse(path, filename=name)


@router.post("/retention/runs/{run_id}/residuals", include_in_schema=False)
async def residual_form(
    request: Request,
    run_id: Id,
    caller: Writer,
    session: DbSession,
    settings: AppSettings,
    holder_key: Annotated[str, Form(max_length=40)],
    confirmed: Annotated[str, Form(pattern="^(yes|no)$")],
    confirmed_on: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        body = ConfirmationIn.model_validate(
            {
                "holder_key": holder_key,
                "confirmed": confirmed == "yes",
                "confirmed_on": confirmed_on or None,
                "note": note,
            }
        )
    except ValidationError as exc:
        first = validation_details(exc.errors(), "zh")[0]
        raise ValidationFailed("residual_form_invalid", str(first["message"])) from None
    upload = await read_limited(file, min(settings.max_upload_bytes, residuals.MAX_EVIDENCE_BYTES))
    residuals.confirm(
        session,
        run_id,
        body,
        scope=caller.scope,
        by=caller.username,
        today=labels.local_time(utcnow(), settings.timezone).date(),
        keys_dir=settings.keys_dir,
        uploads_dir=settings.uploads_dir,
        evidence=upload,
    )
    return see_other(
        request,
        f"/retention/runs/{run_id}#residuals",
        "已登记副本持有方的答复",
        "Holder's answer recorded",
    )
