"""Share attributes (共享属性, notice item 7): JSON API under ``/api/v1/sharing`` — each catalog
dataset's and field's attribute with the owner's protection requirements, the generated
数据开放目录 and 数据共享责任清单 (JSON and Excel) — and the console pages under ``/sharing``.
The public open-data page is in ``sharing_public``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from eduguard import exports
from eduguard.access.policy import Principal
from eduguard.errors import ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.sharing import export, flows
from eduguard.sharing.models import ShareAttribute
from eduguard.sharing.schemas import (
    DatasetShare,
    DatasetShareIn,
    FieldShareIn,
    OpenDataset,
    ResponsibilityRow,
)
from eduguard.validation import validation_details
from eduguard.web.deps import AppSettings, DbSession, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id, OptionalId
from eduguard.web.render import page

router = APIRouter()
Reader = Annotated[Principal, permission("sharing:read")]
Writer = Annotated[Principal, permission("sharing:write")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- API


@router.get("/api/v1/sharing/units/{unit_id}/datasets", tags=["sharing"])
def list_datasets(unit_id: Id, caller: Reader, session: DbSession) -> list[DatasetShare]:
    """Every dataset of the unit's systems (and below) with its and its fields' attributes."""
    return flows.overview(session, unit_id, scope=caller.scope)


@router.get("/api/v1/sharing/datasets/{dataset_id}", tags=["sharing"])
def read_dataset(dataset_id: Id, caller: Reader, session: DbSession) -> DatasetShare:
    return flows.read_dataset(session, dataset_id, scope=caller.scope)


@router.put("/api/v1/sharing/datasets/{dataset_id}", tags=["sharing"])
def save_dataset(
    dataset_id: Id, body: DatasetShareIn, caller: Writer, session: DbSession
) -> DatasetShare:
    """Set the dataset's attribute, conditions, protection requirements and the fields never
    shared. A dataset holding sensitive or children's fields is 无条件共享 only when each such
    field is not (notice item 7, PIPL Art. 23)."""
    return flows.save_dataset(session, dataset_id, body, scope=caller.scope, by=caller.username)


@router.put("/api/v1/sharing/fields/{field_id}", tags=["sharing"])
def save_field(
    field_id: Id, body: FieldShareIn, caller: Writer, session: DbSession
) -> DatasetShare:
    """Set one field's attribute (never more open than its dataset's; never 无条件共享 for
    sensitive or children's personal information) and its masking requirement."""
    return flows.save_field(session, field_id, body, scope=caller.scope, by=caller.username)


@router.get("/api/v1/sharing/masking", tags=["sharing"])
def masking_options(caller: Reader) -> dict[str, str]:
    """The masking requirements a field may name (eduguard.protection's operators)."""
    return flows.masking_options()


@router.get("/api/v1/sharing/units/{unit_id}/open-catalog", tags=["sharing"])
def open_catalog(unit_id: Id, caller: Reader, session: DbSession) -> list[OpenDataset]:
    """数据开放目录: what the unit marks 无条件共享 — names, descriptions, grade; no values."""
    return flows.open_catalog(session, unit_id, scope=caller.scope)


@router.get("/api/v1/sharing/units/{unit_id}/responsibility-list", tags=["sharing"])
def responsibility_list(unit_id: Id, caller: Reader, session: DbSession) -> list[ResponsibilityRow]:
    """数据共享责任清单: per dataset and field, attribute, conditions, protection, owner."""
    return flows.responsibility_list(session, unit_id, scope=caller.scope)


def _xlsx(body: bytes, filename: str, fallback: str) -> Response:
    return Response(
        body,
        media_type=XLSX,
        headers={"content-disposition": exports.attachment(filename, fallback)},
    )


@router.get("/api/v1/sharing/units/{unit_id}/open-catalog.xlsx", tags=["sharing"])
def open_catalog_xlsx(
    unit_id: Id, caller: Reader, session: DbSession, settings: AppSettings
) -> Response:
    """数据开放目录 as Excel (audited)."""
    rows = export.open_rows(flows.open_catalog(session, unit_id, scope=caller.scope))
    name = flows.unit_name(session, unit_id, scope=caller.scope)
    flows.record_export(session, "open_catalog", unit_id, len(rows), export.OPEN_HEADER[1:])
    body = export.workbook(
        export.OPEN_TITLE, export.OPEN_HEADER, rows, unit=name, zone=settings.timezone
    )
    filename = export.file_name(name, export.OPEN_TITLE, zone=settings.timezone)
    return _xlsx(body, filename, "open-catalog.xlsx")


