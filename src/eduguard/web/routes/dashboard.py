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

from eduguard.access.policy import Principal, decide
from eduguard.catalog import dashboard, overlap
from eduguard.compliance import flows as compliance_flows
from eduguard.compliance.rules import SEVERITIES
from eduguard.consent import coverage as consent_coverage
from eduguard.discovery.detectors import DETECTORS
from eduguard.web.deps import DbSession, permission
from eduguard.web.params import OptionalId
from eduguard.web.render import page

router = APIRouter()

Reader = Annotated[Principal, permission("catalog:read")]
UnitId = OptionalId
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
    ("datasets_no_retention", "未设存储期限的个人信息数据集"),
)


SCORE_SORT = "score"


def _sees_consent(caller: Principal) -> bool:
    """The consent table (counts per purpose, no person) for callers who may read consent."""
    return decide(caller, "consent:read", caller.scope).allowed


def _sees_compliance(caller: Principal) -> bool:
    """Compliance figures join the dashboard only for callers who may read compliance."""
    return decide(caller, "compliance:read", caller.scope).allowed


NOTICE = "教科信函〔2021〕20号"


def short_clause(clause: str) -> str:
    """A clause as a chart label: the notice's own items lose the shared citation prefix
    (every one would otherwise truncate to the same "教科信函〔2021〕20号 …")."""
    rest = clause.removeprefix(NOTICE).strip()
    return f"《通知》{rest}" if rest and rest != clause else clause


def _compliance_charts(
    posture: compliance_flows.SubtreePosture,
) -> tuple[dict[str, Any], list[Any]]:
    """The unit's compliance posture over its subtree, and its charts (by clause, severity)."""
    top = list(posture.findings_by_clause.items())[:12]
    charts = [
        {
            "id": "clauses",
            "kind": "bar",
            "title": "未整改的合规发现（按引用条款）",
            "categories": [short_clause(clause) for clause, _ in top],
            "series": [{"name": "合规发现", "data": [count for _, count in top]}],
            "links": ["/compliance" for _ in top],
        },
        {
            "id": "severity",
            "kind": "pie",
            "title": f"合规得分 {posture.score}：未整改发现的严重性",
            "data": [
                {"name": label, "value": posture.open_by_severity.get(sev, 0)}
                for sev, label in SEVERITIES.items()
            ],
        },
    ]
    summary = {
        "score": posture.score,
        "open_findings": posture.open_findings,
        "open_by_severity": posture.open_by_severity,
        "findings_by_clause": posture.findings_by_clause,
    }
    return summary, charts


def _ranked(
    session: DbSession, caller: Principal, scope: dashboard.Scope, sort: str, limit: int
) -> tuple[list[dict[str, Any]], compliance_flows.SubtreePosture | None]:
    """The units below ``scope``, with their compliance score when the caller may see it
    (``sort=score`` ranks the lowest score first), and the scope's own posture — all from one
    query over the scope's findings."""
    compliance = _sees_compliance(caller)
    by_score = sort == SCORE_SORT and compliance
    rows = dashboard.rollup(
        session, scope, sort="sensitive_unreviewed" if by_score else sort, limit=limit
    )
    own = None
    if compliance:
        paths = [scope.path, *(r["path"] for r in rows)]
        postures = compliance_flows.subtree_postures(session, paths)
        own = postures[scope.path]
        for row in rows:
            posture = postures[row["path"]]
            row["score"], row["open_findings"] = posture.score, posture.open_findings
    if by_score:
        rows.sort(key=lambda r: (r["score"], -r["open_findings"], r["id"]))
    return rows, own


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
    data = dashboard.charts(session, scope.path)
    if _sees_compliance(caller):
        posture = compliance_flows.subtree_postures(session, [scope.path])[scope.path]
        data["compliance"], charts = _compliance_charts(posture)
        data["charts"] = [*data["charts"], *charts]
    return {"unit": _unit_out(scope), **data}


@router.get("/api/v1/dashboard/units", tags=["dashboard"])
def dashboard_units(
    caller: Reader,
    session: DbSession,
    unit: UnitId = None,
    sort: Sort = "sensitive_unreviewed",
    limit: Limit = 500,
) -> dict[str, Any]:
    """The units directly below ``unit`` (default: the caller's), each rolled up over its
    subtree, ranked by ``sort`` (most first; ``score``: lowest compliance score first), with
    the compliance score and open findings when the caller may read compliance."""
    scope = dashboard.resolve(session, scope=caller.scope, unit_id=unit)
    rows, _own = _ranked(session, caller, scope, sort, limit)
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
    units, own = _ranked(session, caller, scope, sort, 500)
    compliance = own is not None
    if own is not None:
        data["compliance"], charts = _compliance_charts(own)
        data["charts"] = [*data["charts"], *charts]
    consent = (
        consent_coverage.coverage_overview(session, scope.path) if _sees_consent(caller) else None
    )
    sorts = dict(dashboard.SORTS)
    if compliance:
        sorts[SCORE_SORT] = "合规得分（低者在前）"
    return page(
        request,
        "dashboard.html",
        scope=scope,
        data=data,
        kpis=KPIS,
        units=units,
        sort=sort,
        sorts=sorts,
        compliance=compliance,
        consent=consent,
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
