"""The consent ledger (同意记录): JSON API under ``/api/v1/consent`` — including the gate
``POST /api/v1/consent/check`` that a school's own systems call with an API token scoped to
``consent:check`` — and the console pages under ``/consent``. The school's ids (学籍号、工号)
travel only in request bodies, are hashed at once and never stored, logged or put in a URL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.datastructures import FormData, UploadFile

from eduguard.access.policy import Principal, decide
from eduguard.consent import collect, coverage, flows, links, receipts, roster
from eduguard.consent.models import ConsentSubject, SubjectKind
from eduguard.consent.schemas import (
    CoverageRead,
    EventRead,
    GateRead,
    GuardianCreate,
    GuardianRead,
    RecordIn,
    SubjectCreate,
    SubjectLookup,
    SubjectRead,
)
from eduguard.db.base import utcnow
from eduguard.errors import EduguardError, ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.validation import MAX_ID, validation_details
from eduguard.web.deps import DbSession, language, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id
from eduguard.web.render import page, qr_svg
from eduguard.web.routes.uploads import size_text

router = APIRouter()

Reader = Annotated[Principal, permission("consent:read")]
Writer = Annotated[Principal, permission("consent:write")]
Checker = Annotated[Principal, permission("consent:check")]


class CheckIn(BaseModel):
    """A gate question: the subject by number, or by the school's own id (hashed)."""

    model_config = ConfigDict(extra="forbid")

    purpose_id: int = Field(gt=0, le=MAX_ID)
    subject_id: int | None = Field(default=None, gt=0, le=MAX_ID)
    subject: SubjectLookup | None = None
    at: datetime | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> CheckIn:
        if (self.subject_id is None) == (self.subject is None):
            raise ValueError("give subject_id or subject (unit_id, kind, external_id)")
        return self


def _subject(session: DbSession, caller: Principal, body: CheckIn) -> ConsentSubject:
    if body.subject is not None:
        return flows.lookup(session, body.subject, scope=caller.unit_path)
    assert body.subject_id is not None
    return flows.get_subject(session, body.subject_id, scope=caller.unit_path)


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# ---------------------------------------------------------------- API


@router.post("/api/v1/consent/check", tags=["consent"])
def check(body: CheckIn, caller: Checker, session: DbSession) -> GateRead:
    """The gate: may this subject's information be processed for this purpose now (or
    ``at``)? Allow/deny with the reason — the legal basis when it is not consent, else who
    consented to which rules version; a material change since consent denies."""
    subject = _subject(session, caller, body)
    return flows.can_process(
        session, subject, body.purpose_id, _moment(body.at), scope=caller.unit_path
    )


@router.post("/api/v1/consent/subjects", tags=["consent"], status_code=201)
def create_subject(body: SubjectCreate, caller: Writer, session: DbSession) -> SubjectRead:
    """Register a student or staff member (the school's id is kept only as an HMAC)."""
    subject = flows.register_subject(session, body, scope=caller.unit_path)
    return flows.subject_read(session, subject)


@router.post("/api/v1/consent/subjects/lookup", tags=["consent"])
def lookup_subject(body: SubjectLookup, caller: Reader, session: DbSession) -> SubjectRead:
    return flows.subject_read(session, flows.lookup(session, body, scope=caller.unit_path))


@router.get("/api/v1/consent/subjects/{subject_id}", tags=["consent"])
def read_subject(subject_id: Id, caller: Reader, session: DbSession) -> SubjectRead:
    """Guardians, the effective state per consent-based purpose, the ledger (newest first)."""
    subject = flows.get_subject(session, subject_id, scope=caller.unit_path)
    return flows.subject_read(session, subject)


@router.post("/api/v1/consent/subjects/{subject_id}/guardians", tags=["consent"], status_code=201)
def create_guardian(
    subject_id: Id, body: GuardianCreate, caller: Writer, session: DbSession
) -> GuardianRead:
    return flows.add_guardian(session, subject_id, body, scope=caller.unit_path)


@router.post("/api/v1/consent/subjects/{subject_id}/events", tags=["consent"], status_code=201)
def record_event(subject_id: Id, body: RecordIn, caller: Writer, session: DbSession) -> EventRead:
    """Append a grant, refusal or withdrawal (a paper slip, in person, the school's system)."""
    subject = flows.get_subject(session, subject_id, scope=caller.unit_path)
    row = flows.record(session, subject, body, scope=caller.unit_path, by=caller.username)
    read = flows.subject_read(session, subject)
    return next(e for e in read.events if e.id == row.id)


@router.get("/api/v1/consent/subjects/{subject_id}/receipts", tags=["consent"])
def subject_receipts(subject_id: Id, caller: Reader, session: DbSession) -> JSONResponse:
    """Every ledger event as an ISO/IEC TS 27560-style consent record (JSON)."""
    subject = flows.get_subject(session, subject_id, scope=caller.unit_path)
    return JSONResponse(
        receipts.receipts(session, subject),
        headers={"content-disposition": f'attachment; filename="consent-{subject.id}.json"'},
    )


