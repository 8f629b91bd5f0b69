"""Drift (issue #19 part 4): personal fields in a system's catalog that no approved collection
review covers — 未经采集审核的数据项 — each with the scan that found it.

Computed when read, from what the catalog holds now (after its last scan) and the system's
approved fields: approving a review that covers a field makes its finding disappear, a scan
that adds a field makes one appear; nothing is stored. Like ``collection.flows`` this module
reads another domain (the catalog's fields, versions, changes and scan runs).

A catalog field is covered when an approved field of the same system has its name or its
comment as name or label (compared without case, spaces and separators: ``xs_sfzjh`` with the
comment 身份证号 is covered by an approved 身份证号) and allows every personal information type
the catalog gives it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from eduguard.catalog.models import (
    CatalogChange,
    CatalogVersion,
    ChangeKind,
    Dataset,
    Field,
    ScanRun,
)
from eduguard.catalog.stats import effective_types
from eduguard.collection import service
from eduguard.collection.models import ApprovedField

FINDING = "未经采集审核的数据项"
FINDING_EN = "Data items no collection review approved"
MAX_FIELDS = 20_000  # personal catalog fields read per query (keyset pages: all are read)


@dataclass(frozen=True)
class Uncovered:
    """One personal catalog field no approved collection covers, and the scan that found it."""

    system_id: int
    field_id: int
    dataset: str
    name: str
    comment: str | None
    pi_types: list[str]
    level: str
    sensitive: bool
    reason: str
    run_id: int | None  # the scan that found the field (None: applied without a run)
    version: int | None  # the catalog version that scan made
    found_at: datetime | None
    later_scan: bool = False  # added by a scan after its source's first (a new collection)


@dataclass
class Drift:
    """A system's drift: the uncovered fields, and how many personal fields were compared."""

    personal: int = 0
    uncovered: list[Uncovered] = field(default_factory=list)
    approved: int = 0  # approved fields of the system (a collection review was decided)


def _found_in(session: Session, system_ids: Sequence[int]) -> dict[tuple[int, str, str], int]:
    """(system, dataset, field) → the catalog version whose scan added it (the last time)."""
    rows = session.execute(
        select(
            CatalogChange.system_id,
            CatalogChange.dataset_name,
            CatalogChange.field_name,
            func.max(CatalogChange.version_id),
        )
        .where(
            CatalogChange.system_id.in_(system_ids),
            CatalogChange.kind == ChangeKind.field_added,
        )
        .group_by(CatalogChange.system_id, CatalogChange.dataset_name, CatalogChange.field_name)
    ).all()
    return {(s, d, f or ""): v for s, d, f, v in rows}


def _first_versions(session: Session, source_ids: set[int]) -> dict[int, int]:
    """Source → its first catalog version (fields read then were found by that scan)."""
    if not source_ids:
        return {}
    rows = session.execute(
        select(CatalogVersion.source_id, func.min(CatalogVersion.id))
        .where(CatalogVersion.source_id.in_(sorted(source_ids)))
        .group_by(CatalogVersion.source_id)
    ).all()
    return {int(source): int(version) for source, version in rows if version is not None}


def _personal_fields(session: Session, ids: Sequence[int]) -> Iterator[tuple[Field, int, str, int]]:
    """The present personal catalog fields of the systems, every one of them: read by keyset
    (system, field id) in pages of :data:`MAX_FIELDS`, so a system past the first page is
    compared like the others (compliance asks for every system in scope at once)."""
    last_system, last_field = 0, 0
    while True:
        page = session.execute(
            select(Field, Dataset.system_id, Dataset.name, Dataset.source_id)
            .join(Dataset, Field.dataset_id == Dataset.id)
            .where(
                Dataset.system_id.in_(ids),
                Dataset.present.is_(True),
                Field.present.is_(True),
                effective_types() != "",
                or_(
                    Dataset.system_id > last_system,
                    and_(Dataset.system_id == last_system, Field.id > last_field),
                ),
            )
            .order_by(Dataset.system_id, Field.id)
            .limit(MAX_FIELDS)
        ).all()
        for catalog_field, system_id, dataset, source_id in page:
            yield catalog_field, system_id, dataset, source_id
            last_system, last_field = system_id, catalog_field.id
        if len(page) < MAX_FIELDS:
            return


def drift(session: Session, system_ids: Sequence[int]) -> dict[int, Drift]:
    """The drift of each of ``system_ids`` (every id has an entry, empty when all is covered)."""
    ids = sorted(set(system_ids))
    out = {system_id: Drift() for system_id in ids}
    if not ids:
        return out
    fields = _personal_fields(session, ids)
    approved: dict[int, list[ApprovedField]] = defaultdict(list)
    for item in session.scalars(select(ApprovedField).where(ApprovedField.system_id.in_(ids))):
        approved[item.system_id].append(item)
    for system_id, items in approved.items():
        out[system_id].approved = len(items)
    missing = []
    for catalog_field, system_id, dataset, source_id in fields:
        types = catalog_field.pi_types
        if not types:
            continue
        out[system_id].personal += 1
        reason = service.uncovered_reason(
            approved[system_id], [catalog_field.name, catalog_field.comment], types
        )
        if reason is not None:
            missing.append((catalog_field, system_id, dataset, source_id, types, reason))
    if not missing:
        return out
    added = _found_in(session, ids)
    first = _first_versions(session, {row[3] for row in missing})
    versions: dict[int, int] = {}
    for catalog_field, system_id, dataset, source_id, _types, _reason in missing:
        version = added.get((system_id, dataset, catalog_field.name)) or first.get(source_id)
        if version is not None:
            versions[catalog_field.id] = version
    runs = {
        run.version_id: run
        for run in session.scalars(
            select(ScanRun).where(ScanRun.version_id.in_(sorted(set(versions.values()))))
        )
    }
    numbers = dict(
        session.execute(
            select(CatalogVersion.id, CatalogVersion.number).where(
                CatalogVersion.id.in_(sorted(set(versions.values())))
            )
        ).all()
    )
    for catalog_field, system_id, dataset, source_id, types, reason in missing:
        version_id = versions.get(catalog_field.id)
        run = runs.get(version_id) if version_id is not None else None
        out[system_id].uncovered.append(
            Uncovered(
                system_id=system_id,
                field_id=catalog_field.id,
                dataset=dataset,
                name=catalog_field.name,
                comment=catalog_field.comment,
                pi_types=types,
                level=catalog_field.level,
                sensitive=catalog_field.sensitive,
                reason=reason,
                run_id=run.id if run else None,
                version=numbers.get(version_id) if version_id is not None else None,
                found_at=(run.finished_at or run.requested_at) if run else None,
                later_scan=version_id is not None and version_id != first.get(source_id),
            )
        )
    for found in out.values():  # shown by dataset, then in the order the scan added them
        found.uncovered.sort(key=lambda u: (u.dataset, u.field_id))
    return out


def unreviewed(found: Drift) -> list[Uncovered]:
    """The drift the compliance rule raises (notice item 4: 已建信息系统新增、调整数据收集活动也应
    履行审核程序): once a system's collection has been reviewed, every uncovered field; before,
    only fields a later scan added (the first catalog records what was collected before)."""
    if found.approved:
        return list(found.uncovered)
    return [u for u in found.uncovered if u.later_scan]


def uncovered(session: Session, system_id: int) -> list[Uncovered]:
    """The personal catalog fields of ``system_id`` no approved collection covers."""
    return drift(session, [system_id])[system_id].uncovered
