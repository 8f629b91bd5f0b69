"""Compliance: findings, scores, reports and remediation tasks — JSON API under ``/api/v1`` and
the console page ``/compliance``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ConfigDict, Field, ValidationError
from starlette.datastructures import FormData

from eduguard import exports, labels
from eduguard.access.policy import Principal, decide
from eduguard.compliance import flows
from eduguard.compliance import report as compliance_report
from eduguard.compliance.checks import FACTS, UNIT_FACTS
from eduguard.compliance.models import FindingStatus
from eduguard.compliance.rules import SEVERITIES
from eduguard.compliance.schemas import (
    EvaluationSummary,
    FactsRead,
    FactsUpdate,
    FindingRead,
    TaskUpdate,
    UnitFactsRead,
    UnitFactsUpdate,
    UnitScore,
)
from eduguard.config import get_settings  # the zone the PDF itself uses (compliance/report.py)
from eduguard.errors import EduguardError
from eduguard.orgs import service as orgs_service
from eduguard.validation import RequestModel, validation_details
from eduguard.web.deps import DbSession, language, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id, OptionalId
from eduguard.web.render import page

router = APIRouter()

Reader = Annotated[Principal, permission("compliance:read")]
Evaluator = Annotated[Principal, permission("compliance:evaluate")]
Exporter = Annotated[Principal, permission("compliance:export")]
Writer = Annotated[Principal, permission("compliance:write")]
Limit = Annotated[int, Query(ge=1, le=5000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Severity = Literal["high", "medium", "low"]
RuleId = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Z0-9-]*$")]
Format = Literal["json", "html", "pdf"]
BOOL_FACTS = [name for name, (_label, kind) in FACTS.items() if kind == "bool"]


class EvaluateRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


def _retention(request: Request) -> int:
    days: int = request.app.state.settings.audit_retention_days
    return days


# ---------------------------------------------------------------- API


@router.get("/api/v1/compliance/findings", tags=["compliance"])
def list_findings(
    request: Request,
    caller: Reader,
    session: DbSession,
    unit_id: OptionalId = None,
    system_id: OptionalId = None,
    status: FindingStatus | None = None,
    severity: Severity | None = None,
    rule_id: RuleId = None,
    limit: Limit = 500,
    offset: Offset = 0,
) -> list[FindingRead]:
    """Findings of the caller's units (narrowed to ``unit_id``), with evidence and task."""
    return flows.findings(
        session,
        caller.scope,
        unit_id=unit_id,
        status=status,
        severity=severity,
        rule_id=rule_id or None,
        system_id=system_id,
        limit=limit,
        offset=offset,
        lang=language(request),
    )


@router.get("/api/v1/compliance/scores", tags=["compliance"])
def scores(caller: Reader, session: DbSession, unit_id: OptionalId = None) -> list[UnitScore]:
    """Per unit: score (100 minus weighted open findings), open findings by severity, by clause."""
    path, _label = flows.narrow(session, caller.scope, unit_id)
    return flows.unit_scores(session, path)


@router.post("/api/v1/compliance/evaluate", tags=["compliance"])
def evaluate(
    body: EvaluateRequest, request: Request, caller: Evaluator, session: DbSession
) -> EvaluationSummary:
    """Evaluate the rules over the caller's units (or ``unit_id`` and below); audited."""
    return flows.evaluate(
        session,
        scope=caller.scope,
        unit_id=body.unit_id,
        audit_retention_days=_retention(request),
    )


def _download(session: DbSession, caller: Principal, fmt: str, unit_id: OptionalId) -> Response:
    body, _count = flows.report(session, fmt, scope=caller.scope, unit_id=unit_id)
    _path, label = flows.narrow(session, caller.scope, unit_id)
    day = labels.local_time(datetime.now(UTC), get_settings().timezone).strftime("%Y%m%d")
    filename = exports.file_name(label, "合规报告", day, suffix=fmt)  # 乙县一小-合规报告-日期.pdf
    return Response(
        body,
        media_type=compliance_report.MEDIA[fmt],
        headers={
            "content-disposition": exports.attachment(filename, f"compliance-report-{day}.{fmt}")
        },
    )


@router.get("/api/v1/compliance/report", tags=["compliance"])
def report(
    caller: Exporter, session: DbSession, format: Format = "json", unit_id: OptionalId = None
) -> Response:
    """合规报告 of the caller's units (or ``unit_id`` and below) as JSON, HTML or PDF; audited."""
    return _download(session, caller, format, unit_id)


