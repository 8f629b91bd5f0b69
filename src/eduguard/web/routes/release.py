"""Research and statistics release: JSON API under ``/api/v1/releases``, pages under
``/releases``. Producing the de-identified copy never happens here: an approval queues it and
``eduguard release run`` produces it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from eduguard.access.policy import Principal, decide
from eduguard.audit import service as audit_service
from eduguard.errors import Conflict, EduguardError, PermissionDenied
from eduguard.release import flows
from eduguard.release.schemas import DecisionCreate, ReleaseCreate, ReleaseRead
from eduguard.reviews.models import ReviewState
from eduguard.reviews.service import STATE_LABELS, Person
from eduguard.validation import validation_details
from eduguard.web.deps import DbSession, language, permission, writes
from eduguard.web.flash import see_other
from eduguard.web.params import Id, OptionalId
from eduguard.web.render import page

router = APIRouter()

Reader = Annotated[Principal, permission("release:read")]
Requester = Annotated[Principal, permission("release:request")]
Approver = Annotated[Principal, permission("release:approve")]
Downloader = Annotated[Principal, permission("release:export")]
LABELS = {
    "dataset_id": "数据集",
    "fields": "字段",
    "purpose": "用途",
    "recipient": "接收方",
    "legal_basis": "法律依据",
    "ethics_note": "伦理审查说明",
    "k": "k 值",
    "l_diversity": "l 值",
    "quasi_identifiers": "准标识符",
    "sensitive_attribute": "敏感属性列",
    "decision": "决定",
    "reason": "理由",
}


def person(principal: Principal) -> Person:
    roles = frozenset(role.value for role in principal.roles)
    return Person(
        principal.user_id, principal.username, roles, principal.unit_id, principal.unit_path
    )


# ---------------------------------------------------------------- API


@router.get("/api/v1/releases", tags=["release"])
def list_releases(
    caller: Reader, session: DbSession, state: ReviewState | None = None
) -> list[ReleaseRead]:
    """Release requests the caller made, decides, or supervises (unit tree), newest first."""
    return flows.list_releases(session, person(caller), state=state)


@router.post("/api/v1/releases", tags=["release"], status_code=201)
def create_release(body: ReleaseCreate, caller: Requester, session: DbSession) -> ReleaseRead:
    """Request a release of chosen fields of a catalog dataset; submitted unless ``submit`` is
    false (a draft)."""
    release = flows.request(session, body, person(caller))
    return flows.read(session, release.id, person(caller))


@router.get("/api/v1/releases/{release_id}", tags=["release"])
def read_release(release_id: Id, caller: Reader, session: DbSession) -> ReleaseRead:
    return flows.read(session, release_id, person(caller))


@router.post("/api/v1/releases/{release_id}/submit", tags=["release"])
def submit_release(release_id: Id, caller: Requester, session: DbSession) -> ReleaseRead:
    flows.submit(session, release_id, person(caller))
    return flows.read(session, release_id, person(caller))


@router.post("/api/v1/releases/{release_id}/withdraw", tags=["release"])
def withdraw_release(release_id: Id, caller: Requester, session: DbSession) -> ReleaseRead:
    flows.withdraw(session, release_id, person(caller))
    return flows.read(session, release_id, person(caller))


@router.post("/api/v1/releases/{release_id}/decision", tags=["release"])
def decide_release(
    release_id: Id, body: DecisionCreate, caller: Approver, session: DbSession
) -> ReleaseRead:
    """Approve, reject or return the step awaiting the caller's decision, with a reason."""
    flows.decide(session, release_id, body, person(caller))
    return flows.read(session, release_id, person(caller))


def _file(
    request: Request, session: DbSession, caller: Principal, release_id: Id, report: bool
) -> Response:
    try:
        path, name = flows.download(
            session, release_id, person(caller), request.app.state.settings.home, report=report
        )
    except (PermissionDenied, Conflict) as exc:
        # A refused download is recorded too; the request's own transaction rolls back.
        request.state.refusal_recorded = True
        audit_service.record_separately(
            request.app.state.session_factory,
            session=session,
            action="release.download",
            object_type=flows.OBJECT_TYPE,
            object_id=release_id,
            result="denied",
            reason=exc.message_zh,
        )
        raise
    media = "application/json" if report else "application/octet-stream"
    return FileResponse(path, media_type=media, filename=name)


@router.get("/api/v1/releases/{release_id}/download", tags=["release"])
@writes  # counts the download
def download_release(
    request: Request, release_id: Id, caller: Downloader, session: DbSession, report: bool = False
) -> Response:
    """The de-identified file (``report=true``: its report), for the requester only; audited."""
    return _file(request, session, caller, release_id, report)


# ---------------------------------------------------------------- console


def _messages(exc: ValidationError, lang: str) -> list[str]:
    out = []
    for detail in validation_details(exc.errors(), lang):
        label = LABELS.get(detail["field"], detail["field"])
        out.append(f"{label}：{detail['message']}" if label else detail["message"])
    return out


@router.get("/releases", include_in_schema=False)
def releases_page(
    request: Request, caller: Reader, session: DbSession, state: ReviewState | None = None
) -> HTMLResponse:
    releases = flows.list_releases(session, person(caller), state=state)
    return page(
        request,
        "releases.html",
        releases=releases,
        state=state.value if state else "",
        states=STATE_LABELS,
        may_request=decide(caller, "release:request").allowed,
    )


