"""The per-purpose ledger summary (``consent.coverage.ledger_summary``, issue #18 part 9) counts
what the gate answers subject by subject — on a ledger holding every kind of history (own
grant, refusal, withdrawal, nothing; a guardian's grant under policy any and all, one guardian
missing, a refusal among guardians; a handover at 14; a material change; a decision after the
moment asked) — at several moments, on both databases. A changed row is counted as tampered."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from eduguard.consent import coverage, flows
from eduguard.consent.models import ConsentSubject
from eduguard.consent.service import LedgerTampered

from .conftest import T0, World

HOUR = timedelta(hours=1)
CODES = {"consent": "valid", "legal_basis": "valid", "material_change": "needs_reconsent"}


def _gate_counts(world: World, purpose: int, at: datetime) -> Counter[str]:
    """The gate asked for every subject of the school, its answers bucketed as the summary."""
    counts: Counter[str] = Counter()
    with world.session() as session:
        for subject in flows.list_subjects(session, scope="/", limit=10_000):
            answer = flows.can_process(session, subject, purpose, at, scope="/")
            code = CODES.get(answer.code, answer.code)
            if code in ("none", "pending", "handed_over"):
                code = "undecided"
            counts[code] += 1
    return counts


def _summary_counts(world: World, purpose: int, at: datetime) -> Counter[str]:
    with world.session() as session:
        found = coverage.ledger_summary(session, [purpose, world.statutory], at)
    assert world.statutory not in found  # a statutory basis is not a ledger's question
    summary = found[purpose]
    counts = Counter(
        valid=summary.valid,
        needs_reconsent=summary.needs_reconsent,
        refused=summary.refused,
        withdrawn=summary.withdrawn,
        undecided=summary.undecided,
    )
    assert sum(counts.values()) == summary.subjects
    return +counts  # drop the zeros, as the gate's counter has none


def _history(world: World) -> dict[str, int]:
    photos, after = world.photos, world.afterschool
    made: dict[str, int] = {}
    made["own_grant"] = world.subject("C-01")
    world.record(made["own_grant"], photos, "grant", T0)
    world.record(made["own_grant"], after, "grant", T0)
    made["own_refusal"] = world.subject("C-02")
    world.record(made["own_refusal"], photos, "refuse", T0)
    made["withdrew"] = world.subject("C-03")
    world.record(made["withdrew"], photos, "grant", T0)
    world.record(made["withdrew"], photos, "withdraw", T0 + 2 * HOUR)
    made["nothing"] = world.subject("C-04")
    made["later"] = world.subject("C-05")
    world.record(made["later"], photos, "grant", T0 + 5 * HOUR)  # after the first moment
    child = date(2018, 5, 1)
    made["child_any"] = world.subject("C-06", child)
    mother = world.guardian(made["child_any"], "G-06a")
    world.guardian(made["child_any"], "G-06b")
    world.record(made["child_any"], photos, "grant", T0, given_by="guardian", guardian_id=mother)
    for name, answers in (
        ("child_all_one", ("grant",)),
        ("child_all_both", ("grant", "grant")),
        ("child_all_refusal", ("grant", "refuse")),
    ):
        made[name] = world.subject(f"C-{name}", child, guardian_policy="all")
        ids = [world.guardian(made[name], f"G-{name}-{i}") for i in range(2)]
        for gid, action in zip(ids, answers, strict=False):
            world.record(made[name], photos, action, T0, given_by="guardian", guardian_id=gid)
    made["turns_14"] = world.subject("C-07", date(2012, 9, 3))  # 14 on 2026-09-03
    father = world.guardian(made["turns_14"], "G-07")
    world.record(made["turns_14"], photos, "grant", T0, given_by="guardian", guardian_id=father)
    world.record(made["turns_14"], after, "grant", T0, given_by="guardian", guardian_id=father)
    return made


def test_the_summary_counts_what_the_gate_answers(world: World) -> None:
    _history(world)
    moments = [T0 + HOUR, T0 + 3 * HOUR, datetime(2026, 9, 10, 2, 0, tzinfo=UTC)]
    for purpose in (world.photos, world.afterschool):
        for at in moments:
            assert _summary_counts(world, purpose, at) == _gate_counts(world, purpose, at), (
                purpose,
                at,
            )
    first = _summary_counts(world, world.photos, T0 + HOUR)
    # own grant, child (any), child (all, both), the child before 14 / refusal / withdrawn later
    assert first["valid"] == 5 and first["refused"] == 2
    late = _summary_counts(world, world.photos, moments[-1])
    assert late["valid"] == 4 and late["withdrawn"] == 1  # handed over at 14, C-05 decided

    # a material change: the afterschool grants become stale, as the gate says
    world.accounts.login(world.client, "owner1")
    changed = world.client.patch(
        f"/api/v1/processing/purposes/{world.afterschool}",
        json={"field_ids": [world.fields["xm"], world.fields["jkzk"]]},
    )
    assert changed.status_code == 200, changed.text
    stale = _summary_counts(world, world.afterschool, T0 + HOUR)
    assert stale == _gate_counts(world, world.afterschool, T0 + HOUR)
    assert stale["needs_reconsent"] == 2 and "valid" not in stale
    coverage = world.client.get(f"/api/v1/consent/purposes/{world.afterschool}/coverage")
    assert coverage.status_code == 200, coverage.text
    body = coverage.json()  # now: C-07 is 14, the guardian's stale grant handed over
    assert body["needs_reconsent"] == 1 and body["valid"] == 0 and body["tampered"] == 0
    statutory = world.client.get(f"/api/v1/consent/purposes/{world.statutory}/coverage").json()
    assert statutory["valid"] == statutory["subjects"] > 0  # the basis allows everyone

    # the dashboard's consent table: the stale purpose first, with its count; only for
    # accounts that may read consent records (an operator may only ask the gate)
    page = world.client.get("/dashboard", params={"unit": world.school})
    assert page.status_code == 200, page.text
    table = page.text.split('id="consent"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'data-purpose="(\d+)">(.*?)</tr>', table, re.S)
    assert [int(pid) for pid, _ in rows] == [world.afterschool, world.photos]
    cells = re.findall(r"<td>(.*?)</td>", rows[0][1], re.S)
    assert cells[2:5] == [str(body["subjects"]), "0", "<strong>1</strong>"]
    statutory_name = "学籍管理"
    assert statutory_name not in table  # not consent-based: no ledger row
    world.accounts.login(world.client, "operator1")
    assert 'id="consent"' not in world.client.get("/dashboard").text


def test_a_changed_row_is_counted_as_tampered(world: World) -> None:
    subject = world.subject("C-99")
    world.record(subject, world.photos, "grant", T0)
    with world.session() as session:
        before = coverage.ledger_summary(session, [world.photos], T0 + HOUR)[world.photos]
        session.execute(
            text("UPDATE consent_events SET recorded_by = 'someone' WHERE subject_id = :s"),
            {"s": subject},
        )
    with world.session() as session:
        after = coverage.ledger_summary(session, [world.photos], T0 + HOUR)[world.photos]
        assert after.tampered == before.tampered + 1
        row = session.get(ConsentSubject, subject)
        assert row is not None
        with pytest.raises(LedgerTampered):
            flows.can_process(session, row, world.photos, T0 + HOUR, scope="/")
