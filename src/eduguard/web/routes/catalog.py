"""The data resource catalog: JSON API under ``/api/v1`` and console pages under ``/catalog``.

Scanning never happens here: a request queues scan runs, ``eduguard worker`` executes them and
the pages poll the run rows for progress.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import literal, select

from eduguard import exports
from eduguard.access.policy import Principal, decide
from eduguard.catalog import export as catalog_export
from eduguard.catalog import flows, service
from eduguard.catalog.models import DataSource, ReviewStatus, RunStatus
from eduguard.catalog.schemas import (
    LEVEL_LABELS,
    LEVELS,
    AlertAcknowledge,
    AlertRead,
    BulkAccept,
    BulkResult,
    ChangeRead,
    DatasetRead,
    DatasetUpdate,
    FieldRead,
    FieldReview,
    RunRead,
    ScanRequest,
    SourceCreate,
    SourceRead,
    SourceUpdate,
)
from eduguard.demo import samples
from eduguard.errors import EduguardError, ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.processing import intake as processing_intake
from eduguard.processing.schemas import ExpectedItemRead
from eduguard.validation import validation_details
from eduguard.web.deps import DbSession, language, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id, OptionalId
from eduguard.web.render import page
from eduguard.web.routes.forms import parse

router = APIRouter()

Reader = Annotated[Principal, permission("catalog:read")]
Scanner = Annotated[Principal, permission("catalog:scan")]
Reviewer = Annotated[Principal, permission("catalog:review")]
Exporter = Annotated[Principal, permission("catalog:export")]
SourceWriter = Annotated[Principal, permission("source:write")]
AlertHandler = Annotated[Principal, permission("catalog:alert")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Search = Annotated[str | None, Query(max_length=100)]
TypeFilter = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]*$")]
LevelFilter = Annotated[str | None, Query(max_length=20, pattern=r"^[a-z0-9-]*$")]
ExpectedState = Literal["expected", "collected", "all"]
ACTIVE = (RunStatus.queued, RunStatus.running)
REVIEW_LABELS = {
    "decision": "决定",
    "reason": "理由",
    "pi_types": "个人信息类型",
    "category": "分类",
    "level": "级别",
}
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _policy(request: Request) -> service.LocationPolicy:
    return flows.location_policy(request.app.state.settings)


def _source(source: DataSource) -> SourceRead:
    return SourceRead.model_validate(service.source_out(source))


# ---------------------------------------------------------------- API: sources


@router.get("/api/v1/systems/{system_id}/sources", tags=["catalog"])
def list_sources(system_id: Id, caller: Reader, session: DbSession) -> list[SourceRead]:
    return [_source(s) for s in flows.list_sources(session, system_id, scope=caller.scope)]


@router.post("/api/v1/systems/{system_id}/sources", tags=["catalog"], status_code=201)
def create_source(
    system_id: Id, body: SourceCreate, request: Request, caller: SourceWriter, session: DbSession
) -> SourceRead:
    """Register a data source. A password in a database URL is stored encrypted, never shown."""
    source = flows.add_source(session, system_id, body, scope=caller.scope, policy=_policy(request))
    return _source(source)


@router.get("/api/v1/catalog/sources/{source_id}", tags=["catalog"])
def read_source(source_id: Id, caller: Reader, session: DbSession) -> SourceRead:
    return _source(flows.get_source(session, source_id, scope=caller.scope))


@router.patch("/api/v1/catalog/sources/{source_id}", tags=["catalog"])
def update_source(
    source_id: Id, body: SourceUpdate, request: Request, caller: SourceWriter, session: DbSession
) -> SourceRead:
    source = flows.update_source(
        session, source_id, body, scope=caller.scope, policy=_policy(request)
    )
    return _source(source)


@router.post("/api/v1/catalog/sources/{source_id}/archive", tags=["catalog"])
def archive_source(source_id: Id, caller: SourceWriter, session: DbSession) -> SourceRead:
    return _source(flows.archive_source(session, source_id, scope=caller.scope))


# ---------------------------------------------------------------- API: scans


@router.post("/api/v1/systems/{system_id}/scans", tags=["catalog"], status_code=202)
def request_scan(
    system_id: Id, body: ScanRequest, caller: Scanner, session: DbSession
) -> list[RunRead]:
    """Queue scan runs (one per source); ``eduguard worker`` executes them."""
    runs = flows.request_scan(
        session,
        system_id,
        scope=caller.scope,
        requested_by=caller.username,
        source_id=body.source_id,
        sample=body.sample,
    )
    return [RunRead.model_validate(r) for r in runs]


@router.get("/api/v1/catalog/runs", tags=["catalog"])
def list_runs(
    caller: Reader, session: DbSession, system_id: OptionalId = None, limit: Limit = 50
) -> list[RunRead]:
    runs = flows.list_runs(session, scope=caller.scope, system_id=system_id, limit=limit)
    return [RunRead.model_validate(r) for r in runs]


@router.get("/api/v1/catalog/runs/{run_id}", tags=["catalog"])
def read_run(run_id: Id, caller: Reader, session: DbSession) -> RunRead:
    return RunRead.model_validate(flows.get_run(session, run_id, scope=caller.scope))


@router.post("/api/v1/catalog/runs/{run_id}/cancel", tags=["catalog"])
def cancel_run(run_id: Id, caller: Scanner, session: DbSession) -> RunRead:
    """Cancel a queued or running scan (a running one stops before its next batch); audited."""
    run = flows.cancel_run(session, run_id, scope=caller.scope, cancelled_by=caller.username)
    return RunRead.model_validate(run)


# ---------------------------------------------------------------- API: the catalog


@router.get("/api/v1/catalog/datasets", tags=["catalog"])
def list_datasets(
    caller: Reader,
    session: DbSession,
    system_id: OptionalId = None,
    search: Search = None,
    level: LevelFilter = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[DatasetRead]:
    datasets = service.list_datasets(
        session,
        systems=flows.scoped_systems(caller.scope),
        system_id=system_id,
        search=search,
        level=level,
        limit=limit,
        offset=offset,
    )
    return flows.dataset_reads(session, datasets)


@router.get("/api/v1/catalog/datasets/{dataset_id}", tags=["catalog"])
def read_dataset(dataset_id: Id, caller: Reader, session: DbSession) -> DatasetRead:
    dataset = service.get_dataset(session, dataset_id, systems=flows.scoped_systems(caller.scope))
    return flows.dataset_reads(session, [dataset])[0]


@router.patch("/api/v1/catalog/datasets/{dataset_id}", tags=["catalog"])
def update_dataset(
    dataset_id: Id, body: DatasetUpdate, caller: Reviewer, session: DbSession
) -> DatasetRead:
    """Set the retention period (存储期限), which scans cannot know."""
    dataset = flows.set_retention(session, dataset_id, body.retention_period, scope=caller.scope)
    return flows.dataset_reads(session, [dataset])[0]


@router.get("/api/v1/catalog/fields", tags=["catalog"])
def list_fields(
    caller: Reader,
    session: DbSession,
    system_id: OptionalId = None,
    dataset_id: OptionalId = None,
    search: Search = None,
    pi_type: TypeFilter = None,
    review_status: ReviewStatus | None = None,
    personal_only: bool = False,
    level: LevelFilter = None,
    limit: Limit = 500,
    offset: Offset = 0,
) -> list[FieldRead]:
    """Search the catalog's data items (name, type, review status, effective level)."""
    fields = service.list_fields(
        session,
        systems=flows.scoped_systems(caller.scope),
        system_id=system_id,
        dataset_id=dataset_id,
        search=search,
        pi_type=pi_type,
        review_status=review_status,
        personal_only=personal_only,
        level=level or None,
        limit=limit,
        offset=offset,
    )
    return [flows.field_read(f) for f in fields]


