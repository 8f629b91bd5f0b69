"""Stored ledger counts (``consent_tallies``): the worker's ``consent.tally`` counts what
``ledger_summary`` counts and stores it; a count stays current until a subject, guardian or ledger
row is added, the terms change or an hour passes; the dashboard shows a current stored count with
its time, counts a small purpose for the page when none is current, and for a large one shows the
last count marked as not current, or says it has not been counted yet."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete

from eduguard.consent import coverage, jobs, tallies
from eduguard.consent.models import ConsentTally
from eduguard.db.base import utcnow
from eduguard.tasks.runner import TaskContext
from eduguard.worker.registry import handlers

from .conftest import T0, World

HOUR = timedelta(hours=1)


def _consent_rows(world: World) -> dict[int, str]:
    page = world.client.get("/dashboard", params={"unit": world.school})
    assert page.status_code == 200, page.text
    table = page.text.split('id="consent"', 1)[1].split("</table>", 1)[0]
    found = dict(re.findall(r'data-purpose="(\d+)">(.*?)</tr>', table, re.S))
    pending = re.findall(r"<tr><td><a [^>]*>[^<]*</a></td><td>([^<]*)</td>\s*<td colspan", table)
    return {int(k): v for k, v in found.items()} | {-1: "|".join(pending)}


def _valid_cell(row: str) -> str:
    return re.findall(r"<td>(.*?)</td>", row, re.S)[3]


def _forget_counts(world: World) -> None:
    """The world is the module's: start from no stored count."""
    with world.session() as session:
        session.execute(delete(ConsentTally))


def _valid_now(world: World) -> str:
    with world.session() as session:
        return str(coverage.ledger_summary(session, [world.photos])[world.photos].valid)


def test_refresh_stores_what_the_ledger_says_and_counts_again_only_when_needed(
    world: World,
) -> None:
    _forget_counts(world)
    first = world.subject("T-01")
    world.record(first, world.photos, "grant", T0)
    now = utcnow()
    with world.session() as session:
        counted = coverage.refresh(session, now)
        assert set(counted) == {world.photos, world.afterschool}  # consent-based only
        expected = coverage.ledger_summary(session, [world.photos], now)[world.photos]
        assert counted[world.photos] == expected and expected.valid >= 1
        stored = tallies.load(session, [world.photos, world.statutory])
        assert world.statutory not in stored  # statutory: the basis, not a ledger
        assert stored[world.photos].summary == expected
        assert coverage.refresh(session, now + timedelta(minutes=5)) == {}  # still current
        assert set(coverage.refresh(session, now + HOUR + timedelta(minutes=1))) == {
            world.photos,
            world.afterschool,
        }  # an hour old: counted again

    world.record(first, world.photos, "withdraw", T0 + HOUR)  # a new ledger row
    later = utcnow()
    with world.session() as session:
        again = coverage.refresh(session, later)
        assert again[world.photos].valid == expected.valid - 1
        assert again[world.photos].withdrawn == expected.withdrawn + 1
        assert tallies.load(session, [world.photos])[world.photos].summary == again[world.photos]
        assert coverage.refresh(session, later) == {}

    # a material change of the afterschool purpose: its stored count is no longer current
    world.accounts.login(world.client, "owner1")
    changed = world.client.patch(
        f"/api/v1/processing/purposes/{world.afterschool}",
        json={"field_ids": [world.fields["xm"], world.fields["jkzk"]]},
    )
    assert changed.status_code == 200, changed.text
    with world.session() as session:
        assert set(coverage.refresh(session)) == {world.afterschool}


def test_the_worker_task_counts_and_the_dashboard_reads_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert handlers()[jobs.TALLY_KIND].every_seconds == 10 * 60
    _forget_counts(world)
    for n in range(3):
        subject = world.subject(f"D-{n}")
        world.record(subject, world.photos, "grant", T0)
    world.accounts.login(world.client, "owner1")

    # small: counted for the page when nothing is stored
    valid = _valid_now(world)
    rows = _consent_rows(world)
    assert _valid_cell(rows[world.photos]) == valid and "刚刚" in rows[world.photos]

    # large (as if over the limit): not counted on the page; the worker's count is shown
    monkeypatch.setattr(coverage, "LIVE_LIMIT", 0)
    rows = _consent_rows(world)
    assert world.photos not in rows and "校园宣传照片" in rows[-1]
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    context = TaskContext(
        factory=factory,
        settings=world.settings,
        task_id=0,
        kind=jobs.TALLY_KIND,
        payload={},
        attempt=1,
        max_attempts=3,
    )
    handlers()[jobs.TALLY_KIND].run(context)
    rows = _consent_rows(world)
    assert _valid_cell(rows[world.photos]) == valid
    assert "刚刚" not in rows[world.photos] and "之后台账有新记录" not in rows[world.photos]

    # a new grant after the count: the stored count is shown, marked as not current
    world.record(world.subject("D-9"), world.photos, "grant", T0)
    rows = _consent_rows(world)
    assert _valid_cell(rows[world.photos]) == valid and "之后台账有新记录" in rows[world.photos]
    monkeypatch.setattr(coverage, "LIVE_LIMIT", 5_000)
    more = _consent_rows(world)[world.photos]  # small again: counted for the page
    assert _valid_cell(more) == _valid_now(world) == str(int(valid) + 1) and "刚刚" in more
