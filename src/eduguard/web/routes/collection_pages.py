"""Collection reviews (数据收集审核) in the console, beside the JSON API (routes/collection.py):
the list, a new review from an uploaded plan, typed fields or the live schema of a registered
database source (its tables and columns the catalog's last version lacks), the review page (fields with
their evidence, pre-checks with their clauses, the requester's forms, the decision), the
minutes file, and a system's 收集清单 with its drift (未经采集审核的数据项) and export.

Every form changes nothing when it fails: its work runs in a savepoint, and the page is shown
again with the Chinese message of what was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup, escape
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData, UploadFile

from eduguard import exports, labels
from eduguard.access.policy import Principal
from eduguard.catalog import flows as catalog_flows
from eduguard.collection import checks, drift, flows, live, outputs, readers, service
from eduguard.collection.schemas import DecisionCreate, Free, PlanCreate, PlanDetails
from eduguard.errors import EduguardError, NotFound, PayloadTooLarge, ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.reviews.models import ReviewState
from eduguard.reviews.service import STATE_LABELS
from eduguard.validation import RowId, validation_details
from eduguard.web.deps import DbSession, language, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id
from eduguard.web.render import page
from eduguard.web.routes.collection import person
from eduguard.web.routes.uploads import size_text

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, permission("collection:read")]
Requester = Annotated[Principal, permission("collection:request")]
Approver = Annotated[Principal, permission("collection:approve")]

MAX_FORM_TEXT = 100_000
FORM_TEXT: TypeAdapter[str] = TypeAdapter(Free)
SOURCE_ID: TypeAdapter[int] = TypeAdapter(RowId)
LABELS = {
    "system_id": "信息系统",
    "system_type": "系统类型",
    "title": "标题",
    "purpose": "收集目的",
    "expected_subjects": "预计收集人数",
    "storage_location": "存储位置",
    "cross_border_ref": "出境安全评估",
    "necessity_argument": "必要性、科学性论证",
    "ethics_argument": "伦理性论证",
    "meeting_date": "会议日期",
    "meeting_attendees": "参会人员",
    "retention": "存储期限",
    "fields": "字段",
    "justification": "理由",
    "decision": "决定",
    "reason": "意见",
}
DONE = {
    "approve": ("已同意", "approved"),
    "reject": ("已驳回", "rejected"),
    "return": ("已退回申请人修改", "returned for changes"),
}


def _messages(exc: ValidationError, lang: str) -> list[str]:
    out = []
    for detail in validation_details(exc.errors(), lang):
        parts = [p for p in str(detail["field"]).split(".") if not p.isdigit()]
        name = LABELS.get(parts[-1] if parts else "", "")
        out.append(f"{name}：{detail['message']}" if name else str(detail["message"]))
    return out


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _values(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


_CODES = re.compile(
    r"(?<![A-Za-z0-9_])("
    + "|".join(sorted(map(re.escape, {*labels.PI_TYPES, *labels.LEVELS}), key=len, reverse=True))
    + r")(?![A-Za-z0-9_])"
)


def hinted(text: str) -> Markup:
    """An evidence line with the codes in it (PERSON_NAME, general-4) shown as hints."""
    parts = _CODES.split(text)  # the codes at the odd positions
    hint = Markup('<small class="code">%s</small>')
    return Markup("").join(hint % p if i % 2 else escape(p) for i, p in enumerate(parts))


def _types() -> list[tuple[str, str]]:
    return [(code, str(b["label"])) for code, b in checks.baselines().items()]


def _plan_limit(request: Request) -> int:
    """The largest plan file taken: the readers' limit, or the upload limit when lower."""
    return min(readers.MAX_PLAN_BYTES, int(request.app.state.settings.max_upload_bytes))


