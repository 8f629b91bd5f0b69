"""Retention (保存期限): JSON API under ``/api/v1/retention``, console pages under
``/retention`` — the rule or exemption of each catalog dataset, and holds."""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from eduguard.access.policy import Principal
from eduguard.errors import ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.retention import dispositions, flows
from eduguard.retention.models import Disposition, HoldKind, PeriodUnit, Trigger
from eduguard.retention.schemas import (
    DatasetRetention,
    ExemptionIn,
    HoldIn,
    HoldRead,
    HoldRelease,
    RuleIn,
    RuleRead,
)
from eduguard.validation import validation_details
from eduguard.web.deps import DbSession, permission
from eduguard.web.flash import see_other
from eduguard.web.params import Id, OptionalId
from eduguard.web.render import page

router = APIRouter()
Reader = Annotated[Principal, permission("retention:read")]
Writer = Annotated[Principal, permission("retention:write")]
Holder = Annotated[Principal, permission("retention:hold")]
Text = Annotated[str, Form(max_length=2000)]
M = TypeVar("M", ExemptionIn, HoldIn, HoldRelease)


def _unit(session: DbSession, caller: Principal, unit_id: int | None) -> int:
    if unit_id is not None:
        return orgs_service.get_unit(session, unit_id, scope=caller.scope).id
    if caller.unit_id is not None:
        return caller.unit_id
    units = orgs_service.list_units(session, scope=caller.scope, limit=1)
    if not units:
        raise ValidationFailed("unit_required", "请先登记单位", "register a unit first")
    return units[0].id


# ---------------------------------------------------------------- API


@router.get("/api/v1/retention/units/{unit_id}/datasets", tags=["retention"])
def list_datasets(unit_id: Id, caller: Reader, session: DbSession) -> list[DatasetRetention]:
    """Every dataset of the unit's systems (and below): rule, exemption, holds, cutoff."""
    return flows.overview(session, unit_id, scope=caller.scope)


@router.get("/api/v1/retention/units/{unit_id}/uncovered", tags=["retention"])
def list_uncovered(unit_id: Id, caller: Reader, session: DbSession) -> list[DatasetRetention]:
    """The unit's datasets holding personal information with neither rule nor exemption."""
    orgs_service.get_unit(session, unit_id, scope=caller.scope)
    return [
        flows.dataset_retention(session, d) for d in flows.datasets_without_rule(session, unit_id)
    ]


@router.get("/api/v1/retention/datasets/{dataset_id}", tags=["retention"])
def read_dataset(dataset_id: Id, caller: Reader, session: DbSession) -> DatasetRetention:
    return flows.read_dataset(session, dataset_id, scope=caller.scope)


@router.put("/api/v1/retention/datasets/{dataset_id}/rule", tags=["retention"])
def save_rule(dataset_id: Id, body: RuleIn, caller: Writer, session: DbSession) -> RuleRead:
    """Create or replace the dataset's rule (a rule replaces a recorded exemption)."""
    rule = flows.save_rule(session, dataset_id, body, scope=caller.scope, by=caller.username)
    return flows.rule_read(rule)


@router.delete("/api/v1/retention/datasets/{dataset_id}/rule", tags=["retention"], status_code=204)
def remove_rule(dataset_id: Id, caller: Writer, session: DbSession) -> Response:
    flows.remove_rule(session, dataset_id, scope=caller.scope)
    return Response(status_code=204)


@router.put("/api/v1/retention/datasets/{dataset_id}/exemption", tags=["retention"])
def record_exemption(
    dataset_id: Id, body: ExemptionIn, caller: Writer, session: DbSession
) -> DatasetRetention:
    """Record why the dataset has no rule (refused while it has one)."""
    return flows.record_exemption(
        session, dataset_id, body.reason, scope=caller.scope, by=caller.username
    )


@router.get("/api/v1/retention/units/{unit_id}/holds", tags=["retention"])
def list_holds(
    unit_id: Id, caller: Reader, session: DbSession, all: bool = False
) -> list[HoldRead]:
    """Open holds on the unit's datasets (``all``: released ones too)."""
    holds = flows.list_holds(session, unit_id, scope=caller.scope, open_only=not all)
    return [HoldRead.model_validate(h) for h in holds]


@router.post("/api/v1/retention/datasets/{dataset_id}/holds", tags=["retention"], status_code=201)
def place_hold(dataset_id: Id, body: HoldIn, caller: Holder, session: DbSession) -> HoldRead:
    """A hold blocks every disposition of the dataset until it is released; with
    ``subject_column`` and ``subject_key`` only that subject's rows are kept (the key is
    hashed, never stored)."""
    hold = flows.place_hold(
        session,
        dataset_id,
        body.kind,
        body.reference,
        body.reason,
        scope=caller.scope,
        by=caller.username,
        subject=body.subject,
    )
    return HoldRead.model_validate(hold)


@router.post("/api/v1/retention/holds/{hold_id}/release", tags=["retention"])
def release_hold(hold_id: Id, body: HoldRelease, caller: Holder, session: DbSession) -> HoldRead:
    hold = flows.release_hold(session, hold_id, body.reason, scope=caller.scope, by=caller.username)
    return HoldRead.model_validate(hold)


# ---------------------------------------------------------------- console


