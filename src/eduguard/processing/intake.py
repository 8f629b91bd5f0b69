"""Into the register from outside: what an approved collection review (``collection``) writes
into a purpose — the catalog fields it links and the planned items it adds — and the rules
published again when the purpose is in force. Like ``processing.flows``, it reads other domains
(orgs, the audit log).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from eduguard.audit import service as audit_service
from eduguard.errors import ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.processing import flows, service
from eduguard.processing.models import Audience, PurposeStatus
from eduguard.processing.schemas import PlannedItemIn


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