async def _read_upload(upload: object, limit: int, what: str) -> tuple[str, bytes] | None:
    """An uploaded file, never more than ``limit`` + 1 bytes read (None: nothing chosen)."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(
            "upload_too_large",
            f"{what}“{upload.filename}”超过 {size_text(limit)}，未保存任何内容"
            + ("（采集表只需表头和少量示例行）" if what == "采集计划" else ""),
            f"{upload.filename} is larger than {size_text(limit)}",
        )
    return upload.filename, content


def _attempt(lang: str, work: Callable[[], Response]) -> tuple[Response | None, list[str]]:
    """``work`` (run in a savepoint by the caller) or the messages of why it failed."""
    try:
        return work(), []
    except ValidationError as exc:
        return None, _messages(exc, lang)
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        return None, [exc.message(lang)]


# ---------------------------------------------------------------- list


@router.get("/collection", include_in_schema=False)
def collection_page(
    request: Request,
    caller: Reader,
    session: DbSession,
    state: Annotated[ReviewState | None, Query()] = None,
) -> HTMLResponse:
    who = person(caller)
    plans = [
        flows.read(session, p.id, who) for p in flows.list_plans(session, who, state=state)[:100]
    ]
    systems = orgs_service.list_systems(session, scope=caller.unit_path, limit=200)
    drifts = drift.drift(session, [s.id for s in systems])
    counts = service.approved_counts(session, [s.id for s in systems])
    rows = [
        {
            "id": s.id,
            "name": s.name,
            "unit": s.unit.name,
            "approved": counts.get(s.id, 0),
            "personal": drifts[s.id].personal,
            "uncovered": len(drifts[s.id].uncovered),
        }
        for s in systems
        if counts.get(s.id) or drifts[s.id].personal
    ]
    return page(
        request,
        "collection.html",
        plans=plans,
        systems=rows,
        state=state.value if state else "",
        states=STATE_LABELS,
    )


# ---------------------------------------------------------------- a new review


def _new_page(
    request: Request, session: DbSession, caller: Principal, **context: Any
) -> HTMLResponse:
    context.setdefault("values", {})
    systems = flows.systems(session, person(caller))
    names = dict(systems)
    sources: dict[str, list[tuple[int, str]]] = {}
    for source_id, system_id, name in live.database_sources(session, [i for i, _ in systems]):
        sources.setdefault(names[system_id], []).append((source_id, name))
    return page(
        request,
        "collection_new.html",
        status_code=422 if context.get("errors") else 200,
        systems=systems,
        sources=sources,
        types=_types(),
        max_size=size_text(_plan_limit(request)),
        **context,
    )


@router.get("/collection/new", include_in_schema=False)
def new_page(
    request: Request,
    caller: Requester,
    session: DbSession,
    system_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    return _new_page(
        request, session, caller, values={"system_id": str(system_id) if system_id else ""}
    )


def _plan_of(
    document: tuple[str, bytes] | None, typed: str, live_source: Callable[[], readers.Plan] | None
) -> readers.Plan:
    if (document is not None) + bool(typed) + (live_source is not None) > 1:
        raise ValidationFailed(
            "plan_source_both",
            "请只选择一种方式：上传采集计划文件、逐行填写字段，或从已登记的数据库读取新增表和字段",
        )
    if document is not None:
        return readers.read_plan(document[1], document[0])
    if live_source is not None:
        return live_source()
    if not typed:
        raise ValidationFailed(
            "plan_source_missing",
            "请上传采集计划文件（Excel、CSV、DDL、OpenAPI/JSON Schema）、逐行填写计划收集的字段，"
            "或选择已登记的数据库",
        )
    if len(typed) > MAX_FORM_TEXT:
        raise ValidationFailed("plan_form_too_long", f"填写的字段超过 {MAX_FORM_TEXT} 个字符")
    try:
        return readers.read_form(FORM_TEXT.validate_python(typed))
    except ValidationError:
        raise ValidationFailed("plan_form_invalid", "填写的字段含有不允许的控制字符") from None


def _live_source(
    request: Request, session: DbSession, caller: Principal, data: PlanCreate, chosen: str | None
) -> Callable[[], readers.Plan] | None:
    """Reading the chosen database source's live schema (None: no source chosen)."""
    if not chosen:
        return None
    try:
        source_id = SOURCE_ID.validate_python(chosen)
    except ValidationError:
        raise ValidationFailed("source_id_invalid", "请选择有效的数据库数据源") from None
    policy = catalog_flows.source_policy(request.app.state.settings)

    def read() -> readers.Plan:
        return live.live_plan(
            session,
            system_id=data.system_id,
            source_id=source_id,
            scope=caller.unit_path,
            policy=policy,
        )

    return read


