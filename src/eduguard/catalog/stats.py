"""Per-system catalog counts (``catalog_system_stats``), refreshed by one SQL statement pair.

Every change to a system's catalog (a scan applied, a review, a retention period) calls
:func:`refresh` for that system: its row is deleted and inserted again from a GROUP BY over the
system's present fields, so the row always equals what the fields say. The dashboard then sums
these rows over a unit's subtree (10,000 systems) instead of scanning millions of fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    distinct,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from eduguard.catalog.models import Dataset, Field, ReviewStatus, SystemStats
from eduguard.db.base import utcnow

LEVEL_COLUMNS = {
    "core": "level_core",
    "important": "level_important",
    "general-4": "level_general_4",
    "general-3": "level_general_3",
    "general-2": "level_general_2",
    "general-1": "level_general_1",
}
COUNT_COLUMNS = (
    "datasets",
    "datasets_personal",
    "datasets_no_retention",
    "fields",
    "personal",
    "sensitive",
    "minors",
    "pending",
    "rereview",
    "reviewed",
    "sensitive_unreviewed",
    *LEVEL_COLUMNS.values(),
)

_REVIEWED = Field.review_status != ReviewStatus.proposed


def effective_types() -> ColumnElement[Any]:
    """SQL for :attr:`Field.pi_types` as stored text (the reviewed answer once there is one)."""
    return case(
        (and_(_REVIEWED, Field.reviewed_pi_types.is_not(None)), Field.reviewed_pi_types),
        else_=Field.proposed_pi_types,
    )


def effective_level() -> ColumnElement[Any]:
    """SQL for :attr:`Field.level`."""
    return case(
        (and_(_REVIEWED, Field.reviewed_level.is_not(None)), Field.reviewed_level),
        else_=Field.proposed_level,
    )


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _stats_select(system_ids: list[int]) -> Any:
    personal = effective_types() != ""
    level = effective_level()
    unreviewed = Field.review_status.in_([ReviewStatus.proposed, ReviewStatus.rereview])
    no_retention = or_(Dataset.retention_period.is_(None), Dataset.retention_period == "")
    fields = (
        select(
            Dataset.system_id.label("system_id"),
            func.count(Field.id).label("fields"),
            func.count(distinct(case((personal, Field.dataset_id)))).label("datasets_personal"),
            func.count(distinct(case((and_(personal, no_retention), Field.dataset_id)))).label(
                "datasets_no_retention"
            ),
            _count_if(personal).label("personal"),
            _count_if(Field.sensitive.is_(True)).label("sensitive"),
            _count_if(Field.minors.is_(True)).label("minors"),
            _count_if(Field.review_status == ReviewStatus.proposed).label("pending"),
            _count_if(Field.review_status == ReviewStatus.rereview).label("rereview"),
            _count_if(
                Field.review_status.in_([ReviewStatus.confirmed, ReviewStatus.corrected])
            ).label("reviewed"),
            _count_if(and_(Field.sensitive.is_(True), unreviewed)).label("sensitive_unreviewed"),
            *[_count_if(level == code).label(column) for code, column in LEVEL_COLUMNS.items()],
        )
        .join(Dataset, Field.dataset_id == Dataset.id)
        .where(Field.present.is_(True), Dataset.present.is_(True))
        .where(Dataset.system_id.in_(system_ids))
        .group_by(Dataset.system_id)
        .subquery("f")
    )
    datasets = (
        select(Dataset.system_id.label("system_id"), func.count(Dataset.id).label("datasets"))
        .where(Dataset.present.is_(True), Dataset.system_id.in_(system_ids))
        .group_by(Dataset.system_id)
        .subquery("d")
    )
    counted = [c for c in COUNT_COLUMNS if c != "datasets"]
    return select(
        datasets.c.system_id,
        datasets.c.datasets,
        *[func.coalesce(fields.c[c], 0).label(c) for c in counted],
        literal(utcnow(), SystemStats.__table__.c.updated_at.type).label("updated_at"),
    ).select_from(datasets.outerjoin(fields, fields.c.system_id == datasets.c.system_id))


def refresh(session: Session, system_ids: Iterable[int]) -> None:
    """Recompute the counts of ``system_ids`` from their fields (a system without present
    datasets has no row)."""
    ids = sorted(set(system_ids))
    if not ids:
        return
    session.flush()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(SystemStats).where(SystemStats.system_id.in_(chunk)))
        columns = ["system_id", "datasets", *[c for c in COUNT_COLUMNS if c != "datasets"]]
        session.execute(
            insert(SystemStats).from_select([*columns, "updated_at"], _stats_select(chunk))
        )


def refresh_all(session: Session) -> int:
    """Recompute every system's counts (after a bulk load, or to repair); returns systems."""
    ids = list(session.scalars(select(Dataset.system_id).distinct()).all())
    session.execute(delete(SystemStats))
    refresh(session, ids)
    return len(ids)
