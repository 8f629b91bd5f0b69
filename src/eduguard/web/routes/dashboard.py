"""The posture dashboard (数据安全态势) and the one-data-one-source report (一数一源).

``/dashboard`` shows a unit's catalog at a glance (ECharts, drawn by ``static/dashboard.js``
from chart specs in ``data-chart`` attributes: the CSP allows no inline script) and, for a unit
with units below it, those units ranked with drill-down links. The same figures are JSON under
``/api/v1/dashboard``. Everything is scoped by the caller's unit: another unit is not found.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from eduguard.access.policy import Principal
from eduguard.catalog import dashboard, overlap
from eduguard.discovery.detectors import DETECTORS
from eduguard.web.deps import DbSession, permission
from eduguard.web.render import page

router = APIRouter()

Reader = Annotated[Principal, permission("catalog:read")]
UnitId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
Sort = Annotated[str, Query(max_length=40, pattern=r"^[a-z_]+$")]
Limit = Annotated[int, Query(ge=1, le=5000)]
MinOverlap = Annotated[int, Query(ge=1, le=10_000_000)]
TYPE_LABELS = {detector.code: detector.label for detector in DETECTORS}
KPIS = (
    ("systems", "信息系统"),
    ("datasets", "数据集"),
    ("fields", "数据项"),
    ("personal", "个人信息数据项"),
    ("sensitive", "敏感个人信息数据项"),
    ("minors", "未成年人个人信息数据项"),
    ("sensitive_unreviewed", "待审核的敏感数据项"),
    ("datasets_no_retention", "未设保存期限的个人信息数据集"),
)


def _unit_out(scope: dashboard.Scope) -> dict[str, Any]:
    unit = scope.unit
    return {
        "id": unit.id if unit else None,
        "name": scope.name,
        "kind": unit.kind.value if unit else None,
        "path": scope.path,
    }


@router.get("/api/v1/dashboard", tags=["dashboard"])
def dashboard_data(caller: Reader, session: DbSession, unit: UnitId = None) -> dict[str, Any]:
    """A unit's posture: totals and chart data (levels, sensitive and minors' fields by system,
    review progress, retention) over the unit and the units below it."""
    scope = dashboard.resolve(session, scope=caller.scope, unit_id=unit)
    return {"unit": _unit_out(scope), **dashboard.charts(session, scope.path)}


@router.get("/api/v1/dashboard/units", tags=["dashboard"])
def dashboard_units(
    caller: Reader,
    session: DbSession,
    unit: UnitId = None,
    sort: Sort = "sensitive_unreviewed",
    limit: Limit = 500,
) -> dict[str, Any]:
    """The units directly below ``unit`` (default: the caller's), each rolled up over its
    subtree, ranked by ``sort`` (most first)."""
    scope = dashboard.resolve(session, scope=caller.scope, unit_id=unit)
    rows = dashboard.rollup(session, scope, sort=sort, limit=limit)
    return {"unit": _unit_out(scope), "sort": sort, "units": rows}


@router.get("/api/v1/catalog/duplicates", tags=["catalog"])
def duplicates(
    caller: Reader,
    session: DbSession,
    unit: UnitId = None,
    min_overlap: MinOverlap = overlap.DEFAULT_MIN_OVERLAP,
) -> dict[str, Any]:
    """一数一源: fields of one identifying type in different systems that hold the same values,
    compared by keyed-hash sketches (never values), with the estimated overlap and its 95 %
    interval (exact when both fields have fewer than k distinct values)."""
    scope = dashboard.resolve(session, scope=caller.scope, unit_id=unit)
    found = dashboard.duplicates(session, scope, min_overlap=min_overlap)
    return {"unit": _unit_out(scope), "min_overlap": min_overlap, "duplicates": found}


@router.get("/dashboard", include_in_schema=False)
def dashboard_page(
    request: Request,
    caller: Reader,
    session: DbSession,
    unit: UnitId = None,
    sort: Sort = "sensitive_unreviewed",
) -> HTMLResponse:
    scope = dashboard.resolve(session, scope=caller.scope, unit_id=unit)
    data = dashboard.charts(session, scope.path)
    units = dashboard.rollup(session, scope, sort=sort)
    return page(
        request,
        "dashboard.html",
        scope=scope,
        data=data,
        kpis=KPIS,
        units=units,
        sort=sort,
        sorts=dashboard.SORTS,
        rank_columns=[(key, label) for key, label, _ in dashboard.RANK_COLUMNS],
        parent_id=(
            scope.unit.parent_id
            if scope.unit is not None and scope.unit.path != caller.scope
            else None
        ),
    )


@router.get("/catalog/duplicates", include_in_schema=False)
def duplicates_page(
    request: Request, caller: Reader, session: DbSession, unit: UnitId = None
) -> HTMLResponse:
    scope = dashboard.resolve(session, scope=caller.scope, unit_id=unit)
    found = dashboard.duplicates(session, scope)
    return page(
        request,
        "catalog_duplicates.html",
        scope=scope,
        duplicates=found,
        type_labels=TYPE_LABELS,
        min_overlap=overlap.DEFAULT_MIN_OVERLAP,
    )