@router.post("/collection/new", include_in_schema=False)
async def new_submit(request: Request, caller: Requester, session: DbSession) -> Response:
    """Read the plan, classify it and open the draft review, or say in Chinese what was wrong
    (nothing is stored then: the plan is read before the savepoint opens)."""
    form = await request.form()
    lang = language(request)
    values = _values(form)
    try:
        body: dict[str, object] = {
            k: values[k] for k in ("system_id", "system_type", "title", "purpose") if values.get(k)
        }
        errors: list[str] = []
        try:
            document = await _read_upload(form.get("plan"), _plan_limit(request), "采集计划")
            data = PlanCreate.model_validate(body)
            live_source = _live_source(request, session, caller, data, values.get("source_id"))
            plan = _plan_of(document, values.get("form", "").strip(), live_source)
        except ValidationError as exc:
            errors = _messages(exc, lang)
        except EduguardError as exc:
            errors = [exc.message(lang)]
        if not errors:

            def create() -> Response:
                with session.begin_nested():
                    created = flows.request(session, data, plan, person(caller))
                return see_other(
                    request,
                    f"/collection/{created.id}",
                    f"已读取“{plan.source}”的 {len(plan.fields)} 个字段并生成数据收集审核草稿",
                    f"Read {len(plan.fields)} fields of “{plan.source}” into a draft review",
                )

            done, errors = _attempt(lang, create)
            if done is not None:
                return done
        return _new_page(request, session, caller, errors=errors, values=values)
    finally:
        await form.close()


# ---------------------------------------------------------------- the review page


def _review_page(
    request: Request, session: DbSession, caller: Principal, plan_id: int, **context: Any
) -> HTMLResponse:
    who = person(caller)
    read = flows.read(session, plan_id, who)
    requester = flows.is_requester(session, plan_id, who)
    try:
        orgs_service.get_system(session, read.system_id, scope=caller.unit_path)
        system_visible = True
    except NotFound:
        system_visible = False
    context.setdefault("values", {})
    return page(
        request,
        "collection_review.html",
        status_code=422 if context.get("errors") else 200,
        plan=read,
        is_requester=requester,
        editable=requester and read.state in ("draft", "submitted"),
        failing=[c for c in read.checks if c.status == "fail"],
        system_visible=system_visible,
        hinted=hinted,
        **context,
    )


@router.get("/collection/{plan_id}", include_in_schema=False)
def review_page(request: Request, plan_id: Id, caller: Reader, session: DbSession) -> HTMLResponse:
    return _review_page(request, session, caller, plan_id)


def _details(form: FormData) -> dict[str, object]:
    values: dict[str, object] = {
        k: _text(form, k)
        for k in ("purpose", "cross_border_ref", "necessity_argument", "ethics_argument")
    }
    raw = _text(form, "expected_subjects")
    values["expected_subjects"] = raw or 0
    values["children"] = _text(form, "children") == "yes"
    values["storage_location"] = _text(form, "storage_location") or "domestic"
    if "purpose_id" in form:  # "0": none chosen (the approval makes a draft purpose)
        values["purpose_id"] = (
            None if _text(form, "purpose_id") in ("", "0") else _text(form, "purpose_id")
        )
    groups = [g for g in form.getlist("retention_group") if isinstance(g, str)]
    periods = [p for p in form.getlist("retention") if isinstance(p, str)]
    values["retention"] = {g: p.strip() for g, p in zip(groups, periods, strict=False)}
    return values