@router.get("/api/v1/consent/purposes/{purpose_id}/coverage", tags=["consent"])
def purpose_coverage(purpose_id: Id, caller: Reader, session: DbSession) -> CoverageRead:
    """Of the subjects of the purpose's units: how many have a valid basis now."""
    return coverage.coverage(session, purpose_id, scope=caller.unit_path)


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system_id: int = Field(gt=0, le=MAX_ID)
    guardian_id: int | None = Field(default=None, gt=0, le=MAX_ID)
    days: int = Field(default=links.DEFAULT_DAYS, ge=1, le=90)


class LinkRead(BaseModel):
    id: int
    url: str
    expires_at: datetime
    system_id: int
    guardian_id: int | None = None


def _make_link(
    request: Request, session: DbSession, caller: Principal, subject_id: int, body: LinkIn
) -> LinkRead:
    secret = request.app.state.settings.secret_key.get_secret_value()
    link, token = collect.create_link(
        session,
        subject_id,
        body.system_id,
        guardian_id=body.guardian_id,
        scope=caller.unit_path,
        by=caller.username,
        key=collect.key_for(session, secret),
        days=body.days,
    )
    return LinkRead(
        id=link.id,
        url=f"/consent/l/{token}",
        expires_at=link.expires_at,
        system_id=link.system_id,
        guardian_id=link.guardian_id,
    )


@router.post("/api/v1/consent/subjects/{subject_id}/links", tags=["consent"], status_code=201)
def create_link(
    request: Request, subject_id: Id, body: LinkIn, caller: Writer, session: DbSession
) -> LinkRead:
    """A signed one-time link for the subject (or one guardian) to the public consent page;
    the link is in this answer only (to e-mail or print as a QR slip), never stored."""
    return _make_link(request, session, caller, subject_id, body)


# ---------------------------------------------------------------- console

LABELS = {
    "unit_id": "单位",
    "external_id": "学校编号",
    "birth_date": "出生日期",
    "label": "显示名",
    "purpose_id": "处理目的",
    "verification": "核验方式",
    "guardian_id": "监护人",
    "relation": "关系",
    "email": "通知邮箱",
}


def _messages(exc: ValidationError, lang: str) -> list[str]:
    out = []
    for detail in validation_details(exc.errors(), lang):
        label = LABELS.get(detail["field"].split(".")[0], detail["field"])
        out.append(f"{label}：{detail['message']}" if label else detail["message"])
    return out


T = TypeVar("T")


def _attempt(session: DbSession, lang: str, act: Callable[[], T]) -> tuple[T | None, list[str]]:
    """Run one console action in a savepoint: (its result, no errors), or (None, the lines to
    show on the form) when the input is refused; an unknown subject stays a 404."""
    try:
        with session.begin_nested():
            return act(), []
    except ValidationError as exc:
        return None, _messages(exc, lang)
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        return None, [exc.message(lang)]


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _list_page(
    request: Request, session: DbSession, caller: Principal, **context: Any
) -> HTMLResponse:
    return page(
        request,
        "consent.html",
        status_code=422 if context.get("errors") else 200,
        subjects=[
            flows.subject_read(session, s)
            for s in flows.list_subjects(session, scope=caller.unit_path, limit=100)
        ],
        units=orgs_service.list_units(session, scope=caller.unit_path),
        may_write=decide(caller, "consent:write").allowed,
        **context,
    )


@router.get("/consent", include_in_schema=False)
def consent_page(request: Request, caller: Reader, session: DbSession) -> HTMLResponse:
    return _list_page(request, session, caller)


@router.post("/consent/subjects", include_in_schema=False)
async def create_subject_page(request: Request, caller: Writer, session: DbSession) -> Response:
    form = await request.form()
    lang = language(request)
    values = {k: _text(form, k) or None for k in ("unit_id", "kind", "external_id", "label")}
    values["birth_date"] = _text(form, "birth_date") or None
    values["guardian_policy"] = _text(form, "guardian_policy") or "any"
    values = {k: v for k, v in values.items() if v is not None}
    subject, errors = _attempt(
        session,
        lang,
        lambda: flows.register_subject(
            session, SubjectCreate.model_validate(values), scope=caller.unit_path
        ),
    )
    if subject is None:
        return _list_page(request, session, caller, errors=errors)
    return see_other(
        request,
        f"/consent/subjects/{subject.id}",
        f"已登记同意主体 {subject.id}",
        f"Subject {subject.id} registered",
    )


