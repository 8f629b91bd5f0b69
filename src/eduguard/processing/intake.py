"""Into the register from outside: what an approved collection review (``collection``) writes
into a purpose — the catalog fields it links and the planned items it adds — and the rules
published again when the purpose is in force; the expected catalog (planned items not yet
found by a scan) and their collection when a scan finds them (``processing.jobs``). Like
``processing.flows``, it reads other domains (orgs, the catalog, the audit log).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.audit import service as audit_service
from eduguard.catalog import names as catalog_names
from eduguard.catalog.models import Dataset, Field
from eduguard.catalog.stats import effective_types
from eduguard.db.base import utcnow
from eduguard.errors import ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.processing import flows, service
from eduguard.processing.models import Audience, PlannedItem, ProcessingPurpose, PurposeStatus
from eduguard.processing.schemas import ExpectedItemRead, PlannedItemIn


@dataclass(frozen=True)
class CollectionWrite:
    """What an approved collection review wrote into a purpose (see :func:`write_collection`)."""

    purpose_id: int
    linked: tuple[int, ...]  # catalog fields newly linked
    planned: tuple[str, ...]  # planned items added or changed
    published: tuple[tuple[str, int], ...]  # (audience, number) of each new rules version


def write_collection(
    session: Session,
    purpose_id: int,
    *,
    field_ids: Sequence[int],
    items: Sequence[PlannedItemIn],
    origin: str,
    by: str,
) -> CollectionWrite:
    """An approved collection review's fields into a purpose of the register: the catalog
    fields the system holds already are linked, the others added as planned items; when the
    purpose is active and the system's rules are published, the rules are published again (a
    new version, linted like any other; a refusal refuses the whole write). Whether that change
    is material for consent is the consent domain's question (``consent.terms``). The caller's
    transaction; audited."""
    purpose = service.get_purpose(session, purpose_id)
    system = orgs_service.get_system(session, purpose.system_id)
    service.writable(purpose)
    flows.system_fields(session, system, field_ids)
    linked = service.add_fields(session, purpose, field_ids)
    planned = service.add_planned(session, purpose, items, origin=origin)
    if not linked and not planned:
        return CollectionWrite(purpose.id, (), (), ())
    audit_service.record(
        session,
        action="processing.purpose.collection",
        object_type=flows.OBJECT_TYPE,
        object_id=purpose.id,
        fields=("field_ids", "planned"),
        row_count=len(linked) + len(planned),
        reason=f"数据收集审核（{origin}）通过：关联目录数据项 {len(linked)} 个，"
        f"登记计划收集的数据项 {len(planned)} 个"[:1000],
    )
    published: tuple[tuple[str, int], ...] = ()
    in_force = service.current_version(session, system.id, Audience.general) is not None
    if purpose.status == PurposeStatus.active and in_force:
        try:
            versions = flows.publish(session, system.id, scope="/", by=by)
        except ValidationFailed as error:
            if error.code != "rules_unchanged":
                raise
            versions = []
        published = tuple((Audience(v.audience).value, v.number) for v in versions)
    return CollectionWrite(purpose.id, tuple(linked), tuple(planned), published)


# ---------------------------------------------------------------- the expected catalog

MAX_CATALOG = 20_000  # present personal catalog fields of a system compared at once
EXPECTED_ZH = "经采集审核批准，待收集"
COLLECTED_ZH = "已收集（扫描已发现）"
_ORIGIN = re.compile(r"^collection_plan:(\d{1,10})$")


def plan_of(origin: str) -> int | None:
    """The collection plan an item came from (``collection_plan:12`` → 12)."""
    match = _ORIGIN.match(origin)
    return int(match[1]) if match else None


def expected_items(
    session: Session, system_id: int, *, state: str = "expected", limit: int = 1000
) -> list[ExpectedItemRead]:
    """The system's expected catalog: planned items of its purposes (retired ones left out),
    ``expected`` (not found by a scan yet), ``collected`` or ``all``."""
    query = (
        select(PlannedItem, ProcessingPurpose)
        .join(ProcessingPurpose, PlannedItem.purpose_id == ProcessingPurpose.id)
        .where(
            ProcessingPurpose.system_id == system_id,
            ProcessingPurpose.status != PurposeStatus.retired,
        )
        .order_by(PlannedItem.id)
        .limit(limit)
    )
    if state == "expected":
        query = query.where(PlannedItem.field_id.is_(None))
    elif state == "collected":
        query = query.where(PlannedItem.field_id.is_not(None))
    return [
        ExpectedItemRead(
            id=item.id,
            system_id=purpose.system_id,
            purpose_id=purpose.id,
            purpose=purpose.name,
            group=item.group,
            name=item.name,
            label=item.label,
            pi_types=item.types,
            sensitive=item.sensitive,
            minors=item.minors,
            origin=item.origin,
            plan_id=plan_of(item.origin),
            state="expected" if item.field_id is None else "collected",
            status_label=EXPECTED_ZH if item.field_id is None else COLLECTED_ZH,
            field_id=item.field_id,
            collected_at=item.collected_at,
        )
        for item, purpose in session.execute(query).all()
    ]


def collect(session: Session, system_id: int) -> list[tuple[int, int]]:
    """Planned items of the system that its catalog now holds: each is linked to the catalog
    field(s) found — the same item when a name or the label of the item equals the field's name
    or comment (``catalog.names``, the rule the collection review's drift uses) and the field
    has no personal information type the review did not approve — and marked collected, so it
    is no longer expected. The fields join the purpose (the rules state them from the catalog
    from the next publication on). Audited per purpose; (item id, field id) of each collected."""
    pending = [
        (purpose, item)
        for purpose in service.list_purposes(session, system_id)
        if purpose.status != PurposeStatus.retired
        for item in purpose.planned
        if item.field_id is None
    ]
    if not pending:
        return []
    catalog = session.scalars(
        select(Field)
        .join(Dataset, Field.dataset_id == Dataset.id)
        .where(
            Dataset.system_id == system_id,
            Dataset.present.is_(True),
            Field.present.is_(True),
            effective_types() != "",
        )
        .order_by(Field.id)
        .limit(MAX_CATALOG)
    ).all()
    found: list[tuple[int, int]] = []
    by_purpose: dict[int, tuple[ProcessingPurpose, list[int], list[str]]] = {}
    now = utcnow()
    for purpose, item in pending:
        allowed = set(item.types)
        matches = [
            f
            for f in catalog
            if catalog_names.same_item([item.name, item.label], [f.name, f.comment])
            and set(f.pi_types) <= allowed
        ]
        if not matches:
            continue
        item.field_id, item.collected_at = matches[0].id, now
        found.append((item.id, matches[0].id))
        entry = by_purpose.setdefault(purpose.id, (purpose, [], []))
        entry[1].extend(f.id for f in matches)
        entry[2].append(f"{item.name}→{matches[0].dataset.name}.{matches[0].name}")
    for purpose, field_ids, names in by_purpose.values():
        linked = service.add_fields(session, purpose, field_ids)
        audit_service.record(
            session,
            action="processing.purpose.collected",
            object_type=flows.OBJECT_TYPE,
            object_id=purpose.id,
            fields=("planned", "field_ids"),
            row_count=len(names),
            reason=(
                f"扫描发现经采集审核批准的数据项 {len(names)} 个，已关联数据资源目录字段"
                f"（新关联 {len(linked)} 个）：" + "、".join(names)
            )[:1000],
        )
    session.flush()
    return found