async def _review_action(
    request: Request,
    session: DbSession,
    caller: Principal,
    plan_id: int,
    work: Callable[[FormData], tuple[str, str]],
) -> Response:
    """Run ``work`` on the submitted form in a savepoint: a redirect that says what was done,
    or the review page again with why nothing was."""
    form = await request.form()
    lang = language(request)
    try:

        def run() -> Response:
            with session.begin_nested():
                zh, en = work(form)
            return see_other(request, f"/collection/{plan_id}", zh, en)

        done, errors = _attempt(lang, run)
        if done is not None:
            return done
        return _review_page(request, session, caller, plan_id, errors=errors, values=_values(form))
    finally:
        await form.close()


@router.post("/collection/{plan_id}/details", include_in_schema=False)
async def details_submit(
    request: Request, plan_id: Id, caller: Requester, session: DbSession
) -> Response:
    """Purpose, subjects, storage, the arguments for sensitive data and the retention periods."""

    def work(form: FormData) -> tuple[str, str]:
        data = PlanDetails.model_validate(_details(form))
        flows.update(session, plan_id, data, person(caller))
        return "已保存采集计划的说明", "Plan details saved"

    return await _review_action(request, session, caller, plan_id, work)


@router.post("/collection/{plan_id}/fields", include_in_schema=False)
async def fields_submit(
    request: Request, plan_id: Id, caller: Requester, session: DbSession
) -> Response:
    """Per field: optional or not, how it is obtained (collected, or shared/verified), why."""

    def work(form: FormData) -> tuple[str, str]:
        read = flows.read(session, plan_id, person(caller), with_checks=False)
        choices = []
        for f in read.fields:
            optional = _text(form, f"optional_{f.id}") == "yes"
            acquisition = _text(form, f"acquisition_{f.id}") or f.acquisition
            justification = _text(form, f"justification_{f.id}")
            if (optional, acquisition, justification) != (
                f.optional,
                f.acquisition,
                f.justification,
            ):
                choices.append(
                    {
                        "name": f.name,
                        "group": f.group,
                        "optional": optional,
                        "acquisition": acquisition,
                        "justification": justification,
                    }
                )
        data = PlanDetails.model_validate({"fields": choices})
        if choices:
            flows.update(session, plan_id, data, person(caller))
        return f"已保存 {len(choices)} 个字段的说明", f"Saved the choices of {len(choices)} fields"

    return await _review_action(request, session, caller, plan_id, work)


async def _minutes_upload(request: Request) -> tuple[str, bytes] | None:
    form = await request.form()  # parsed once per request: the same object as the action's
    return await _read_upload(form.get("minutes"), flows.MAX_MINUTES_BYTES, "会议纪要")


@router.post("/collection/{plan_id}/minutes", include_in_schema=False)
async def minutes_submit(
    request: Request, plan_id: Id, caller: Requester, session: DbSession
) -> Response:
    """The 领导班子 collective decision: meeting date, attendees (one a line), minutes file."""
    lang = language(request)
    try:
        document = await _minutes_upload(request)
    except EduguardError as exc:
        form = await request.form()
        return _review_page(
            request, session, caller, plan_id, errors=[exc.message(lang)], values=_values(form)
        )

    def work(form: FormData) -> tuple[str, str]:
        raw = _text(form, "meeting_date")
        try:
            meeting = date.fromisoformat(raw) if raw else None
        except ValueError:
            raise ValidationFailed("meeting_date_invalid", "会议日期格式不正确") from None
        attendees = [a.strip() for a in _text(form, "meeting_attendees").splitlines() if a.strip()]
        data = PlanDetails.model_validate({"meeting_date": meeting, "meeting_attendees": attendees})
        who = person(caller)
        read = flows.read(session, plan_id, who, with_checks=False)
        if document is None and not read.minutes_name:
            raise ValidationFailed("minutes_missing", "请选择会议纪要文件（PDF、Word、OFD 或图片）")
        flows.update(session, plan_id, data, who)
        if document is not None:
            flows.attach_minutes(
                session,
                plan_id,
                document[0],
                document[1],
                who,
                uploads_dir=request.app.state.settings.uploads_dir,
            )
        return "已登记领导班子集体决策", "Collective decision recorded"

    return await _review_action(request, session, caller, plan_id, work)


