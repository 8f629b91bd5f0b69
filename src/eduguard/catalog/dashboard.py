"""The catalog's dashboard: a unit's posture and a supervisor's ranked view of the units below.

Reads across domains (units and systems of ``orgs``), like :mod:`eduguard.catalog.flows`.
Every figure is one SQL aggregation over ``catalog_system_stats`` (per-system counts kept by
:mod:`eduguard.catalog.stats`) joined to the systems of the unit subtree — a path-prefix
``LIKE 'path%'`` on ``units.path`` — so a province's 10,000 systems are summed by the database,
never by a Python loop over fields.

Other domains add to the dashboard in one place each: :data:`SECTIONS` (more charts for a
unit) and :data:`RANK_COLUMNS` (more columns for the ranking, e.g. a compliance score).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from eduguard.catalog import overlap
from eduguard.catalog.flows import ALL, scoped_systems
from eduguard.catalog.models import SystemStats
from eduguard.catalog.schemas import LEVEL_LABELS
from eduguard.catalog.stats import COUNT_COLUMNS, LEVEL_COLUMNS
from eduguard.errors import ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import InformationSystem, Unit

SORTS = {
    "sensitive_unreviewed": "待审核敏感数据项",
    "sensitive": "敏感个人信息数据项",
    "minors": "未成年人个人信息数据项",
    "personal": "个人信息数据项",
    "pending": "待审核数据项",
    "datasets_no_retention": "未设存储期限的数据集",
    "fields": "数据项",
}
Section = Callable[[Session, str], list[dict[str, Any]]]
"""A chart provider: (session, unit path) → chart specs, added to the unit page."""
RankColumn = tuple[str, str, Callable[[Session, list[str]], dict[str, float | None]]]
"""(key, Chinese label, (session, unit paths) → value per path) — e.g. a compliance score."""
SECTIONS: list[Section] = []
RANK_COLUMNS: list[RankColumn] = []


@dataclass(frozen=True)
class Scope:
    path: str
    unit: Unit | None  # None: the whole platform

    @property
    def name(self) -> str:
        return self.unit.name if self.unit is not None else "全部单位"


def resolve(session: Session, *, scope: str, unit_id: int | None) -> Scope:
    """The unit asked for (inside the caller's scope, else not found), or the caller's own."""
    if unit_id is not None:
        unit = orgs_service.get_unit(session, unit_id, scope=scope)
        return Scope(unit.path, unit)
    if scope == ALL:
        return Scope(ALL, None)
    return Scope(scope, session.scalar(select(Unit).where(Unit.path == scope)))


def _sums() -> list[ColumnElement[Any]]:
    return [func.coalesce(func.sum(getattr(SystemStats, c)), 0).label(c) for c in COUNT_COLUMNS]


def _in_subtree(path: str) -> ColumnElement[bool]:
    return literal(True) if path == ALL else Unit.path.startswith(path, autoescape=True)


class _Position(FunctionElement[int]):
    """1-based position of ``needle`` in ``haystack`` (0 if absent): strpos / instr."""

    type = Integer()
    inherit_cache = True


@compiles(_Position)
def _position_default(element: _Position, compiler: Any, **kw: Any) -> str:
    needle, haystack = list(element.clauses)
    return f"instr({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)})"


@compiles(_Position, "postgresql")
def _position_postgresql(element: _Position, compiler: Any, **kw: Any) -> str:
    needle, haystack = list(element.clauses)
    return f"strpos({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)})"


def totals(session: Session, path: str) -> dict[str, int]:
    """Every count summed over the systems (not archived) of the units under ``path``."""
    query = (
        select(func.count(InformationSystem.id).label("systems"), *_sums())
        .select_from(InformationSystem)
        .join(Unit, InformationSystem.unit_id == Unit.id)
        .outerjoin(SystemStats, SystemStats.system_id == InformationSystem.id)
        .where(_in_subtree(path), InformationSystem.archived.is_(False))
    )
    row = session.execute(query).one()._mapping
    return {key: int(value or 0) for key, value in row.items()}


def by_system(session: Session, path: str, limit: int = 15) -> list[dict[str, Any]]:
    """The systems holding most sensitive and minors' fields, with their counts."""
    query = (
        select(
            InformationSystem.id,
            InformationSystem.name,
            Unit.name.label("unit"),
            SystemStats.sensitive,
            SystemStats.minors,
            SystemStats.personal,
            SystemStats.sensitive_unreviewed,
        )
        .join(Unit, InformationSystem.unit_id == Unit.id)
        .join(SystemStats, SystemStats.system_id == InformationSystem.id)
        .where(_in_subtree(path), InformationSystem.archived.is_(False))
        .order_by(
            (SystemStats.sensitive + SystemStats.minors).desc(),
            SystemStats.personal.desc(),
            InformationSystem.id,
        )
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.execute(query).all()]


def charts(session: Session, path: str) -> dict[str, Any]:
    """A unit's posture: totals and chart specs (kind, title, data) for the console's ECharts."""
    total = totals(session, path)
    systems = by_system(session, path)
    specs: list[dict[str, Any]] = [
        {
            "id": "levels",
            "kind": "pie",
            "title": "数据项分级分布",
            "data": [
                {"name": LEVEL_LABELS[code], "value": total[column]}
                for code, column in LEVEL_COLUMNS.items()
            ],
        },
        {
            "id": "systems",
            "kind": "bar",
            "title": "各信息系统的敏感个人信息与未成年人个人信息数据项",
            "categories": [s["name"] for s in systems],
            "series": [
                {"name": "敏感个人信息", "data": [s["sensitive"] for s in systems]},
                {"name": "未成年人个人信息", "data": [s["minors"] for s in systems]},
            ],
            "links": [f"/catalog?system_id={s['id']}" for s in systems],
        },
        {
            "id": "review",
            "kind": "pie",
            "title": "分类分级审核进度",
            "data": [
                {"name": "已审核", "value": total["reviewed"]},
                {"name": "待审核", "value": total["pending"]},
                {"name": "待复核", "value": total["rereview"]},
            ],
        },
        {
            "id": "retention",
            "kind": "pie",
            "title": "含个人信息的数据集：存储期限",
            "data": [
                {
                    "name": "已设定",
                    "value": total["datasets_personal"] - total["datasets_no_retention"],
                },
                {"name": "未设定", "value": total["datasets_no_retention"]},
            ],
        },
    ]
    for section in SECTIONS:
        specs.extend(section(session, path))
    return {"totals": total, "systems": systems, "charts": specs}


def rollup(
    session: Session, scope: Scope, *, sort: str = "sensitive_unreviewed", limit: int = 500
) -> list[dict[str, Any]]:
    """The units directly below ``scope`` (a county: its schools), each summed over its own
    subtree, ranked by ``sort`` (most first); units without any catalog are listed too."""
    if sort not in SORTS:
        raise ValidationFailed("sort_invalid", f"排序字段须为：{'、'.join(SORTS)}")
    # One GROUP BY over the subtree's systems, by the path of the child whose subtree holds
    # each system's unit: the scope's path plus the next segment of the unit's path.
    prefix = len(scope.path)
    rest = func.substr(Unit.path, prefix + 1)
    child_path = func.substr(Unit.path, 1, prefix + _Position("/", rest))
    per_child = (
        select(
            child_path.label("child_path"),
            func.count(InformationSystem.id).label("systems"),
            func.count(SystemStats.system_id).label("catalogued"),
            *_sums(),
        )
        .select_from(InformationSystem)
        .join(Unit, InformationSystem.unit_id == Unit.id)
        .outerjoin(SystemStats, SystemStats.system_id == InformationSystem.id)
        .where(_in_subtree(scope.path), InformationSystem.archived.is_(False))
        .where(Unit.path != scope.path)  # the scope unit's own systems are in no child
        .group_by(child_path)
        .subquery("per_child")
    )
    child = aliased(Unit, name="child")
    parent = child.parent_id.is_(None) if scope.unit is None else child.parent_id == scope.unit.id
    counts = [
        func.coalesce(per_child.c[c], 0).label(c) for c in ("systems", "catalogued", *COUNT_COLUMNS)
    ]
    query = (
        select(child.id, child.name, child.kind, child.path, *counts)
        .select_from(child)
        .outerjoin(per_child, per_child.c.child_path == child.path)
        .where(parent, child.archived.is_(False))
        .order_by(func.coalesce(per_child.c[sort], 0).desc(), child.id)
        .limit(limit)
    )
    rows = []
    for row in session.execute(query).all():
        item = dict(row._mapping)
        item["kind"] = getattr(item["kind"], "value", item["kind"])
        item = {
            k: (int(v) if k in COUNT_COLUMNS or k in ("systems", "catalogued") else v)
            for k, v in item.items()
        }
        rows.append(item)
    paths = [r["path"] for r in rows]
    for key, _label, provide in RANK_COLUMNS:
        values = provide(session, paths)
        for r in rows:
            r[key] = values.get(r["path"])
    return rows


# ---------------------------------------------------------------- one data, one source


def duplicates(
    session: Session, scope: Scope, *, min_overlap: int = overlap.DEFAULT_MIN_OVERLAP
) -> list[dict[str, Any]]:
    """The same identifiers collected by several systems under ``scope``, largest overlap first,
    with system and unit names (never values)."""
    found = overlap.find_duplicates(
        session, systems=scoped_systems(scope.path), min_overlap=min_overlap
    )
    ids = {d.a.system_id for d in found} | {d.b.system_id for d in found}
    names: dict[int, tuple[str, str]] = {}
    if ids:
        query = (
            select(InformationSystem.id, InformationSystem.name, Unit.name)
            .join(Unit, InformationSystem.unit_id == Unit.id)
            .where(InformationSystem.id.in_(ids))
        )
        names = {i: (s, u) for i, s, u in session.execute(query).all()}

    def side(item: overlap.Side) -> dict[str, Any]:
        system, unit = names[item.system_id]
        return {
            "system_id": item.system_id,
            "system": system,
            "unit": unit,
            "dataset_id": item.dataset_id,
            "dataset": item.dataset,
            "field_id": item.field_id,
            "field": item.field,
            "distinct_values": item.distinct_values,
            "rows_read": item.rows_read,
        }

    return [
        {
            "pi_type": d.pi_type,
            "a": side(d.a),
            "b": side(d.b),
            "overlap": round(d.estimate.overlap),
            "overlap_low": round(d.estimate.low),
            "overlap_high": round(d.estimate.high),
            "jaccard": round(d.estimate.jaccard, 4),
            "jaccard_se": round(d.estimate.jaccard_se, 4),
            "containment": round(d.containment, 4),
            "exact": d.estimate.exact,
        }
        for d in found
    ]