@router.get("/api/v1/systems/{system_id}/expected-fields", tags=["catalog"])
def list_expected(
    system_id: Id,
    caller: Reader,
    session: DbSession,
    state: ExpectedState = "expected",
    limit: Limit = 500,
) -> list[ExpectedItemRead]:
    """The system's expected catalog: data items a collection review approved into its
    processing register (``plan_id``: the review's plan) that no scan has found yet
    (``expected``, 经采集审核批准，待收集); ``collected`` once a scan found them."""
    orgs_service.get_system(session, system_id, scope=caller.scope)
    return processing_intake.expected_items(session, system_id, state=state, limit=limit)


@router.get("/api/v1/catalog/fields/{field_id}", tags=["catalog"])
def read_field(field_id: Id, caller: Reader, session: DbSession) -> FieldRead:
    field = service.get_field(session, field_id, systems=flows.scoped_systems(caller.scope))
    return flows.field_read(field)


@router.post("/api/v1/catalog/fields/{field_id}/review", tags=["catalog"])
def review_field(
    field_id: Id, body: FieldReview, caller: Reviewer, session: DbSession
) -> FieldRead:
    """Confirm or correct a field's proposed classification, with a reason (audited)."""
    field = flows.review(session, field_id, body, scope=caller.scope, reviewer=caller.username)
    return flows.field_read(field)