@router.patch("/api/v1/compliance/tasks/{task_id}", tags=["compliance"])
def update_task(task_id: Id, body: TaskUpdate, caller: Writer, session: DbSession) -> FindingRead:
    """Assign a task to an account, move its due date, close it with a reason, or reopen it."""
    return flows.update_task(session, task_id, body, scope=caller.scope, by=caller.username)


@router.get("/api/v1/systems/{system_id}/compliance-facts", tags=["compliance"])
def read_facts(system_id: Id, caller: Reader, session: DbSession) -> FactsRead:
    return flows.get_facts(session, system_id, scope=caller.scope)


@router.patch("/api/v1/systems/{system_id}/compliance-facts", tags=["compliance"])
def update_facts(system_id: Id, body: FactsUpdate, caller: Writer, session: DbSession) -> FactsRead:
    """Record what the registry cannot know (officer, filing, audits, consents…); audited."""
    return flows.save_facts(session, system_id, body, scope=caller.scope, by=caller.username)


@router.get("/api/v1/units/{unit_id}/compliance-facts", tags=["compliance"])
def read_unit_facts(unit_id: Id, caller: Reader, session: DbSession) -> UnitFactsRead:
    return flows.get_unit_facts(session, unit_id, scope=caller.scope)


@router.patch("/api/v1/units/{unit_id}/compliance-facts", tags=["compliance"])
def update_unit_facts(
    unit_id: Id, body: UnitFactsUpdate, caller: Writer, session: DbSession
) -> UnitFactsRead:
    """Record a unit's own duties (rules, incident plan, training, sharing list…); audited."""
    return flows.save_unit_facts(session, unit_id, body, scope=caller.scope, by=caller.username)


# ---------------------------------------------------------------- console


def _may(caller: Principal, action: str) -> bool:
    return decide(caller, action).allowed


def _page(
    request: Request,
    session: DbSession,
    caller: Principal,
    *,
    status: str = "open",
    unit_id: OptionalId = None,
    errors: list[str] | None = None,
) -> HTMLResponse:
    wanted = FindingStatus(status) if status in ("open", "resolved") else None
    found = flows.findings(
        session, caller.scope, unit_id=unit_id, status=wanted, limit=2000, lang=language(request)
    )
    path, label = flows.narrow(session, caller.scope, unit_id)
    systems = orgs_service.list_systems(session, scope=caller.scope, limit=10_000)
    scores = flows.unit_scores(session, path)
    return page(
        request,
        "compliance.html",
        status_code=422 if errors else 200,
        errors=errors or [],
        findings=found,
        scores=scores,
        systems=systems,
        status=status,
        unit_id=unit_id,
        scope_label=label,
        severities=SEVERITIES,
        can_evaluate=_may(caller, "compliance:evaluate"),
        can_export=_may(caller, "compliance:export"),
        can_write=_may(caller, "compliance:write"),
    )


@router.get("/compliance", include_in_schema=False)
def compliance_page(
    request: Request,
    caller: Reader,
    session: DbSession,
    status: Literal["open", "resolved", "all"] = "open",
    unit_id: OptionalId = None,
) -> HTMLResponse:
    return _page(request, session, caller, status=status, unit_id=unit_id)


@router.post("/compliance/evaluate", include_in_schema=False)
def evaluate_submit(request: Request, caller: Evaluator, session: DbSession) -> Response:
    flows.evaluate(session, scope=caller.scope, audit_retention_days=_retention(request))
    return see_other(
        request,
        "/compliance",
        "已完成合规评估，发现与得分已更新",
        "Evaluated: findings and scores are up to date",
    )


@router.get("/compliance/report", include_in_schema=False)
def report_download(
    caller: Exporter, session: DbSession, format: Format = "html", unit_id: OptionalId = None
) -> Response:
    return _download(session, caller, format, unit_id)


@router.post("/compliance/tasks/{task_id}", include_in_schema=False)
async def task_submit(
    request: Request, task_id: Id, caller: Writer, session: DbSession
) -> Response:
    form = await request.form()
    values = {
        key: value.strip()
        for key, value in form.items()
        if isinstance(value, str) and key in ("action", "reason", "due_date") and value.strip()
    }
    try:
        data = TaskUpdate.model_validate(values)
        with session.begin_nested():
            flows.update_task(session, task_id, data, scope=caller.scope, by=caller.username)
        return see_other(request, "/compliance", "已更新整改任务", "Task updated")
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        errors = [exc.message(language(request))]
    except ValidationError as exc:
        details = validation_details(exc.errors(), language(request))
        errors = [d["message"] for d in details]
    return _page(request, session, caller, errors=errors)


