"""The effective consent state: a fold of the ledger up to a moment.

Only events at or before ``at`` count, so a withdrawal (or any later decision) never changes the
answer for an earlier moment — withdrawal is never retroactive, and takes effect from the next
check after it. Whose decisions count depends on the subject at ``at``:

* under 14: the guardians' (policy ``any``: the latest decision of any guardian; ``all``: every
  registered guardian's latest decision must be a grant, and one refusal or withdrawal denies);
* 14 or older (or no birth date): the person's own — a guardian's grant given while the child
  was under 14 no longer counts (``handed_over``), the guardian's history stays in the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

GRANT, REFUSE, WITHDRAW, HANDOVER = "grant", "refuse", "withdraw", "handover"
SUBJECT, GUARDIAN = "subject", "guardian"


class EventLike(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def given_by(self) -> str: ...
    @property
    def guardian_id(self) -> int | None: ...
    @property
    def at(self) -> datetime: ...


@dataclass(frozen=True)
class Effective:
    """``status``: granted | refused | withdrawn | none | pending (some guardians have not
    decided, policy ``all``) | handed_over (only a guardian's decision from before 14)."""

    status: str
    deciding: EventLike | None
    by_guardian: bool

    @property
    def granted(self) -> bool:
        return self.status == "granted"


_STATUS = {GRANT: "granted", REFUSE: "refused", WITHDRAW: "withdrawn"}


def _latest(events: Iterable[EventLike], at: datetime) -> dict[tuple[str, int | None], EventLike]:
    latest: dict[tuple[str, int | None], EventLike] = {}
    for event in events:
        if event.at > at or str(event.action) == HANDOVER:
            continue
        key = (str(event.given_by), event.guardian_id)
        held = latest.get(key)
        if held is None or event.seq > held.seq:
            latest[key] = event
    return latest


def effective(
    events: Iterable[EventLike],
    at: datetime,
    *,
    child: bool,
    all_guardians: bool = False,
    guardian_ids: Sequence[int] = (),
) -> Effective:
    """The state of one subject's one purpose at ``at`` from its ledger events."""
    latest = _latest(events, at)
    if not child:
        own = latest.get((SUBJECT, None))
        if own is not None:
            return Effective(_STATUS[str(own.action)], own, False)
        if any(key[0] == GUARDIAN for key in latest):
            last = max((e for k, e in latest.items() if k[0] == GUARDIAN), key=lambda e: e.seq)
            return Effective("handed_over", last, True)
        return Effective("none", None, False)
    by_guardians = {key[1]: e for key, e in latest.items() if key[0] == GUARDIAN}
    if not by_guardians:
        return Effective("none", None, True)
    if not all_guardians:
        last = max(by_guardians.values(), key=lambda e: e.seq)
        return Effective(_STATUS[str(last.action)], last, True)
    against = [e for e in by_guardians.values() if str(e.action) != GRANT]
    if against:
        last = max(against, key=lambda e: e.seq)
        return Effective(_STATUS[str(last.action)], last, True)
    if any(gid not in by_guardians for gid in guardian_ids):
        return Effective("pending", max(by_guardians.values(), key=lambda e: e.seq), True)
    return Effective("granted", max(by_guardians.values(), key=lambda e: e.seq), True)