@router.get("/retention", include_in_schema=False)
def retention_page(
    request: Request,
    caller: Reader,
    session: DbSession,
    unit_id: Annotated[OptionalId, Query()] = None,
) -> HTMLResponse:
    chosen = _unit(session, caller, unit_id)
    rows = flows.overview(session, chosen, scope=caller.scope)
    return page(
        request,
        "retention.html",
        rows=rows,
        units=orgs_service.list_units(session, scope=caller.scope, limit=10_000),
        unit_id=chosen,
        missing=sum(1 for r in rows if r.status == "missing"),
        crumbs=[("/", "概览"), (None, "保存期限")],
    )


@router.get("/retention/datasets/{dataset_id}", include_in_schema=False)
def dataset_page(
    request: Request, dataset_id: Id, caller: Reader, session: DbSession
) -> HTMLResponse:
    state = flows.read_dataset(session, dataset_id, scope=caller.scope)
    return page(
        request,
        "retention_dataset.html",
        state=state,
        triggers=[t.value for t in Trigger],
        units=[u.value for u in PeriodUnit],
        dispositions=[d.value for d in Disposition],
        hold_kinds=[k.value for k in HoldKind],
        runs=dispositions.list_runs(session, [dataset_id]),
        crumbs=[("/", "概览"), ("/retention", "保存期限"), (None, state.dataset)],
    )


def _blank(value: str) -> str | None:
    return value.strip() or None


@router.post("/retention/datasets/{dataset_id}/rule", include_in_schema=False)
def save_rule_form(
    request: Request,
    dataset_id: Id,
    caller: Writer,
    session: DbSession,
    trigger: Annotated[str, Form()],
    period_value: Annotated[int, Form(ge=1, le=1200)],
    period_unit: Annotated[str, Form()],
    disposition: Annotated[str, Form()],
    trigger_column: Text = "",
    event_name: Text = "",
    event_date: Text = "",
    minimum_value: Text = "",
    minimum_unit: Text = "",
    legal_basis: Text = "",
    key_column: Text = "",
) -> Response:
    try:
        body = RuleIn.model_validate(
            {
                "trigger": trigger,
                "trigger_column": _blank(trigger_column),
                "event_name": _blank(event_name),
                "event_date": date.fromisoformat(event_date) if event_date.strip() else None,
                "period_value": period_value,
                "period_unit": period_unit,
                "minimum_value": int(minimum_value) if minimum_value.strip() else None,
                "minimum_unit": _blank(minimum_unit) if minimum_value.strip() else None,
                "legal_basis": legal_basis,
                "disposition": disposition,
                "key_column": _blank(key_column),
            }
        )
    except ValidationError as exc:
        first = validation_details(exc.errors(), "zh")[0]
        raise ValidationFailed("retention_rule_invalid", str(first["message"])) from None
    except ValueError:
        raise ValidationFailed("retention_rule_invalid", "日期或数字格式不正确") from None
    flows.save_rule(session, dataset_id, body, scope=caller.scope, by=caller.username)
    return see_other(
        request, f"/retention/datasets/{dataset_id}", "保存期限规则已保存", "Retention rule saved"
    )


@router.post("/retention/datasets/{dataset_id}/exemption", include_in_schema=False)
def exemption_form(
    request: Request, dataset_id: Id, caller: Writer, session: DbSession, reason: Text = ""
) -> Response:
    data = _checked(ExemptionIn, {"reason": reason})
    flows.record_exemption(session, dataset_id, data.reason, scope=caller.scope, by=caller.username)
    return see_other(
        request, f"/retention/datasets/{dataset_id}", "豁免已登记", "Exemption recorded"
    )


@router.post("/retention/datasets/{dataset_id}/holds", include_in_schema=False)
def hold_form(
    request: Request,
    dataset_id: Id,
    caller: Holder,
    session: DbSession,
    kind: Annotated[str, Form()],
    reason: Text = "",
    reference: Annotated[str, Form(max_length=200)] = "",
    subject_column: Annotated[str, Form(max_length=300)] = "",
    subject_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    fields: dict[str, str | None] = {"kind": kind, "reason": reason, "reference": reference}
    if subject_column.strip() or subject_key.strip():  # both or neither (the model says so)
        fields |= {
            "subject_column": subject_column.strip() or None,
            "subject_key": subject_key.strip() or None,
        }
    data = _checked(HoldIn, fields)
    flows.place_hold(
        session,
        dataset_id,
        data.kind,
        data.reference,
        data.reason,
        scope=caller.scope,
        by=caller.username,
        subject=data.subject,
    )
    return see_other(request, f"/retention/datasets/{dataset_id}", "保全已设置", "Hold placed")


@router.post("/retention/holds/{hold_id}/release", include_in_schema=False)
def release_form(
    request: Request, hold_id: Id, caller: Holder, session: DbSession, reason: Text = ""
) -> Response:
    data = _checked(HoldRelease, {"reason": reason})
    hold = flows.release_hold(session, hold_id, data.reason, scope=caller.scope, by=caller.username)
    return see_other(
        request, f"/retention/datasets/{hold.dataset_id}", "保全已解除", "Hold released"
    )


def _checked(model: type[M], values: dict[str, str | None]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = validation_details(exc.errors(), "zh")[0]
        raise ValidationFailed("retention_form_invalid", str(first["message"])) from None