def _facts_page(
    request: Request,
    session: DbSession,
    caller: Principal,
    system_id: Id,
    errors: list[str] | None = None,
) -> HTMLResponse:
    system = orgs_service.get_system(session, system_id, scope=caller.scope)
    facts = flows.get_facts(session, system_id, scope=caller.scope)
    found = flows.findings(session, caller.scope, system_id=system_id, lang=language(request))
    return page(
        request,
        "compliance_facts.html",
        status_code=422 if errors else 200,
        errors=errors or [],
        system=system,
        facts=facts,
        labels={name: label for name, (label, _kind) in FACTS.items()},
        kinds={name: kind for name, (_label, kind) in FACTS.items()},
        findings=found,
        proposals=flows.important_proposals(session, system_id, scope=caller.scope),
        can_write=_may(caller, "compliance:write"),
    )


@router.get("/compliance/systems/{system_id}", include_in_schema=False)
def facts_page(request: Request, system_id: Id, caller: Reader, session: DbSession) -> HTMLResponse:
    return _facts_page(request, session, caller, system_id)


@router.post("/compliance/systems/{system_id}", include_in_schema=False)
async def facts_submit(
    request: Request, system_id: Id, caller: Writer, session: DbSession
) -> Response:
    values = _form_facts(await request.form(), FACTS)
    try:
        data = FactsUpdate.model_validate(values)
        with session.begin_nested():
            flows.save_facts(session, system_id, data, scope=caller.scope, by=caller.username)
        return see_other(
            request, f"/compliance/systems/{system_id}", "已保存合规事实", "Facts saved"
        )
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        errors = [exc.message(language(request))]
    except ValidationError as exc:
        errors = _fact_errors(exc, FACTS, language(request))
    return _facts_page(request, session, caller, system_id, errors)


def _form_facts(form: FormData, known: dict[str, tuple[str, str]]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, (_label, kind) in [*known.items(), ("notes", ("", "text"))]:
        raw = form.get(name)
        if kind == "bool":
            values[name] = raw == "true"
        elif kind == "int" and isinstance(raw, str) and raw.strip().isdigit():
            values[name] = int(raw.strip())
        elif isinstance(raw, str):
            values[name] = raw.strip() or None
    return values


def _fact_errors(exc: ValidationError, known: dict[str, tuple[str, str]], lang: str) -> list[str]:
    details = validation_details(exc.errors(), lang)
    labels = {name: label for name, (label, _kind) in known.items()} | {"notes": "备注"}
    return [
        f"{labels.get(d['field'], d['field'])}：{d['message']}" if d["field"] else d["message"]
        for d in details
    ]


def _unit_facts_page(
    request: Request,
    session: DbSession,
    caller: Principal,
    unit_id: Id,
    errors: list[str] | None = None,
) -> HTMLResponse:
    unit = orgs_service.get_unit(session, unit_id, scope=caller.scope)
    facts = flows.get_unit_facts(session, unit_id, scope=caller.scope)
    found = [
        f
        for f in flows.findings(session, unit.path, lang=language(request))
        if f.unit_id == unit.id and f.system_id is None
    ]
    return page(
        request,
        "compliance_unit_facts.html",
        status_code=422 if errors else 200,
        errors=errors or [],
        unit=unit,
        facts=facts,
        labels={name: label for name, (label, _kind) in UNIT_FACTS.items()},
        kinds={name: kind for name, (_label, kind) in UNIT_FACTS.items()},
        findings=found,
        can_write=_may(caller, "compliance:write"),
    )


@router.get("/compliance/units/{unit_id}", include_in_schema=False)
def unit_facts_page(
    request: Request, unit_id: Id, caller: Reader, session: DbSession
) -> HTMLResponse:
    return _unit_facts_page(request, session, caller, unit_id)


@router.post("/compliance/units/{unit_id}", include_in_schema=False)
async def unit_facts_submit(
    request: Request, unit_id: Id, caller: Writer, session: DbSession
) -> Response:
    values = _form_facts(await request.form(), UNIT_FACTS)
    try:
        data = UnitFactsUpdate.model_validate(values)
        with session.begin_nested():
            flows.save_unit_facts(session, unit_id, data, scope=caller.scope, by=caller.username)
        return see_other(
            request,
            f"/compliance/units/{unit_id}",
            "已保存单位合规事实",
            "Unit compliance facts saved",
        )
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        errors = [exc.message(language(request))]
    except ValidationError as exc:
        errors = _fact_errors(exc, UNIT_FACTS, language(request))
    return _unit_facts_page(request, session, caller, unit_id, errors)
