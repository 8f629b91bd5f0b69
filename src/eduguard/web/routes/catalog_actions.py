"""Console actions of the catalog beside its pages (routes/catalog.py): a file uploaded as a
data source (the demo's sample file too), 扫描 (which leaves the demo's made-up databases out),
and bulk confirmation limited to the listing's filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from eduguard.catalog import flows
from eduguard.catalog.models import ReviewStatus
from eduguard.catalog.schemas import BulkAccept
from eduguard.demo import samples
from eduguard.errors import EduguardError, NotFound, ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.web.deps import DbSession, language
from eduguard.web.flash import see_other
from eduguard.web.params import Id
from eduguard.web.render import page
from eduguard.web.routes.catalog import Reviewer, Scanner, SourceWriter, _system_page
from eduguard.web.routes.uploads import read_limited

router = APIRouter(include_in_schema=False)


@router.post("/catalog/systems/{system_id}/sources/upload", include_in_schema=False)
async def source_upload(
    request: Request, system_id: Id, caller: SourceWriter, session: DbSession
) -> Response:
    """A CSV/Excel/Parquet file uploaded as a data source (stored in eduguard's managed
    folder under a generated name; the content decides the format, not the extension)."""
    form = await request.form()
    try:
        settings = request.app.state.settings
        upload = form.get("file")
        errors: list[str] = []
        raw_days = str(form.get("scan_every_days") or "").strip()
        days = int(raw_days) if raw_days.isdigit() and 1 <= int(raw_days) <= 366 else None
        if raw_days and days is None:
            errors.append("定期扫描间隔（天）：须为 1 至 366 之间的整数")
        try:
            document = await read_limited(
                upload if isinstance(upload, UploadFile) else None, settings.max_upload_bytes
            )
        except EduguardError as exc:
            document, errors = None, [*errors, exc.message(language(request))]
        if document is None and not errors:
            errors.append("请选择要上传的文件（CSV、Excel 或 Parquet）")
        if document is not None and not errors:
            name = str(form.get("name") or "").strip() or None
            try:
                with session.begin_nested():
                    source = flows.add_uploaded_source(
                        session,
                        system_id,
                        name=name,
                        filename=document[0],
                        content=document[1],
                        folder=settings.source_uploads_dir,
                        scope=caller.scope,
                        scan_every_days=days,
                    )
                return see_other(
                    request,
                    f"/catalog/systems/{system_id}",
                    f"已上传并登记数据源“{source.name}”，可点击“扫描”开始发现数据",
                    f"Uploaded and registered “{source.name}”; click Scan to discover its data",
                )
            except EduguardError as exc:
                if exc.status_code == 404:
                    raise
                errors = [exc.message(language(request))]
        values = {"upload_name": str(form.get("name") or "")[:200]}
        return _system_page(request, session, caller, system_id, errors=errors, values=values)
    finally:
        await form.close()


def _bulk_request(values: Mapping[str, object]) -> tuple[BulkAccept, str]:
    """The bulk confirmation a form or query asks for (the listing's filters, the threshold)
    and the listing's query string to return to; a malformed value raises (422, Chinese)."""
    raw = {k: v.strip() for k, v in values.items() if isinstance(v, str)}
    body: dict[str, object] = {
        "search": raw.get("q") or None,
        "pi_type": raw.get("pi_type") or None,
        "personal_only": raw.get("personal_only") == "true",
        "include_sensitive": raw.get("include_sensitive") == "true",
    }
    if raw.get("system_id"):
        body["system_id"] = raw["system_id"]
    if raw.get("min_confidence"):
        body["min_confidence"] = raw["min_confidence"]
    try:
        data = BulkAccept.model_validate(body)
    except ValidationError as exc:
        raise ValidationFailed(
            "bulk_filter_invalid",
            "批量确认的条件无效：置信度阈值须在 0.5 至 1 之间，筛选条件须为列表页的取值",
            "invalid bulk confirmation filter",
        ) from exc
    listing = {
        "q": data.search or "",
        "system_id": data.system_id or "",
        "pi_type": data.pi_type or "",
        "review_status": ReviewStatus.proposed.value,
        "personal_only": "true" if data.personal_only else "",
    }
    return data, urlencode({k: v for k, v in listing.items() if v})


@router.get("/catalog/bulk-accept", include_in_schema=False)
def bulk_accept_preview(request: Request, caller: Reviewer, session: DbSession) -> HTMLResponse:
    """What a bulk confirmation of the current filter would confirm, before it does."""
    data, listing = _bulk_request(request.query_params)
    fields, sensitive = flows.bulk_candidates(session, data, scope=caller.scope)
    systems = orgs_service.list_systems(session, scope=caller.scope, limit=10_000)
    return page(
        request,
        "catalog_bulk.html",
        data=data,
        fields=fields,
        sensitive=sensitive,
        listing=listing,
        system_names={s.id: s.name for s in systems},
    )


@router.post("/catalog/bulk-accept", include_in_schema=False)
async def bulk_accept_submit(request: Request, caller: Reviewer, session: DbSession) -> Response:
    form = await request.form()
    data, listing = _bulk_request(form)
    count = flows.bulk_accept(session, data, scope=caller.scope, reviewer=caller.username)
    message = f"已批量确认 {count} 个字段的分类分级"
    english = f"Classification of {count} fields confirmed"
    if not data.include_sensitive:
        message += "（敏感字段未包括，请逐个审核）"
        english += " (sensitive fields left out: review them one by one)"
    return see_other(request, f"/catalog?{listing}", message, english)


@router.post("/catalog/systems/{system_id}/sources/demo-sample")
def source_demo_sample(
    request: Request, system_id: Id, caller: SourceWriter, session: DbSession
) -> Response:
    """Demo only: register the demo's own sample file (synthetic students, GBK) as if it had
    been uploaded, so the main job can be tried with nothing at hand."""
    settings = request.app.state.settings
    if not settings.demo:
        raise NotFound("not_found", "页面不存在", "not found")
    with session.begin_nested():
        source = flows.add_uploaded_source(
            session,
            system_id,
            name=samples.SAMPLE_NAME,
            filename=samples.SAMPLE_NAME,
            content=samples.students_csv(),
            folder=settings.source_uploads_dir,
            scope=caller.scope,
        )
    return see_other(
        request,
        f"/catalog/systems/{system_id}",
        f"已登记演示样例文件“{source.name}”，可点击“扫描”开始发现数据",
        f"The demo's sample file “{source.name}” registered; click Scan to discover its data",
    )


@router.post("/catalog/systems/{system_id}/scan", include_in_schema=False)
def scan_request(request: Request, system_id: Id, caller: Scanner, session: DbSession) -> Response:
    """Queue a scan of each of the system's sources. In the demo, the databases it made up
    (``*.example``) are not queued — they can only fail — and the page says so."""
    skipped: list[str] = []
    try:
        with session.begin_nested():
            if request.app.state.settings.demo:
                sources = flows.list_sources(session, system_id, scope=caller.scope)
                skipped = [s.name for s in sources if samples.fictitious(s.location)]
                real = [s for s in sources if not samples.fictitious(s.location)]
                if skipped and not real:
                    names = "、".join(skipped)
                    raise ValidationFailed(
                        "demo_source_fictitious",
                        f"演示数据源“{names}”的数据库地址是虚构的（服务器并不存在），无法扫描；"
                        "请上传文件作为数据源，或点击“使用演示样例文件”，再点击“扫描”",
                        f"the demo's source {names} is a made-up database and cannot be "
                        "scanned; upload a file or use the demo's sample file, then scan",
                    )
                runs = [
                    run
                    for source in real
                    for run in flows.request_scan(
                        session,
                        system_id,
                        scope=caller.scope,
                        requested_by=caller.username,
                        source_id=source.id,
                    )
                ]
            else:
                runs = flows.request_scan(
                    session, system_id, scope=caller.scope, requested_by=caller.username
                )
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        return _system_page(
            request, session, caller, system_id, errors=[exc.message(language(request))]
        )
    message = f"已排队 {len(runs)} 个扫描任务，后台任务执行时本页自动刷新进度"
    english = f"{len(runs)} scans queued; this page follows their progress"
    if skipped:
        message += f"（演示数据源“{'、'.join(skipped)}”是虚构的数据库，未扫描）"
        english += f" (the demo's made-up database {', '.join(skipped)} is not scanned)"
    return see_other(request, f"/catalog/systems/{system_id}", message, english)
