"""What the ledger says for a whole purpose at once (issue #18, part 9): of the subjects of the
units a purpose's system serves, how many the gate would allow now, how many hold a consent a
material change made stale, refused, withdrew or have not decided — and how many deciding rows no
longer hash to their stored hash.

The gate (:func:`eduguard.consent.flows.can_process`) folds one subject's events; doing that per
subject costs several queries each. Here the same fold (:func:`eduguard.consent.fold.effective`)
runs over the *latest* event of each (subject, who decided) pair, read for all purposes in one
grouped query, with the subjects and the active guardians of policy-``all`` subjects read once
per unit tree. The answers are the gate's: tests/consent/test_coverage.py compares both on a
ledger holding every kind of history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from eduguard.consent import fold, service
from eduguard.consent.models import (
    Action,
    ConsentEvent,
    ConsentGuardian,
    ConsentSubject,
    GuardianPolicy,
)
from eduguard.orgs.models import Unit


@dataclass(frozen=True)
class Wanted:
    """A consent-based purpose, the unit path of its system, its current material terms' hash."""

    purpose_id: int
    unit_path: str
    terms_hash: str


@dataclass(frozen=True)
class Summary:
    purpose_id: int
    subjects: int  # registered under the system's unit tree
    valid: int  # the gate allows now
    needs_reconsent: int  # granted, but to terms a material change has replaced
    refused: int
    withdrawn: int
    undecided: int  # nothing recorded, a guardian missing (policy all), or handed over at 14
    tampered: int  # deciding rows that no longer hash to their stored hash

    @property
    def decided(self) -> int:
        return self.valid + self.needs_reconsent + self.refused + self.withdrawn

    @property
    def share(self) -> float:
        return round(self.valid / self.subjects, 4) if self.subjects else 0.0


@dataclass
class _Subject:
    id: int
    reference: str
    fourteen_on: date | None
    all_guardians: bool


def _subjects(session: Session, path: str) -> list[_Subject]:
    rows = session.execute(
        select(
            ConsentSubject.id,
            ConsentSubject.reference,
            ConsentSubject.fourteen_on,
            ConsentSubject.guardian_policy,
        )
        .join(Unit, ConsentSubject.unit_id == Unit.id)
        .where(Unit.path.startswith(path, autoescape=True))
        .order_by(ConsentSubject.id)
    ).all()
    return [
        _Subject(sid, ref, fourteen, GuardianPolicy(policy) == GuardianPolicy.all)
        for sid, ref, fourteen, policy in rows
    ]


def _active_guardians(session: Session, path: str) -> dict[int, list[int]]:
    """Active guardians of the policy-``all`` subjects under ``path`` (the others need none)."""
    found: dict[int, list[int]] = defaultdict(list)
    for subject_id, guardian_id in session.execute(
        select(ConsentGuardian.subject_id, ConsentGuardian.id)
        .join(ConsentSubject, ConsentGuardian.subject_id == ConsentSubject.id)
        .join(Unit, ConsentSubject.unit_id == Unit.id)
        .where(
            ConsentGuardian.active.is_(True),
            ConsentSubject.guardian_policy == GuardianPolicy.all,
            Unit.path.startswith(path, autoescape=True),
        )
        .order_by(ConsentGuardian.id)
    ).all():
        found[subject_id].append(guardian_id)
    return found


def _latest(
    session: Session, purpose_ids: Sequence[int], at: datetime
) -> dict[tuple[int, int], list[Any]]:
    """(purpose, subject) → the latest non-handover row of each decider, up to ``at``."""
    last = (
        select(
            ConsentEvent.subject_id.label("subject_id"),
            func.max(ConsentEvent.seq).label("seq"),
        )
        .where(
            ConsentEvent.purpose_id.in_(list(purpose_ids)),
            ConsentEvent.at <= at,
            ConsentEvent.action != Action.handover,
        )
        .group_by(
            ConsentEvent.purpose_id,
            ConsentEvent.subject_id,
            ConsentEvent.given_by,
            ConsentEvent.guardian_id,
        )
        .subquery()
    )
    rows = session.execute(
        select(ConsentEvent.__table__).join(
            last,
            and_(ConsentEvent.subject_id == last.c.subject_id, ConsentEvent.seq == last.c.seq),
        )
    ).all()
    found: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in rows:
        found[(row.purpose_id, row.subject_id)].append(row)
    return found


def summarise(session: Session, wanted: Sequence[Wanted], at: datetime) -> dict[int, Summary]:
    """The gate's answer for every subject of every wanted purpose, counted."""
    if not wanted:
        return {}
    latest = _latest(session, [w.purpose_id for w in wanted], at)
    trees: dict[str, tuple[list[_Subject], dict[int, list[int]]]] = {}
    found: dict[int, Summary] = {}
    for want in wanted:
        if want.unit_path not in trees:
            trees[want.unit_path] = (
                _subjects(session, want.unit_path),
                _active_guardians(session, want.unit_path),
            )
        subjects, guardians = trees[want.unit_path]
        counts: dict[str, int] = defaultdict(int)
        for subject in subjects:
            events = latest.get((want.purpose_id, subject.id), [])
            state = fold.effective(
                events,
                at,
                child=service.under_fourteen(subject.fourteen_on, at),
                all_guardians=subject.all_guardians,
                guardian_ids=guardians.get(subject.id, ()),
            )
            deciding: Any = state.deciding  # a row of consent_events columns
            if deciding is not None and not service.entry_intact(subject.reference, deciding):
                counts["tampered"] += 1
            if state.granted:
                assert deciding is not None
                counts["valid" if deciding.terms_hash == want.terms_hash else "stale"] += 1
            else:
                counts[state.status] += 1
        found[want.purpose_id] = Summary(
            purpose_id=want.purpose_id,
            subjects=len(subjects),
            valid=counts["valid"],
            needs_reconsent=counts["stale"],
            refused=counts["refused"],
            withdrawn=counts["withdrawn"],
            undecided=counts["none"] + counts["pending"] + counts["handed_over"],
            tampered=counts["tampered"],
        )
    return found