@router.post("/consent/roster", include_in_schema=False)
async def import_roster_page(request: Request, caller: Writer, session: DbSession) -> Response:
    """A school's roster (学籍 export, .xlsx or .csv) uploaded: every row checked first, then all
    registered in one savepoint — one bad row and nothing is (``consent.roster``)."""
    form = await request.form()
    limit = int(request.app.state.settings.max_upload_bytes)
    upload = form.get("roster")
    unit, kind = _text(form, "unit_id"), _text(form, "kind") or "student"
    read: tuple[str, bytes] | None = None
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(limit + 1)
            if len(content) > limit:
                message = f"名册超过上传上限 {size_text(limit)}，未导入任何内容，请分批导入"
                return _list_page(request, session, caller, errors=[message])
            read = (upload.filename, content)
    finally:
        await form.close()

    def act() -> roster.Imported:
        if read is None:
            raise ValidationFailed("roster_missing", "请选择名册文件（.xlsx 或 .csv）", "no file")
        if not unit.isdigit() or kind not in ("student", "staff"):
            raise ValidationFailed("roster_target", "请选择单位和类别", "choose a unit and a kind")
        rows = roster.parse(roster.read(*read), int(unit), SubjectKind(kind))
        return roster.apply(session, rows, scope=caller.unit_path)

    done, errors = _attempt(session, language(request), act)
    if done is None:
        return _list_page(request, session, caller, errors=errors)
    return see_other(
        request,
        "/consent",
        f"名册已导入：新登记主体 {done.subjects} 个，已登记的 {done.existing} 行未改动，"
        f"新登记监护人 {done.guardians} 位",
        f"Roster imported: {done.subjects} new subjects, {done.existing} rows already registered, "
        f"{done.guardians} new guardians",
    )


def _subject_page(
    request: Request, session: DbSession, caller: Principal, subject_id: int, **context: Any
) -> HTMLResponse:
    subject = flows.get_subject(session, subject_id, scope=caller.unit_path)
    read = flows.subject_read(session, subject)
    purposes = flows.consent_purposes(session, subject)
    systems = flows.system_names(session, purposes)
    made: LinkRead | None = context.pop("new_link", None)
    slip = None
    if made is not None:  # the one time the link exists: shown, and as a QR slip to print
        base = request.app.state.settings.console_url or str(request.base_url)
        address = base.rstrip("/") + made.url
        guardian = next((g for g in read.guardians if g.id == made.guardian_id), None)
        slip = {
            "link": made,
            "address": address,
            "qr": qr_svg(address),
            "school": flows.unit_name(session, subject),
            "system": systems.get(made.system_id, ""),
            "purposes": [p.name for p in purposes if p.system_id == made.system_id],
            "guardian": guardian,
        }
    return page(
        request,
        "consent_subject.html",
        status_code=422 if context.get("errors") else 200,
        subject=read,
        purposes=purposes,
        systems=systems,
        slip=slip,
        may_write=decide(caller, "consent:write").allowed,
        crumbs=[("/consent", "同意记录"), (None, f"主体 {read.id}")],
        **context,
    )


@router.get("/consent/subjects/{subject_id}", include_in_schema=False)
def subject_page(
    request: Request, subject_id: Id, caller: Reader, session: DbSession
) -> HTMLResponse:
    return _subject_page(request, session, caller, subject_id)


@router.post("/consent/subjects/{subject_id}/events", include_in_schema=False)
async def record_page(
    request: Request, subject_id: Id, caller: Writer, session: DbSession
) -> Response:
    form = await request.form()
    lang = language(request)
    values: dict[str, Any] = {
        k: _text(form, k) for k in ("purpose_id", "action", "given_by", "verification")
    }
    values["channel"] = _text(form, "channel") or "console"
    if _text(form, "guardian_id"):
        values["guardian_id"] = _text(form, "guardian_id")

    def act() -> object:
        data = RecordIn.model_validate(values)
        subject = flows.get_subject(session, subject_id, scope=caller.unit_path)
        return flows.record(session, subject, data, scope=caller.unit_path, by=caller.username)

    _, errors = _attempt(session, lang, act)
    if errors:
        return _subject_page(request, session, caller, subject_id, errors=errors)
    return see_other(
        request,
        f"/consent/subjects/{subject_id}",
        "已记入同意记录账本",
        "Recorded in the consent ledger",
    )


@router.post("/consent/subjects/{subject_id}/guardians", include_in_schema=False)
async def guardian_page(
    request: Request, subject_id: Id, caller: Writer, session: DbSession
) -> Response:
    form = await request.form()
    lang = language(request)
    values = {k: _text(form, k) for k in ("external_id", "relation", "label", "email")}
    values = {k: v for k, v in values.items() if v}
    _, errors = _attempt(
        session,
        lang,
        lambda: flows.add_guardian(
            session, subject_id, GuardianCreate.model_validate(values), scope=caller.unit_path
        ),
    )
    if errors:
        return _subject_page(request, session, caller, subject_id, errors=errors)
    return see_other(
        request, f"/consent/subjects/{subject_id}", "已登记监护人", "Guardian registered"
    )


@router.post("/consent/subjects/{subject_id}/links", include_in_schema=False)
async def link_form(
    request: Request, subject_id: Id, caller: Writer, session: DbSession
) -> Response:
    form = await request.form()
    lang = language(request)
    values = {k: _text(form, k) for k in ("system_id", "guardian_id", "days")}
    made, errors = _attempt(
        session,
        lang,
        lambda: _make_link(
            request,
            session,
            caller,
            subject_id,
            LinkIn.model_validate({k: v for k, v in values.items() if v}),
        ),
    )
    if made is None:
        return _subject_page(request, session, caller, subject_id, errors=errors)
    return _subject_page(request, session, caller, subject_id, new_link=made)