@router.post("/api/v1/catalog/review/bulk-accept", tags=["catalog"])
def bulk_accept(body: BulkAccept, caller: Reviewer, session: DbSession) -> BulkResult:
    """Confirm every pending proposal at least ``min_confidence`` sure (each one audited)."""
    count = flows.bulk_accept(session, body, scope=caller.scope, reviewer=caller.username)
    return BulkResult(accepted=count)


@router.get("/api/v1/catalog/changes", tags=["catalog"])
def list_changes(
    caller: Reader,
    session: DbSession,
    system_id: OptionalId = None,
    findings_only: bool = False,
    limit: Limit = 200,
) -> list[ChangeRead]:
    changes = service.list_changes(
        session,
        systems=flows.scoped_systems(caller.scope),
        system_id=system_id,
        findings_only=findings_only,
        limit=limit,
    )
    return [ChangeRead.model_validate(c) for c in changes]


@router.get("/api/v1/catalog/alerts", tags=["catalog"])
def list_alerts(
    caller: Reader,
    session: DbSession,
    status: Literal["open", "all"] = "open",
    limit: Limit = 200,
) -> list[AlertRead]:
    alerts = service.list_alerts(
        session,
        systems=flows.scoped_systems(caller.scope),
        status=None if status == "all" else status,
        limit=limit,
    )
    return [AlertRead.model_validate(a) for a in alerts]


@router.post("/api/v1/catalog/alerts/{alert_id}/acknowledge", tags=["catalog"])
def acknowledge_alert(
    alert_id: Id, data: AlertAcknowledge, caller: AlertHandler, session: DbSession
) -> AlertRead:
    """The security administrator confirms having seen an alert, saying what was done (the
    note goes to the audit log); the alert leaves the open list."""
    alert = flows.acknowledge_alert(session, alert_id, data, scope=caller.scope)
    return AlertRead.model_validate(alert)


def _download(
    request: Request, session: DbSession, caller: Principal, fmt: str, unit_id: OptionalId
) -> Response:
    zone = request.app.state.settings.timezone
    body, _count = flows.export(session, fmt, scope=caller.scope, unit_id=unit_id, zone=zone)
    _path, _label, name = flows.export_scope(session, scope=caller.scope, unit_id=unit_id)
    filename = catalog_export.file_name(name, fmt, zone=zone)  # 乙县一小-数据资源目录-日期.xlsx
    fallback = f"catalog-{filename.rsplit('-', 1)[-1]}"  # catalog-20261202.xlsx
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"content-disposition": exports.attachment(filename, fallback)},
    )


@router.get("/api/v1/catalog/export", tags=["catalog"])
def export_catalog(
    request: Request,
    caller: Exporter,
    session: DbSession,
    format: Literal["xlsx", "json"] = "xlsx",
    unit_id: OptionalId = None,
) -> Response:
    """数据资源目录: one row per data item (xlsx in the department's form, or JSON); audited."""
    return _download(request, session, caller, format, unit_id)


# ---------------------------------------------------------------- console


def _may(caller: Principal, action: str) -> bool:
    return decide(caller, action).allowed


