"""Property tests (hypothesis) of the fold that gives the effective consent state: it equals a
plain replay of the ledger, and no later event — above all a withdrawal — changes the answer
for an earlier moment (withdrawal is never retroactive)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from eduguard.consent import fold

T0 = datetime(2026, 9, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Ev:
    seq: int
    action: str
    given_by: str
    guardian_id: int | None
    at: datetime


step = st.tuples(
    st.sampled_from(["grant", "refuse", "withdraw", "handover"]),
    st.sampled_from([("subject", None), ("guardian", 1), ("guardian", 2)]),
    st.integers(min_value=0, max_value=3),  # minutes after the previous event (0: same time)
)


def ledger(steps: list[tuple[str, tuple[str, int | None], int]]) -> list[Ev]:
    out, at = [], T0
    for seq, (action, (by, guardian), gap) in enumerate(steps, start=1):
        at += timedelta(minutes=gap)
        out.append(Ev(seq, action, by, guardian, at))
    return out


def replay(events: list[Ev], at: datetime, child: bool) -> str:
    """The specification, written the slow obvious way."""
    status = "none"
    seen_guardian = False
    for event in events:
        if event.at > at or event.action == "handover":
            continue
        if child and event.given_by == "guardian":
            status = {"grant": "granted", "refuse": "refused", "withdraw": "withdrawn"}[
                event.action
            ]
        if not child:
            if event.given_by == "subject":
                status = {"grant": "granted", "refuse": "refused", "withdraw": "withdrawn"}[
                    event.action
                ]
            else:
                seen_guardian = True
    if not child and status == "none" and seen_guardian:
        return "handed_over"
    return status


@settings(max_examples=300, deadline=None)
@given(st.lists(step, max_size=12), st.integers(min_value=-1, max_value=40), st.booleans())
def test_fold_is_the_replay_of_the_ledger(steps, minute, child) -> None:  # type: ignore[no-untyped-def]
    events = ledger(steps)
    at = T0 + timedelta(minutes=minute)
    got = fold.effective(events, at, child=child)
    assert got.status == replay(events, at, child)
    assert got.granted is (got.status == "granted")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(step, max_size=10),
    st.lists(step, min_size=1, max_size=5),
    st.booleans(),
)
def test_later_events_never_change_an_earlier_answer(prefix, later, child) -> None:  # type: ignore[no-untyped-def]
    before = ledger(prefix)
    last = before[-1].at if before else T0
    # the later events (a withdrawal among them, by construction) come strictly after `last`
    later = [("withdraw", by, gap) for _action, by, gap in later[:1]] + later[1:]
    extra = ledger(
        [*prefix, *[(a, b, g + 1) if i == 0 else (a, b, g) for i, (a, b, g) in enumerate(later)]]
    )
    for minute in range(-1, int((last - T0).total_seconds() // 60) + 1):
        at = T0 + timedelta(minutes=minute)
        assert fold.effective(before, at, child=child) == fold.effective(extra, at, child=child)


def test_all_guardians_policy() -> None:
    one = Ev(1, "grant", "guardian", 1, T0)
    two = Ev(2, "grant", "guardian", 2, T0 + timedelta(minutes=1))
    later = T0 + timedelta(hours=1)
    assert (
        fold.effective([one], later, child=True, all_guardians=True, guardian_ids=[1, 2]).status
        == "pending"
    )
    assert fold.effective(
        [one, two], later, child=True, all_guardians=True, guardian_ids=[1, 2]
    ).granted
    back = Ev(3, "withdraw", "guardian", 1, T0 + timedelta(minutes=2))
    assert (
        fold.effective(
            [one, two, back], later, child=True, all_guardians=True, guardian_ids=[1, 2]
        ).status
        == "withdrawn"
    )
    # "any": the latest decision of any guardian
    assert fold.effective([one, two, back], later, child=True).status == "withdrawn"
    assert fold.effective([one, two, back], T0 + timedelta(minutes=1), child=True).granted