@router.get("/collection/{plan_id}/minutes/document", include_in_schema=False)
def minutes_document(request: Request, plan_id: Id, caller: Reader, session: DbSession) -> Response:
    name, path = flows.minutes_file(
        session, plan_id, person(caller), uploads_dir=request.app.state.settings.uploads_dir
    )
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"content-disposition": exports.attachment(name, f"minutes{path.suffix}")},
    )


@router.post("/collection/{plan_id}/submit", include_in_schema=False)
async def submit_page(
    request: Request, plan_id: Id, caller: Requester, session: DbSession
) -> Response:
    def work(_form: FormData) -> tuple[str, str]:
        flows.submit(session, plan_id, person(caller))
        return "已提交审批", "Submitted for approval"

    return await _review_action(request, session, caller, plan_id, work)


@router.post("/collection/{plan_id}/withdraw", include_in_schema=False)
async def withdraw_page(
    request: Request, plan_id: Id, caller: Requester, session: DbSession
) -> Response:
    def work(_form: FormData) -> tuple[str, str]:
        flows.withdraw(session, plan_id, person(caller))
        return "已撤回申请", "Request withdrawn"

    return await _review_action(request, session, caller, plan_id, work)


@router.post("/collection/{plan_id}/decision", include_in_schema=False)
async def decision_page(
    request: Request, plan_id: Id, caller: Approver, session: DbSession
) -> Response:
    """Approve, reject or return the awaiting step; an approval while a pre-check fails is
    refused and the page says which checks and why."""

    def work(form: FormData) -> tuple[str, str]:
        data = DecisionCreate.model_validate(
            {"decision": _text(form, "decision"), "reason": _text(form, "reason")}
        )
        flows.decide(session, plan_id, data, person(caller))
        return DONE[data.decision]

    return await _review_action(request, session, caller, plan_id, work)


# ---------------------------------------------------------------- a system's 收集清单


@router.get("/collection/systems/{system_id}", include_in_schema=False)
def system_page(
    request: Request, system_id: Id, caller: Reader, session: DbSession
) -> HTMLResponse:
    """The fields the system's approved reviews allow, and the personal catalog fields none
    covers (未经采集审核的数据项) with the scan that found each."""
    system = orgs_service.get_system(session, system_id, scope=caller.unit_path)
    found = drift.drift(session, [system.id])[system.id]
    return page(
        request,
        "collection_system.html",
        system=system,
        approved=service.approved_fields(session, system.id),
        drift=found,
        finding=drift.FINDING,
    )


@router.get("/collection/systems/{system_id}/export", include_in_schema=False)
def system_export(
    request: Request,
    system_id: Id,
    caller: Reader,
    session: DbSession,
    format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx",
) -> Response:
    """The 收集清单 of the system as Excel or CSV."""
    system = orgs_service.get_system(session, system_id, scope=caller.unit_path)
    approved = service.approved_fields(session, system.id)
    zone = request.app.state.settings.timezone
    name = exports.file_name(system.name, "收集清单", suffix=format)
    fallback = f"collection-inventory-{system.id}.{format}"
    if format == "csv":
        return Response(
            outputs.inventory_csv(approved, zone).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": exports.attachment(name, fallback)},
        )
    return Response(
        outputs.inventory_xlsx(approved, zone),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"content-disposition": exports.attachment(name, fallback)},
    )
