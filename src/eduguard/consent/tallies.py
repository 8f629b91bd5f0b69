"""Stored counts of the ledger per consent-based purpose (``consent_tallies``).

Counting a purpose (``consent.tally``) folds the latest ledger row of every subject and checks its
hash: seconds for a county's tens of thousands of subjects (bench/consent.py). The worker counts
every few minutes (``consent.jobs``) and the dashboard reads the stored count with the moment it
was made; a count is *current* while no subject, guardian or ledger row has been added since, the
purpose's terms are the same and it is younger than :data:`MAX_AGE` (a birthday or a guardian
marked inactive changes answers without a new row).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from eduguard.consent.models import ConsentEvent, ConsentGuardian, ConsentSubject, ConsentTally
from eduguard.consent.tally import Summary

MAX_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class Marks:
    """The newest subject, guardian and ledger ids: the ledger grows only by new rows."""

    subjects: int
    guardians: int
    events: int


@dataclass(frozen=True)
class Stored:
    summary: Summary
    counted_at: datetime
    terms_hash: str
    marks: Marks
    milliseconds: int

    def current(self, marks: Marks, terms_hash: str, now: datetime) -> bool:
        return (
            self.marks == marks
            and self.terms_hash == terms_hash
            and now - self.counted_at < MAX_AGE
        )


def marks(session: Session) -> Marks:
    def newest(column: object) -> int:
        return int(session.scalar(select(func.coalesce(func.max(column), 0))) or 0)

    return Marks(newest(ConsentSubject.id), newest(ConsentGuardian.id), newest(ConsentEvent.id))


def load(session: Session, purpose_ids: Collection[int]) -> dict[int, Stored]:
    if not purpose_ids:
        return {}
    rows = session.scalars(
        select(ConsentTally).where(ConsentTally.purpose_id.in_(list(purpose_ids)))
    ).all()
    return {
        row.purpose_id: Stored(
            summary=Summary(
                purpose_id=row.purpose_id,
                subjects=row.subjects,
                valid=row.valid,
                needs_reconsent=row.needs_reconsent,
                refused=row.refused,
                withdrawn=row.withdrawn,
                undecided=row.undecided,
                tampered=row.tampered,
            ),
            counted_at=row.counted_at,
            terms_hash=row.terms_hash,
            marks=Marks(row.subjects_mark, row.guardians_mark, row.events_mark),
            milliseconds=row.milliseconds,
        )
        for row in rows
    }


def save(
    session: Session,
    summaries: Mapping[int, Summary],
    terms: Mapping[int, str],
    counted: Marks,
    at: datetime,
    milliseconds: int,
) -> None:
    """Replace the stored counts of these purposes (in the caller's transaction)."""
    if not summaries:
        return
    session.execute(delete(ConsentTally).where(ConsentTally.purpose_id.in_(list(summaries))))
    for purpose_id, summary in summaries.items():
        session.add(
            ConsentTally(
                purpose_id=purpose_id,
                counted_at=at,
                terms_hash=terms[purpose_id],
                subjects_mark=counted.subjects,
                guardians_mark=counted.guardians,
                events_mark=counted.events,
                milliseconds=milliseconds,
                subjects=summary.subjects,
                valid=summary.valid,
                needs_reconsent=summary.needs_reconsent,
                refused=summary.refused,
                withdrawn=summary.withdrawn,
                undecided=summary.undecided,
                tampered=summary.tampered,
            )
        )
    session.flush()
