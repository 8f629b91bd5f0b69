"""The consent ledger counted per purpose (issue #18, part 9): what the compliance rules
(notice items 10, 11) read instead of yes/no facts, the dashboard's consent table and the
coverage API. The counting itself is ``consent.tally``; this module finds the purposes, their
systems' unit trees and their current material terms (processing register, via flows).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eduguard.consent import flows, tally, terms
from eduguard.consent.models import ConsentSubject
from eduguard.consent.schemas import CoverageRead
from eduguard.db.base import utcnow
from eduguard.orgs.models import InformationSystem, Unit
from eduguard.processing.models import LegalBasis, ProcessingPurpose, PurposeStatus

ALL = "/"
LedgerSummary = tally.Summary


def ledger_summary(
    session: Session, purpose_ids: Sequence[int], at: datetime | None = None
) -> dict[int, LedgerSummary]:
    """For the compliance rules (notice items 10, 11; PIPL Art. 14, 29, 31): the gate's answers
    for every subject of each *active consent-based* purpose of ``purpose_ids``, counted with
    one grouped read of the ledger (``consent.coverage``). Other purposes are left out: their
    legal basis, not a ledger, is the evidence."""
    moment = at or utcnow()
    if not purpose_ids:
        return {}
    purposes = session.scalars(
        select(ProcessingPurpose).where(
            ProcessingPurpose.id.in_(list(purpose_ids)),
            ProcessingPurpose.status == PurposeStatus.active,
            ProcessingPurpose.legal_basis == LegalBasis.consent,
        )
    ).all()
    wanted = []
    for purpose in purposes:
        if purpose.activated_at is not None and purpose.activated_at > moment:
            continue
        system = session.get(InformationSystem, purpose.system_id)
        assert system is not None
        current = terms.terms_hash(flows.current_terms(session, purpose))
        wanted.append(tally.Wanted(purpose.id, system.unit.path, current))
    return tally.summarise(session, wanted, moment)


class PurposeCoverage(NamedTuple):
    system_id: int
    system: str
    purpose: str
    summary: LedgerSummary


def coverage_overview(session: Session, scope: str, *, limit: int = 50) -> list[PurposeCoverage]:
    """The active consent-based purposes of the systems under ``scope`` with their ledger
    summaries — the dashboard's consent table; stale consents and tampered rows first."""
    rows = session.execute(
        select(
            ProcessingPurpose.id,
            ProcessingPurpose.name,
            InformationSystem.id,
            InformationSystem.name,
        )
        .join(InformationSystem, ProcessingPurpose.system_id == InformationSystem.id)
        .join(Unit, InformationSystem.unit_id == Unit.id)
        .where(
            Unit.path.startswith(scope, autoescape=True),
            InformationSystem.archived.is_(False),
            ProcessingPurpose.status == PurposeStatus.active,
            ProcessingPurpose.legal_basis == LegalBasis.consent,
        )
        .order_by(InformationSystem.name, ProcessingPurpose.id)
        .limit(limit)
    ).all()
    found = ledger_summary(session, [row[0] for row in rows])
    listed = [
        PurposeCoverage(system_id, system, name, found[pid])
        for pid, name, system_id, system in rows
        if pid in found
    ]
    return sorted(listed, key=lambda row: (-row.summary.tampered, -row.summary.needs_reconsent))


def coverage(session: Session, purpose_id: int, *, scope: str = ALL) -> CoverageRead:
    """Of the subjects of the purpose's units, how many the gate allows now, how many hold a
    consent that a material change made stale, refused, withdrew or have not decided."""
    purpose = flows.purpose_in_scope(session, purpose_id, scope)
    system = session.get(InformationSystem, purpose.system_id)
    assert system is not None
    found = ledger_summary(session, [purpose.id]).get(purpose.id)
    if found is None:  # not consent-based (the basis allows all) or not in force (none)
        subjects = session.scalar(
            select(func.count(ConsentSubject.id))
            .join(Unit, ConsentSubject.unit_id == Unit.id)
            .where(Unit.path.startswith(system.unit.path, autoescape=True))
        )
        total = int(subjects or 0)
        active = purpose.status == PurposeStatus.active and (
            purpose.activated_at is None or purpose.activated_at <= utcnow()
        )
        allowed = total if active and purpose.legal_basis != LegalBasis.consent else 0
        found = tally.Summary(purpose.id, total, allowed, 0, 0, 0, total - allowed, 0)
    return CoverageRead(
        purpose_id=purpose.id,
        purpose=purpose.name,
        legal_basis=purpose.legal_basis.value if purpose.legal_basis else None,
        subjects=found.subjects,
        valid=found.valid,
        needs_reconsent=found.needs_reconsent,
        refused=found.refused,
        withdrawn=found.withdrawn,
        undecided=found.undecided,
        tampered=found.tampered,
        share=found.share,
    )
