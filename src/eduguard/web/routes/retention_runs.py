"""Disposition runs (数据归档/销毁): plan (dry run on the source) → two approvals → executed
by the worker → certificate (JSON and PDF). API under ``/api/v1/retention``, console pages
under ``/retention/runs``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from eduguard.access.policy import Principal
from eduguard.catalog import service as catalog_service
from eduguard.errors import NotFound
from eduguard.retention import dispositions, residuals, subjects
from eduguard.retention import pdf as retention_pdf
from eduguard.retention.models import DispositionRun
from eduguard.retention.schemas import ArchiveRead, CredentialIn, DecisionIn, RunRead
from eduguard.reviews.models import ReviewRequest
from eduguard.reviews.service import STEP_LABELS, Person
from eduguard.web.deps import DbSession, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id
from eduguard.web.render import page

router = APIRouter()
Reader = Annotated[Principal, permission("retention:read")]
Writer = Annotated[Principal, permission("retention:write")]
Approver = Annotated[Principal, permission("retention:approve")]
ArchiveReader = Annotated[Principal, permission("retention:archive")]
SourceWriter = Annotated[Principal, permission("source:write")]


def person(principal: Principal) -> Person:
    roles = frozenset(role.value for role in principal.roles)
    return Person(
        principal.user_id, principal.username, roles, principal.unit_id, principal.unit_path
    )


def _certificate(run: DispositionRun) -> dict[str, object]:
    if run.certificate is None:
        raise NotFound("retention_certificate_missing", "该处置任务尚未完成，还没有证明")
    document: dict[str, object] = json.loads(run.certificate)
    return document


# ---------------------------------------------------------------- API


@router.put("/api/v1/retention/sources/{source_id}/write-credential", tags=["retention"])
def register_credential(
    source_id: Id, body: CredentialIn, caller: SourceWriter, session: DbSession
) -> dict[str, object]:
    """The credential dispositions write with (sealed; the scan credential stays read-only)."""
    credential = dispositions.register_write_credential(
        session, source_id, body.username, body.password, scope=caller.scope, by=caller.username
    )
    return {"source_id": credential.source_id, "username": credential.username}


@router.post("/api/v1/retention/datasets/{dataset_id}/runs", tags=["retention"], status_code=201)
def plan_run(dataset_id: Id, caller: Writer, session: DbSession) -> RunRead:
    """A dry run on the real source: rows selected today, and the query that selects them."""
    run = dispositions.plan(session, dataset_id, scope=caller.scope, by=caller.username)
    return RunRead.model_validate(run)


@router.get("/api/v1/retention/runs/{run_id}", tags=["retention"])
def read_run(run_id: Id, caller: Reader, session: DbSession) -> RunRead:
    return RunRead.model_validate(dispositions.get_run(session, run_id, scope=caller.scope))


@router.post("/api/v1/retention/runs/{run_id}/submit", tags=["retention"])
def submit_run(run_id: Id, caller: Writer, session: DbSession) -> RunRead:
    """Submit the plan for the 数据主管单位's and the 网络安全职能部门's approvals."""
    run = dispositions.submit(session, run_id, person(caller), scope=caller.scope)
    return RunRead.model_validate(run)


@router.post("/api/v1/retention/runs/{run_id}/decision", tags=["retention"])
def decide_run(run_id: Id, body: DecisionIn, caller: Approver, session: DbSession) -> RunRead:
    """Decide the awaiting step; after the second approval the worker executes the run."""
    run = dispositions.decide(
        session, run_id, person(caller), body.decision, body.reason, scope=caller.scope
    )
    return RunRead.model_validate(run)


@router.get("/api/v1/retention/runs/{run_id}/certificate.json", tags=["retention"])
def certificate_json(run_id: Id, caller: Reader, session: DbSession) -> Response:
    """The signed certificate; ``eduguard retention verify-cert`` checks it offline."""
    run = dispositions.get_run(session, run_id, scope=caller.scope)
    _certificate(run)
    return Response(
        run.certificate,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="certificate-{run.id}.json"'},
    )


@router.get("/api/v1/retention/runs/{run_id}/certificate.pdf", tags=["retention"])
def certificate_pdf(request: Request, run_id: Id, caller: Reader, session: DbSession) -> Response:
    run = dispositions.get_run(session, run_id, scope=caller.scope)
    content = retention_pdf.to_pdf(_certificate(run), font_path=request.app.state.settings.pdf_font)
    return Response(
        content,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="certificate-{run.id}.pdf"'},
    )


@router.get("/api/v1/retention/runs/{run_id}/archive", tags=["retention"])
def read_archive(run_id: Id, reason: str, caller: ArchiveReader, session: DbSession) -> ArchiveRead:
    """Archived rows: the auditor, or the owner with a stated reason; every read is audited."""
    rows = dispositions.read_archive(
        session, run_id, scope=caller.scope, reason=reason, by=caller.username
    )
    return ArchiveRead(run_id=run_id, rows=rows)


# ---------------------------------------------------------------- console


@router.get("/retention/runs/{run_id}", include_in_schema=False)
def run_page(request: Request, run_id: Id, caller: Reader, session: DbSession) -> HTMLResponse:
    run = dispositions.get_run(session, run_id, scope=caller.scope)
    dataset = catalog_service.get_dataset(session, run.dataset_id)
    review = session.get(ReviewRequest, run.review_id) if run.review_id else None
    steps = [
        {
            "label": s.label,
            "status": STEP_LABELS[s.status],
            "by": s.decided_by_name or "",
            "reason": s.reason or "",
        }
        for s in (review.steps if review else [])
    ]
    return page(
        request,
        "retention_run.html",
        run=run,
        dataset=dataset,
        steps=steps,
        residuals=residuals.read(session, run),
        subject_classes=json.loads(run.subject_classes) if run.subject_classes else None,
        subject_class_labels=subjects.LABELS,
        crumbs=[("/", "概览"), ("/retention", "保存期限"), (None, f"处置任务 {run.id}")],
    )


@router.post("/retention/datasets/{dataset_id}/runs", include_in_schema=False)
def plan_form(request: Request, dataset_id: Id, caller: Writer, session: DbSession) -> Response:
    run = dispositions.plan(session, dataset_id, scope=caller.scope, by=caller.username)
    return see_other(
        request, f"/retention/runs/{run.id}", "已生成处置计划（干运行）", "Disposition planned"
    )


@router.post("/retention/runs/{run_id}/submit", include_in_schema=False)
def submit_form(request: Request, run_id: Id, caller: Writer, session: DbSession) -> Response:
    dispositions.submit(session, run_id, person(caller), scope=caller.scope)
    return see_other(request, f"/retention/runs/{run_id}", "已提交审批", "Submitted for approval")


@router.post("/retention/runs/{run_id}/decision", include_in_schema=False)
def decision_form(
    request: Request,
    run_id: Id,
    caller: Approver,
    session: DbSession,
    decision: Annotated[str, Form(pattern="^(approve|reject|return)$")],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    dispositions.decide(session, run_id, person(caller), decision, reason, scope=caller.scope)
    return see_other(request, f"/retention/runs/{run_id}", "审批意见已记录", "Decision recorded")
