"""The consent ledger counted per purpose (issue #18, part 9): what the compliance rules
(notice items 10, 11) read instead of yes/no facts, the dashboard's consent table and the
coverage API. The counting itself is ``consent.tally``; this module finds the purposes, their
systems' unit trees and their current material terms (processing register, via flows).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eduguard.consent import flows, tallies, tally, terms
from eduguard.consent.models import ConsentSubject
from eduguard.consent.schemas import CoverageRead
from eduguard.db.base import utcnow
from eduguard.orgs.models import InformationSystem, Unit
from eduguard.processing.models import LegalBasis, ProcessingPurpose, PurposeStatus

ALL = "/"
LedgerSummary = tally.Summary


LIVE_LIMIT = 5_000  # subjects: a purpose with no current stored count is counted for the page


def _consent_purposes(
    session: Session, purpose_ids: Sequence[int] | None
) -> list[ProcessingPurpose]:
    query = select(ProcessingPurpose).where(
        ProcessingPurpose.status == PurposeStatus.active,
        ProcessingPurpose.legal_basis == LegalBasis.consent,
    )
    if purpose_ids is not None:
        query = query.where(ProcessingPurpose.id.in_(list(purpose_ids)))
    return list(session.scalars(query.order_by(ProcessingPurpose.id)).all())


def _wanted(
    session: Session, purposes: Sequence[ProcessingPurpose], moment: datetime
) -> list[tally.Wanted]:
    wanted = []
    for purpose in purposes:
        if purpose.activated_at is not None and purpose.activated_at > moment:
            continue
        system = session.get(InformationSystem, purpose.system_id)
        assert system is not None
        current = terms.terms_hash(flows.current_terms(session, purpose))
        wanted.append(tally.Wanted(purpose.id, system.unit.path, current))
    return wanted


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
    return tally.summarise(
        session, _wanted(session, _consent_purposes(session, purpose_ids), moment), moment
    )


def refresh(
    session: Session, at: datetime | None = None, *, everything: bool = False
) -> dict[int, LedgerSummary]:
    """Count the active consent-based purposes whose stored count is not current (all of them
    with ``everything``) and store the counts (``consent_tallies``) — the worker's
    ``consent.tally``. The marks are read before counting, so a row added meanwhile leaves the
    count not current and the next run counts again."""
    moment = at or utcnow()
    counted = tallies.marks(session)
    wanted = _wanted(session, _consent_purposes(session, None), moment)
    if not everything:
        stored = tallies.load(session, [w.purpose_id for w in wanted])
        wanted = [
            w
            for w in wanted
            if w.purpose_id not in stored
            or not stored[w.purpose_id].current(counted, w.terms_hash, moment)
        ]
    began = time.perf_counter()
    found = tally.summarise(session, wanted, moment)
    milliseconds = round((time.perf_counter() - began) * 1000)
    tallies.save(
        session, found, {w.purpose_id: w.terms_hash for w in wanted}, counted, moment, milliseconds
    )
    return found


class PurposeCoverage(NamedTuple):
    system_id: int
    system: str
    purpose: str
    summary: LedgerSummary | None  # None: too large to count for a page and not counted yet
    counted_at: datetime | None  # when the worker counted it; None: counted for this page
    current: bool  # False: rows were added (or an hour passed) since counted_at


def _subjects_under(session: Session, path: str) -> int:
    return int(
        session.scalar(
            select(func.count(ConsentSubject.id))
            .join(Unit, ConsentSubject.unit_id == Unit.id)
            .where(Unit.path.startswith(path, autoescape=True))
        )
        or 0
    )


def coverage_overview(session: Session, scope: str, *, limit: int = 50) -> list[PurposeCoverage]:
    """The active consent-based purposes of the systems under ``scope`` with their ledger
    summaries — the dashboard's consent table; stale consents and tampered rows first.

    A purpose's stored count (the worker's, :func:`refresh`) is shown with its time; where none
    is current, a purpose of at most :data:`LIVE_LIMIT` subjects is counted for the page and a
    larger one shows its last count marked as not current (or none yet)."""
    moment = utcnow()
    rows = session.execute(
        select(ProcessingPurpose, InformationSystem.id, InformationSystem.name)
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
    wanted = {w.purpose_id: w for w in _wanted(session, [row[0] for row in rows], moment)}
    stored = tallies.load(session, list(wanted))
    now_marks = tallies.marks(session)
    sizes: dict[str, int] = {}
    live = []
    for want in wanted.values():
        known = stored.get(want.purpose_id)
        if known is not None and known.current(now_marks, want.terms_hash, moment):
            continue
        if want.unit_path not in sizes:
            sizes[want.unit_path] = _subjects_under(session, want.unit_path)
        if sizes[want.unit_path] <= LIVE_LIMIT:
            live.append(want)
    counted = tally.summarise(session, live, moment)
    listed = []
    for purpose, system_id, system in rows:
        if purpose.id not in wanted:
            continue
        if purpose.id in counted:
            listed.append(
                PurposeCoverage(system_id, system, purpose.name, counted[purpose.id], None, True)
            )
        elif (known := stored.get(purpose.id)) is not None:
            current = known.current(now_marks, wanted[purpose.id].terms_hash, moment)
            listed.append(
                PurposeCoverage(
                    system_id, system, purpose.name, known.summary, known.counted_at, current
                )
            )
        else:
            listed.append(PurposeCoverage(system_id, system, purpose.name, None, None, False))
    return sorted(
        listed,
        key=lambda row: (
            -(row.summary.tampered if row.summary else 0),
            -(row.summary.needs_reconsent if row.summary else 0),
        ),
    )


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