@router.get("/catalog", include_in_schema=False)
def catalog_page(
    request: Request,
    caller: Reader,
    session: DbSession,
    q: str = "",
    system_id: OptionalId = None,
    pi_type: TypeFilter = None,
    review_status: ReviewStatus | None = None,
    personal_only: bool = False,
) -> HTMLResponse:
    systems = orgs_service.list_systems(session, scope=caller.scope, limit=10_000)
    fields = service.list_fields(
        session,
        systems=flows.scoped_systems(caller.scope),
        system_id=system_id,
        search=q[:100] or None,
        pi_type=pi_type or None,
        review_status=review_status,
        personal_only=personal_only,
        limit=1000,
    )
    alerts = service.list_alerts(session, systems=flows.scoped_systems(caller.scope), limit=20)
    expected = []
    if system_id is not None and system_id in {s.id for s in systems}:
        expected = processing_intake.expected_items(session, system_id)
    template = "catalog_table.html" if request.headers.get("hx-request") else "catalog.html"
    return page(
        request,
        template,
        fields=fields,
        expected=expected,
        systems=systems,
        system_names={s.id: s.name for s in systems},
        alerts=alerts,
        q=q,
        system_id=system_id,
        pi_type=pi_type or "",
        review_status=review_status.value if review_status else "",
        personal_only=personal_only,
        statuses=list(ReviewStatus),
        level_labels=LEVEL_LABELS,
        can_review=_may(caller, "catalog:review"),
        can_acknowledge=_may(caller, "catalog:alert"),
        can_export=_may(caller, "catalog:export"),
    )