def _new_page(
    request: Request,
    session: DbSession,
    caller: Principal,
    dataset_id: OptionalId,
    **context: object,
) -> HTMLResponse:
    chosen = flows.dataset(session, dataset_id, person(caller)) if dataset_id else None
    context.setdefault("values", {})
    return page(
        request,
        "release_new.html",
        status_code=422 if context.get("errors") else 200,
        datasets=flows.datasets(session, person(caller)),
        dataset=chosen,
        fields=[f for f in chosen.fields if f.present] if chosen else [],
        treatments={t.field: t for t in flows.field_treatments(chosen)} if chosen else {},
        **context,
    )


@router.get("/releases/new", include_in_schema=False)
def new_release_form(
    request: Request, caller: Requester, session: DbSession, dataset_id: OptionalId = None
) -> HTMLResponse:
    return _new_page(request, session, caller, dataset_id)


def _list(form: FormData, key: str) -> list[str]:
    return [v.strip() for v in form.getlist(key) if isinstance(v, str) and v.strip()]


@router.post("/releases/new", include_in_schema=False)
async def new_release_submit(request: Request, caller: Requester, session: DbSession) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    body: dict[str, object] = {
        key: values[key]
        for key in ("dataset_id", "purpose", "recipient", "legal_basis", "ethics_note", "k")
        if values.get(key, "").strip()
    }
    body["fields"] = _list(form, "fields")
    quasi = _list(form, "quasi_identifiers")
    if quasi:
        body["quasi_identifiers"] = quasi
    if values.get("l_diversity", "").strip():
        body["l_diversity"] = values["l_diversity"]
    if values.get("sensitive_attribute", "").strip():
        body["sensitive_attribute"] = values["sensitive_attribute"]
    lang = language(request)
    errors: list[str] = []
    try:
        data = ReleaseCreate.model_validate(body)
        with session.begin_nested():
            release = flows.request(session, data, person(caller))
        return see_other(
            request,
            f"/releases/{release.id}",
            f"已创建数据发布申请 {release.id}",
            f"Release request {release.id} created",
        )
    except ValidationError as exc:
        errors = _messages(exc, lang)
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        errors = [exc.message(lang)]
    raw = values.get("dataset_id", "")
    dataset_id = int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None
    values["fields"] = ",".join(body["fields"])  # type: ignore[arg-type]
    values["quasi_identifiers"] = ",".join(quasi)
    return _new_page(request, session, caller, dataset_id, errors=errors, values=values)


def _detail(
    request: Request, session: DbSession, caller: Principal, release_id: Id, **context: object
) -> HTMLResponse:
    release = flows.read(session, release_id, person(caller))
    context.setdefault("values", {})
    return page(
        request,
        "release_detail.html",
        status_code=422 if context.get("errors") else 200,
        release=release,
        is_requester=release.requester == caller.username,
        **context,
    )


@router.get("/releases/{release_id}", include_in_schema=False)
def release_page(
    request: Request, release_id: Id, caller: Reader, session: DbSession
) -> HTMLResponse:
    return _detail(request, session, caller, release_id)


@router.post("/releases/{release_id}/decision", include_in_schema=False)
async def decision_submit(
    request: Request, release_id: Id, caller: Approver, session: DbSession
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    lang = language(request)
    errors: list[str] = []
    try:
        data = DecisionCreate.model_validate(
            {k: values[k] for k in ("decision", "reason") if values.get(k)}
            | {"accept_empty": values.get("accept_empty") == "yes"}
        )
        with session.begin_nested():
            flows.decide(session, release_id, data, person(caller))
        done = {"approve": "已批准", "reject": "已驳回", "return": "已退回修改"}[data.decision]
        english = {"approve": "approved", "reject": "rejected", "return": "returned for changes"}
        return see_other(
            request,
            f"/releases/{release_id}",
            f"{done}数据发布申请 {release_id}",
            f"Release request {release_id} {english[data.decision]}",
        )
    except ValidationError as exc:
        errors = _messages(exc, lang)
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        errors = [exc.message(lang)]
    return _detail(request, session, caller, release_id, errors=errors, values=values)


async def _requester_action(
    request: Request, release_id: Id, caller: Principal, session: DbSession, action: str
) -> Response:
    try:
        with session.begin_nested():
            if action == "submit":
                flows.submit(session, release_id, person(caller))
            else:
                flows.withdraw(session, release_id, person(caller))
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        return _detail(
            request, session, caller, release_id, errors=[exc.message(language(request))]
        )
    done = "已提交审批" if action == "submit" else "已撤回申请"
    english = "submitted for approval" if action == "submit" else "withdrawn"
    return see_other(
        request,
        f"/releases/{release_id}",
        f"{done}（数据发布申请 {release_id}）",
        f"Release request {release_id} {english}",
    )


@router.post("/releases/{release_id}/submit", include_in_schema=False)
async def submit_page(
    request: Request, release_id: Id, caller: Requester, session: DbSession
) -> Response:
    return await _requester_action(request, release_id, caller, session, "submit")


@router.post("/releases/{release_id}/withdraw", include_in_schema=False)
async def withdraw_page(
    request: Request, release_id: Id, caller: Requester, session: DbSession
) -> Response:
    return await _requester_action(request, release_id, caller, session, "withdraw")


@router.get("/releases/{release_id}/download", include_in_schema=False)
@writes  # counts the download
def download_page(
    request: Request, release_id: Id, caller: Downloader, session: DbSession, report: bool = False
) -> Response:
    return _file(request, session, caller, release_id, report)
