"""The processing register (处理活动记录): JSON API under ``/api/v1/processing``, console pages
under ``/processing``. The public collection rules are in ``processing_rules.py``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from eduguard.access.policy import Principal, decide
from eduguard.errors import EduguardError
from eduguard.processing import flows
from eduguard.processing.models import Audience
from eduguard.processing.schemas import (
    LegalBasisRead,
    PurposeCreate,
    PurposeRead,
    PurposeUpdate,
    RegisterRead,
    RegisterUpdate,
    RulesVersionRead,
)
from eduguard.validation import validation_details
from eduguard.web.deps import DbSession, language, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id
from eduguard.web.render import page

router = APIRouter()

Reader = Annotated[Principal, permission("processing:read")]
Writer = Annotated[Principal, permission("processing:write")]
Publisher = Annotated[Principal, permission("processing:publish")]
RECIPIENT_ROWS = 10
LABELS = {
    "name": "名称",
    "description": "说明",
    "legal_basis": "法律依据",
    "basis_detail": "依据说明",
    "necessity": "必要性",
    "collection_method": "收集方式",
    "retention_period": "保存期限",
    "disposal": "到期后处理",
    "sensitive_necessity": "敏感个人信息的必要性及影响",
    "automated_decision": "自动化决策",
    "field_ids": "数据项",
    "recipients": "接收方",
    "contact": "联系方式",
    "rights_channel": "权利行使方式",
}


# ---------------------------------------------------------------- API


@router.get("/api/v1/processing/legal-bases", tags=["processing"])
def list_legal_bases(_: Reader) -> list[LegalBasisRead]:
    """PIPL Art. 13 ¶1 (1)–(7): the legal bases a purpose may rest on."""
    return flows.legal_bases()


@router.get("/api/v1/processing/systems/{system_id}", tags=["processing"])
def read_register(system_id: Id, caller: Reader, session: DbSession) -> RegisterRead:
    """A system's register: contact, purposes (legal basis, fields, retention, recipients) and
    the published rules versions."""
    return flows.register_read(session, system_id, scope=caller.unit_path)


@router.put("/api/v1/processing/systems/{system_id}", tags=["processing"])
def save_register(
    system_id: Id, body: RegisterUpdate, caller: Writer, session: DbSession
) -> RegisterRead:
    """The public contact for personal-information matters and how rights are exercised."""
    return flows.save_register(session, system_id, body, scope=caller.unit_path)


@router.post(
    "/api/v1/processing/systems/{system_id}/purposes", tags=["processing"], status_code=201
)
def create_purpose(
    system_id: Id, body: PurposeCreate, caller: Writer, session: DbSession
) -> PurposeRead:
    """A draft purpose; activate it once it has a legal basis."""
    purpose = flows.create_purpose(session, system_id, body, scope=caller.unit_path)
    return flows.purpose_read(session, purpose)


@router.get("/api/v1/processing/purposes/{purpose_id}", tags=["processing"])
def read_purpose(purpose_id: Id, caller: Reader, session: DbSession) -> PurposeRead:
    return flows.read_purpose(session, purpose_id, scope=caller.unit_path)


@router.patch("/api/v1/processing/purposes/{purpose_id}", tags=["processing"])
def update_purpose(
    purpose_id: Id, body: PurposeUpdate, caller: Writer, session: DbSession
) -> PurposeRead:
    """Change what is sent (``field_ids`` and ``recipients`` replace the lists); audited."""
    purpose = flows.update_purpose(session, purpose_id, body, scope=caller.unit_path)
    return flows.purpose_read(session, purpose)


@router.post("/api/v1/processing/purposes/{purpose_id}/activate", tags=["processing"])
def activate_purpose(purpose_id: Id, caller: Writer, session: DbSession) -> PurposeRead:
    """Refused (422 ``purpose_without_legal_basis``) while the purpose has no legal basis."""
    purpose = flows.activate(session, purpose_id, scope=caller.unit_path)
    return flows.purpose_read(session, purpose)


@router.post("/api/v1/processing/purposes/{purpose_id}/retire", tags=["processing"])
def retire_purpose(purpose_id: Id, caller: Writer, session: DbSession) -> PurposeRead:
    purpose = flows.retire(session, purpose_id, scope=caller.unit_path)
    return flows.purpose_read(session, purpose)


@router.get("/api/v1/processing/systems/{system_id}/rules", tags=["processing"])
def list_rules(system_id: Id, caller: Reader, session: DbSession) -> list[RulesVersionRead]:
    """Every published version, with whether it is current and still matches its SM3."""
    return flows.register_read(session, system_id, scope=caller.unit_path).versions


@router.post("/api/v1/processing/systems/{system_id}/rules", tags=["processing"], status_code=201)
def publish_rules(system_id: Id, caller: Publisher, session: DbSession) -> list[RulesVersionRead]:
    """Publish the rules rendered from the register (and the children's rules when the catalog
    holds children's data) as new immutable versions."""
    published = flows.publish(session, system_id, scope=caller.unit_path, by=caller.username)
    current = {v.id for v in published}
    return [flows.version_read(v, current) for v in published]


# ---------------------------------------------------------------- console


def _messages(exc: ValidationError, lang: str) -> list[str]:
    out = []
    for detail in validation_details(exc.errors(), lang):
        head = detail["field"].split(".")[0]
        label = LABELS.get(head, detail["field"])
        out.append(f"{label}：{detail['message']}" if label else detail["message"])
    return out


@router.get("/processing", include_in_schema=False)
def processing_page(request: Request, caller: Reader, session: DbSession) -> HTMLResponse:
    rows = flows.systems_overview(session, scope=caller.unit_path)
    return page(request, "processing.html", rows=rows)


def _system_page(
    request: Request, session: DbSession, caller: Principal, system_id: int, **context: Any
) -> HTMLResponse:
    register = flows.register_read(session, system_id, scope=caller.unit_path)
    return page(
        request,
        "processing_system.html",
        status_code=422 if context.get("errors") else 200,
        register=register,
        may_write=decide(caller, "processing:write").allowed,
        may_publish=decide(caller, "processing:publish").allowed,
        crumbs=[("/processing", "处理活动记录"), (None, register.system)],
        **context,
    )


@router.get("/processing/systems/{system_id}", include_in_schema=False)
def system_page(
    request: Request, system_id: Id, caller: Reader, session: DbSession
) -> HTMLResponse:
    return _system_page(request, session, caller, system_id)


@router.get("/processing/systems/{system_id}/preview", include_in_schema=False)
def preview_page(
    request: Request,
    system_id: Id,
    caller: Reader,
    session: DbSession,
    audience: Audience = Audience.general,
) -> HTMLResponse:
    """What publishing would publish now (nothing is stored)."""
    document = flows.preview(session, system_id, audience, scope=caller.unit_path)
    return page(request, "rules_public.html", document=document, rules_version=None, preview=True)


@router.post("/processing/systems/{system_id}", include_in_schema=False)
async def save_register_page(
    request: Request, system_id: Id, caller: Writer, session: DbSession
) -> Response:
    form = await request.form()
    lang = language(request)
    try:
        data = RegisterUpdate.model_validate(
            {k: _text(form, k) for k in ("contact", "rights_channel")}
        )
        with session.begin_nested():
            flows.save_register(session, system_id, data, scope=caller.unit_path)
    except ValidationError as exc:
        return _system_page(request, session, caller, system_id, errors=_messages(exc, lang))
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        return _system_page(request, session, caller, system_id, errors=[exc.message(lang)])
    return see_other(
        request,
        f"/processing/systems/{system_id}",
        "已保存联系方式与权利行使方式",
        "Contact and rights information saved",
    )


@router.post("/processing/systems/{system_id}/publish", include_in_schema=False)
def publish_page(
    request: Request, system_id: Id, caller: Publisher, session: DbSession
) -> Response:
    try:
        with session.begin_nested():
            published = flows.publish(
                session, system_id, scope=caller.unit_path, by=caller.username
            )
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        lang = language(request)
        return _system_page(request, session, caller, system_id, errors=[exc.message(lang)])
    numbers = "、".join(f"第 {v.number} 版" for v in published)
    return see_other(
        request,
        f"/processing/systems/{system_id}",
        f"已发布收集使用规则（{numbers}）",
        "Collection rules published (" + ", ".join(f"version {v.number}" for v in published) + ")",
    )


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _purpose_body(form: FormData) -> dict[str, Any]:
    keys = ("name", "description", "basis_detail", "collection_method", "retention_period")
    body: dict[str, Any] = {key: _text(form, key) for key in (*keys, "sensitive_necessity")}
    body["legal_basis"] = _text(form, "legal_basis") or None
    body["necessity"] = _text(form, "necessity") or "necessary"
    body["disposal"] = _text(form, "disposal") or "delete"
    body["automated_decision"] = _text(form, "automated_decision") == "yes"
    body["field_ids"] = [v for v in form.getlist("field_ids") if isinstance(v, str) and v.strip()]
    recipients = []
    for row in range(RECIPIENT_ROWS):
        name = _text(form, f"r{row}_name")
        if not name:
            continue
        recipient: dict[str, Any] = {
            "name": name,
            "kind": _text(form, f"r{row}_kind") or "third_party",
            "contact": _text(form, f"r{row}_contact"),
            "use": _text(form, f"r{row}_use"),
        }
        if _text(form, f"r{row}_agreement_id"):
            recipient["agreement_id"] = _text(form, f"r{row}_agreement_id")
        recipients.append(recipient)
    body["recipients"] = recipients
    return body


def _purpose_form(
    request: Request,
    session: DbSession,
    caller: Principal,
    system_id: int,
    purpose: PurposeRead | dict[str, Any] | None,
    **context: Any,
) -> HTMLResponse:
    register = flows.register_read(session, system_id, scope=caller.unit_path)
    values = purpose.model_dump() if isinstance(purpose, BaseModel) else dict(purpose or {})
    values.setdefault("field_ids", [f["id"] for f in values.get("fields", [])])
    recipients = list(values.get("recipients", []))
    rows = [*recipients, {}, {}][:RECIPIENT_ROWS]  # two blank rows to add recipients
    purpose_id = context.pop("purpose_id", None)
    return page(
        request,
        "processing_purpose.html",
        status_code=422 if context.get("errors") else 200,
        register=register,
        purpose_id=purpose_id,
        values=values,
        recipient_rows=rows,
        chosen={int(i) for i in values.get("field_ids", []) if str(i).isdigit()},
        fields=flows.catalog_fields(session, system_id, scope=caller.unit_path),
        agreements=flows.agreements(session, system_id, scope=caller.unit_path),
        crumbs=[
            ("/processing", "处理活动记录"),
            (f"/processing/systems/{system_id}", register.system),
            (None, values.get("name") or "新增处理目的"),
        ],
        **context,
    )


@router.get("/processing/systems/{system_id}/purposes/new", include_in_schema=False)
def new_purpose_form(
    request: Request, system_id: Id, caller: Writer, session: DbSession
) -> HTMLResponse:
    return _purpose_form(request, session, caller, system_id, None)


@router.post("/processing/systems/{system_id}/purposes/new", include_in_schema=False)
async def new_purpose_submit(
    request: Request, system_id: Id, caller: Writer, session: DbSession
) -> Response:
    form = await request.form()
    body = _purpose_body(form)
    lang = language(request)
    try:
        data = PurposeCreate.model_validate(body)
        with session.begin_nested():
            purpose = flows.create_purpose(session, system_id, data, scope=caller.unit_path)
        return see_other(
            request,
            f"/processing/systems/{system_id}",
            f"已新增处理目的“{purpose.name}”（草稿）",
            f"Purpose “{purpose.name}” added (draft)",
        )
    except ValidationError as exc:
        errors = _messages(exc, lang)
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        errors = [exc.message(lang)]
    return _purpose_form(request, session, caller, system_id, body, errors=errors)


@router.get("/processing/purposes/{purpose_id}/edit", include_in_schema=False)
def edit_purpose_form(
    request: Request, purpose_id: Id, caller: Writer, session: DbSession
) -> HTMLResponse:
    purpose = flows.read_purpose(session, purpose_id, scope=caller.unit_path)
    return _purpose_form(
        request, session, caller, purpose.system_id, purpose, purpose_id=purpose_id
    )


@router.post("/processing/purposes/{purpose_id}/edit", include_in_schema=False)
async def edit_purpose_submit(
    request: Request, purpose_id: Id, caller: Writer, session: DbSession
) -> Response:
    purpose = flows.read_purpose(session, purpose_id, scope=caller.unit_path)
    form = await request.form()
    body = _purpose_body(form)
    lang = language(request)
    try:
        data = PurposeUpdate.model_validate(body)
        with session.begin_nested():
            flows.update_purpose(session, purpose_id, data, scope=caller.unit_path)
        return see_other(
            request,
            f"/processing/systems/{purpose.system_id}",
            f"已保存处理目的“{data.name}”",
            f"Purpose “{data.name}” saved",
        )
    except ValidationError as exc:
        errors = _messages(exc, lang)
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        errors = [exc.message(lang)]
    return _purpose_form(
        request, session, caller, purpose.system_id, body, errors=errors, purpose_id=purpose_id
    )


async def _status_change(
    request: Request, session: DbSession, caller: Principal, purpose_id: int, activate: bool
) -> Response:
    purpose = flows.read_purpose(session, purpose_id, scope=caller.unit_path)
    try:
        with session.begin_nested():
            if activate:
                flows.activate(session, purpose_id, scope=caller.unit_path)
            else:
                flows.retire(session, purpose_id, scope=caller.unit_path)
    except EduguardError as exc:
        if exc.status_code == 404:
            raise
        lang = language(request)
        return _system_page(request, session, caller, purpose.system_id, errors=[exc.message(lang)])
    done = "已启用" if activate else "已停用"
    return see_other(
        request,
        f"/processing/systems/{purpose.system_id}",
        f"{done}处理目的“{purpose.name}”",
        f"Purpose “{purpose.name}” {'activated' if activate else 'retired'}",
    )


@router.post("/processing/purposes/{purpose_id}/activate", include_in_schema=False)
async def activate_page(
    request: Request, purpose_id: Id, caller: Writer, session: DbSession
) -> Response:
    return await _status_change(request, session, caller, purpose_id, activate=True)


@router.post("/processing/purposes/{purpose_id}/retire", include_in_schema=False)
async def retire_page(
    request: Request, purpose_id: Id, caller: Writer, session: DbSession
) -> Response:
    return await _status_change(request, session, caller, purpose_id, activate=False)