def _system_page(
    request: Request, session: DbSession, caller: Principal, system_id: Id, **context: object
) -> HTMLResponse:
    settings = request.app.state.settings
    system = orgs_service.get_system(session, system_id, scope=caller.scope)
    sources = [
        service.source_out(s) for s in flows.list_sources(session, system_id, scope=caller.scope)
    ]
    runs = flows.list_runs(session, scope=caller.scope, system_id=system_id, limit=20)
    context.setdefault("values", {})
    return page(
        request,
        "catalog_system.html",
        alerts=service.list_alerts(session, systems=select(literal(system.id)), limit=20),
        status_code=422 if context.get("errors") else 200,
        system=system,
        expected=processing_intake.expected_items(session, system.id),
        sources=sources,
        runs=runs,
        active=any(r.status in ACTIVE for r in runs),
        can_write=_may(caller, "source:write"),
        can_scan=_may(caller, "catalog:scan"),
        # the demo's made-up database addresses, marked as such and left out of 扫描
        fictitious={
            s["id"] for s in sources if settings.demo and samples.fictitious(s["location"])
        },
        max_upload_mb=max(1, request.app.state.settings.max_upload_bytes // (1024 * 1024)),
        uploads_prefix=f"{settings.source_uploads_dir.resolve()}/",
        **context,
    )


@router.get("/catalog/systems/{system_id}", include_in_schema=False)
def system_page(
    request: Request, system_id: Id, caller: Reader, session: DbSession
) -> HTMLResponse:
    return _system_page(request, session, caller, system_id)


@router.get("/catalog/systems/{system_id}/runs", include_in_schema=False)
def runs_partial(
    request: Request, system_id: Id, caller: Reader, session: DbSession
) -> HTMLResponse:
    orgs_service.get_system(session, system_id, scope=caller.scope)
    runs = flows.list_runs(session, scope=caller.scope, system_id=system_id, limit=20)
    active = any(r.status in ACTIVE for r in runs)
    return page(
        request,
        "catalog_runs.html",
        system_id=system_id,
        runs=runs,
        active=active,
        can_scan=_may(caller, "catalog:scan"),
    )


@router.post("/catalog/systems/{system_id}/sources", include_in_schema=False)
async def source_add(
    request: Request, system_id: Id, caller: SourceWriter, session: DbSession
) -> Response:
    form = await request.form()
    data, errors = parse(SourceCreate, form, language(request))
    if data is not None:
        try:
            with session.begin_nested():
                source = flows.add_source(
                    session,
                    system_id,
                    data,
                    scope=caller.scope,
                    policy=_policy(request),
                )
            return see_other(
                request,
                f"/catalog/systems/{system_id}",
                f"已登记数据源“{source.name}”，可点击“扫描”开始发现数据",
                f"Data source “{source.name}” registered; click Scan to discover its data",
            )
        except EduguardError as exc:
            errors = [exc.message(language(request))]
    values = {  # the location may hold a password: not echoed
        "name": str(form.get("name") or ""),
        "scan_every_days": str(form.get("scan_every_days") or ""),
    }
    return _system_page(request, session, caller, system_id, errors=errors, values=values)


@router.post("/catalog/alerts/{alert_id}/acknowledge", include_in_schema=False)
async def acknowledge_alert_form(
    request: Request, alert_id: Id, caller: AlertHandler, session: DbSession
) -> Response:
    form = await request.form()
    data, errors = parse(AlertAcknowledge, form, language(request))
    if data is None:
        raise ValidationFailed("alert_note_invalid", "；".join(errors))
    flows.acknowledge_alert(session, alert_id, data, scope=caller.scope)
    return see_other(request, "/catalog", "已确认该告警", "Alert acknowledged")


@router.post("/catalog/runs/{run_id}/cancel", include_in_schema=False)
def cancel_run_form(request: Request, run_id: Id, caller: Scanner, session: DbSession) -> Response:
    run = flows.cancel_run(session, run_id, scope=caller.scope, cancelled_by=caller.username)
    return see_other(
        request,
        f"/catalog/systems/{run.system_id}",
        f"已取消扫描任务 {run.id}",
        f"Scan {run.id} cancelled",
    )


def _review_page(
    request: Request, session: DbSession, caller: Principal, field_id: Id, **context: object
) -> HTMLResponse:
    field = service.get_field(session, field_id, systems=flows.scoped_systems(caller.scope))
    system = orgs_service.get_system(session, field.dataset.system_id, scope=caller.scope)
    context.setdefault("values", {})
    return page(
        request,
        "catalog_review.html",
        status_code=422 if context.get("errors") else 200,
        field=field,
        system=system,
        levels=LEVELS,
        level_labels=LEVEL_LABELS,
        **context,
    )


@router.get("/catalog/fields/{field_id}/review", include_in_schema=False)
def review_form(
    request: Request, field_id: Id, caller: Reviewer, session: DbSession
) -> HTMLResponse:
    return _review_page(request, session, caller, field_id)


@router.post("/catalog/fields/{field_id}/review", include_in_schema=False)
async def review_submit(
    request: Request, field_id: Id, caller: Reviewer, session: DbSession
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    raw_types = values.get("pi_types", "")
    body: dict[str, object] = {
        key: values[key] for key in ("decision", "reason", "category", "level") if values.get(key)
    }
    if values.get("decision") == "correct" and "pi_types" in form:
        body["pi_types"] = [
            c for c in raw_types.replace("、", ",").replace(" ", ",").split(",") if c
        ]
    errors: list[str] = []
    try:
        data = FieldReview.model_validate(body)
        with session.begin_nested():
            field = flows.review(
                session, field_id, data, scope=caller.scope, reviewer=caller.username
            )
        confirmed = data.decision == "confirm"
        return see_other(
            request,
            "/catalog",
            f"{'已确认' if confirmed else '已更正'}字段“{field.name}”的分类分级",
            f"Classification of “{field.name}” {'confirmed' if confirmed else 'corrected'}",
        )
    except EduguardError as exc:
        errors = [exc.message(language(request))]
    except ValidationError as exc:
        details = validation_details(exc.errors(), language(request))
        errors = [f"{REVIEW_LABELS.get(d['field'], d['field'])}：{d['message']}" for d in details]
    return _review_page(request, session, caller, field_id, errors=errors, values=values)


@router.get("/catalog/export", include_in_schema=False)
def export_download(
    request: Request,
    caller: Exporter,
    session: DbSession,
    format: Literal["xlsx", "json"] = "xlsx",
) -> Response:
    return _download(request, session, caller, format, None)