@router.get("/api/v1/sharing/units/{unit_id}/responsibility-list.xlsx", tags=["sharing"])
def responsibility_list_xlsx(
    unit_id: Id, caller: Reader, session: DbSession, settings: AppSettings
) -> Response:
    """数据共享责任清单 as Excel (audited)."""
    entries = flows.responsibility_list(session, unit_id, scope=caller.scope)
    rows = export.list_rows(entries, flows.masking_options())
    name = flows.unit_name(session, unit_id, scope=caller.scope)
    flows.record_export(session, "responsibility_list", unit_id, len(rows), export.LIST_HEADER[1:])
    body = export.workbook(
        export.LIST_TITLE, export.LIST_HEADER, rows, unit=name, zone=settings.timezone
    )
    filename = export.file_name(name, export.LIST_TITLE, zone=settings.timezone)
    return _xlsx(body, filename, "responsibility-list.xlsx")


# ---------------------------------------------------------------- console


def _unit(session: DbSession, caller: Principal, unit_id: int | None) -> int | None:
    if unit_id is not None:
        return orgs_service.get_unit(session, unit_id, scope=caller.scope).id
    if caller.unit_id is not None:
        return caller.unit_id
    units = orgs_service.list_units(session, scope=caller.scope, limit=1)
    return units[0].id if units else None


@router.get("/sharing", include_in_schema=False)
def sharing_page(
    request: Request,
    caller: Reader,
    session: DbSession,
    unit_id: Annotated[OptionalId, Query()] = None,
) -> HTMLResponse:
    units = orgs_service.list_units(session, scope=caller.scope, limit=10_000)
    chosen = _unit(session, caller, unit_id)
    rows = flows.overview(session, chosen, scope=caller.scope) if chosen is not None else []
    return page(
        request,
        "sharing.html",
        rows=rows,
        units=units,
        unit_id=chosen,
        open_count=sum(1 for r in rows if r.attribute is ShareAttribute.unconditional),
        unset=sum(1 for r in rows if r.attribute is None),
        crumbs=[("/", "概览"), (None, "数据共享")],
    )


@router.get("/sharing/datasets/{dataset_id}", include_in_schema=False)
def dataset_page(
    request: Request, dataset_id: Id, caller: Reader, session: DbSession
) -> HTMLResponse:
    view = flows.read_dataset(session, dataset_id, scope=caller.scope)
    return page(
        request,
        "sharing_dataset.html",
        view=view,
        attributes=[a.value for a in ShareAttribute],
        masking=flows.masking_options(),
        crumbs=[
            ("/", "概览"),
            (f"/sharing?unit_id={view.unit_id}", "数据共享"),
            (None, view.name),
        ],
    )


def _form_error(exc: ValidationError) -> ValidationFailed:
    first = validation_details(exc.errors(), "zh")[0]
    return ValidationFailed("sharing_form_invalid", str(first["message"]))


@router.post("/sharing/datasets/{dataset_id}", include_in_schema=False)
def dataset_form(
    request: Request,
    dataset_id: Id,
    caller: Writer,
    session: DbSession,
    attribute: Annotated[str, Form(max_length=20)],
    conditions: Annotated[str, Form(max_length=2000)] = "",
    protection: Annotated[str, Form(max_length=2000)] = "",
    responsible: Annotated[str, Form(max_length=200)] = "",
    never_shared: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        body = DatasetShareIn.model_validate(
            {
                "attribute": attribute,
                "conditions": conditions,
                "protection": protection,
                "responsible": responsible,
                "never_shared": never_shared or [],
            }
        )
    except ValidationError as exc:
        raise _form_error(exc) from None
    flows.save_dataset(session, dataset_id, body, scope=caller.scope, by=caller.username)
    return see_other(
        request, f"/sharing/datasets/{dataset_id}", "共享属性已保存", "Share attribute saved"
    )


@router.post("/sharing/fields/{field_id}", include_in_schema=False)
def field_form(
    request: Request,
    field_id: Id,
    caller: Writer,
    session: DbSession,
    attribute: Annotated[str, Form(max_length=20)],
    conditions: Annotated[str, Form(max_length=2000)] = "",
    masking: Annotated[str, Form(max_length=40)] = "",
    never_shared: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        body = FieldShareIn.model_validate(
            {
                "attribute": attribute,
                "conditions": conditions,
                "masking": masking or None,
                "never_shared": bool(never_shared),
            }
        )
    except ValidationError as exc:
        raise _form_error(exc) from None
    view = flows.save_field(session, field_id, body, scope=caller.scope, by=caller.username)
    return see_other(
        request, f"/sharing/datasets/{view.dataset_id}", "数据项共享属性已保存", "Field saved"
    )
