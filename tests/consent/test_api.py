"""The consent API, console pages and CLI on both databases: a school's system asks the gate
with an API token scoped to ``consent:check``; a material change denies until re-consent; the
receipts are ISO/IEC TS 27560-style JSON; ``eduguard consent check --json``."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from eduguard.cli.main import app
from eduguard.config import get_settings
from eduguard.consent import collect
from eduguard.db.base import utcnow
from eduguard.errors import EduguardError

from .conftest import T0, World

HOUR = timedelta(hours=1)


def test_school_system_asks_the_gate_with_a_scoped_token(world: World) -> None:
    client = world.client
    world.accounts.login(client, "owner1")
    made = client.post(
        "/api/v1/consent/subjects",
        json={"unit_id": world.school, "external_id": "T9001", "label": "李老师"},
    )
    assert made.status_code == 201, made.text
    subject = made.json()
    assert "T9001" not in json.dumps(subject)
    recorded = client.post(
        f"/api/v1/consent/subjects/{subject['id']}/events",
        json={"purpose_id": world.photos, "action": "grant", "verification": "in_person"},
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["action"] == "grant" and len(recorded.json()["hash"]) == 64

    world.accounts.login(client, "operator1")
    token = client.post(
        "/api/v1/account/tokens", json={"name": "家校通", "scopes": ["consent:check"], "days": 30}
    )
    assert token.status_code == 201, token.text
    machine = TestClient(client.app)
    bearer = {"Authorization": f"Bearer {token.json()['token']}"}
    by_school_id = {"unit_id": world.school, "kind": "staff", "external_id": "T9001"}
    asked = machine.post(
        "/api/v1/consent/check",
        json={"purpose_id": world.photos, "subject": {**by_school_id, "kind": "student"}},
        headers=bearer,
    )
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    assert answer["allowed"] is True and answer["code"] == "consent"
    assert answer["rules_version"] == 1 and answer["consented_by"] == "subject"
    unknown = machine.post(
        "/api/v1/consent/check",
        json={"purpose_id": world.photos, "subject": by_school_id},  # registered as a student
        headers=bearer,
    )
    assert unknown.status_code == 404
    statutory = machine.post(
        "/api/v1/consent/check",
        json={"purpose_id": world.statutory, "subject_id": subject["id"]},
        headers=bearer,
    )
    assert statutory.json()["allowed"] and statutory.json()["code"] == "legal_basis"
    # the token may ask the gate and nothing else
    assert (
        machine.get(f"/api/v1/consent/subjects/{subject['id']}", headers=bearer).status_code == 403
    )


def test_receipts_console_and_cli(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = world.settings
    client = world.client
    adult = world.subject("T9003")
    world.record(adult, world.photos, "grant", T0)
    world.record(adult, world.photos, "withdraw", T0 + HOUR)
    world.accounts.login(client, "owner1")
    body = client.get(f"/api/v1/consent/subjects/{adult}/receipts").json()
    assert body["schema_version"].endswith("(ISO/IEC TS 27560)")
    first, second = body["records"]
    assert first["event"]["type"] == "given" and second["event"]["type"] == "withdrawn"
    assert first["notice"]["version"] == 1 and len(first["notice"]["sm3"]) == 64
    assert first["purpose"]["personal_data_categories"] == ["PERSON_NAME"]
    assert second["integrity"]["prev_hash"] == first["integrity"]["hash"]
    assert "T9003" not in json.dumps(body, ensure_ascii=False)

    listing = client.get("/consent")
    assert listing.status_code == 200 and f'data-subject="{adult}"' in listing.text
    page = client.get(f"/consent/subjects/{adult}")
    assert page.status_code == 200 and "已撤回" in page.text and "账本哈希链完整" in page.text
    form = client.post(
        f"/consent/subjects/{adult}/events",
        data={"purpose_id": world.statutory, "action": "grant", "given_by": "subject",
              "verification": "in_person", "csrf_token": client.headers["X-CSRF-Token"]},
        follow_redirects=False,
    )  # fmt: skip
    assert form.status_code == 422 and "不以同意为依据" in form.text

    monkeypatch.setenv("EDUGUARD_HOME", str(settings.home))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", settings.secret_key.get_secret_value())
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        at = (T0 + 2 * HOUR).isoformat()
        denied = runner.invoke(
            app, ["consent", "check", str(adult), str(world.photos), "--at", at, "--json"]
        )
        assert denied.exit_code == 3, denied.output
        assert json.loads(denied.output)["code"] == "withdrawn"
        earlier = (T0 + timedelta(minutes=30)).isoformat()
        allowed = runner.invoke(
            app, ["consent", "check", str(adult), str(world.photos), "--at", earlier]
        )
        assert allowed.exit_code == 0 and "允许" in allowed.output
        shown = runner.invoke(app, ["consent", "show", str(adult)])
        assert shown.exit_code == 0 and "账本完整" in shown.output
        assert "北京时间" in shown.output and "2026-09-01 09:00" in shown.output  # T0, not UTC
    finally:
        get_settings.cache_clear()


def test_one_time_link_guardian_refuses_one_agrees_other_withdraws_later(world: World) -> None:
    client = world.client
    child = world.subject("S9100", date(2016, 5, 1), label="二年级一班 赵同学")
    mother = world.guardian(child, "P-9100")
    world.accounts.login(client, "owner1")
    made = client.post(
        f"/api/v1/consent/subjects/{child}/links",
        json={"system_id": world.system, "guardian_id": mother},
    )
    assert made.status_code == 201, made.text
    url = made.json()["url"]
    public = TestClient(client.app)  # no login
    shown = public.get(url)
    assert shown.status_code == 200, shown.text
    assert "校园宣传照片" in shown.text and "课后托管服务" in shown.text
    assert "checked" not in shown.text  # nothing pre-selected
    assert shown.text.count('value="grant"') == shown.text.count('value="refuse"') == 2
    assert public.post(url, data={}).status_code == 422  # no choice: nothing recorded
    done = public.post(url, data={f"p{world.photos}": "refuse", f"p{world.afterschool}": "grant"})
    assert done.status_code == 200, done.text
    withdrawal = re.search(r'id="withdrawal-link" href="([^"]+)"', done.text)
    assert withdrawal is not None
    replay = public.post(url, data={f"p{world.photos}": "grant"})
    assert replay.status_code == 400 and "已使用过" in replay.text
    token = url.rsplit("/", 1)[1]
    forged = public.get(url[:-1] + ("0" if token[-1] != "0" else "1"))
    assert forged.status_code == 400 and "链接无效" in forged.text
    state = {
        s["purpose_id"]: s for s in client.get(f"/api/v1/consent/subjects/{child}").json()["states"]
    }
    assert (
        state[world.photos]["status"] == "refused"
        and state[world.afterschool]["status"] == "granted"
    )
    events = client.get(f"/api/v1/consent/subjects/{child}").json()["events"]
    assert len(events) == 2 and {e["verification"] for e in events} == {"signed_link"}
    assert {e["given_by"] for e in events} == {"guardian"} and {e["channel"] for e in events} == {
        "link"
    }
    later = public.get(withdrawal.group(1))
    assert 'value="withdraw"' in later.text
    public.post(withdrawal.group(1), data={f"p{world.afterschool}": "withdraw"})
    assert not world.gate(child, world.afterschool, utcnow() + HOUR).allowed
    shown = client.get(f"/api/v1/consent/subjects/{child}").json()["events"]
    granted_at = datetime.fromisoformat(next(e["at"] for e in shown if e["action"] == "grant"))
    assert world.gate(child, world.afterschool, granted_at).allowed  # not retroactive


def test_an_expired_link_changes_nothing(world: World) -> None:
    adult = world.subject("T9101")
    with world.session() as session:
        key = collect.key_for(session, "")
        _link, token = collect.create_link(
            session, adult, world.system, guardian_id=None, scope="/", by="t", key=key, days=1
        )
    with world.session() as session, pytest.raises(EduguardError) as expired:
        collect.submit(
            session, token, {world.photos: "grant"}, key=key, now=utcnow() + timedelta(days=2)
        )
    assert expired.value.code == "consent_link_expired"
    assert world.gate(adult, world.photos, utcnow() + timedelta(days=3)).code == "none"


def test_fourteenth_birthday_hands_over_in_the_shared_worker(world: World) -> None:
    from eduguard.consent import birthdays, jobs
    from eduguard.notify.models import Message
    from eduguard.worker.registry import handlers

    assert handlers()[jobs.HANDOVER_KIND].every_seconds == 24 * 60 * 60  # one daily task
    child = world.subject("S9200", date(2013, 9, 10))
    father = world.guardian(child, "P-9200")
    world.record(child, world.photos, "grant", T0, given_by="guardian", guardian_id=father)
    eve = datetime(2027, 9, 9, 15, 0, tzinfo=UTC)  # 23:00 Beijing, still 13
    with world.session() as session:
        assert child not in birthdays.handover_due(session, now=eve)
    day = eve + timedelta(hours=1, minutes=30)  # 00:30 Beijing on the birthday
    with world.session() as session:
        assert child in birthdays.handover_due(session, now=day)
    with world.session() as session:
        assert birthdays.handover_due(session, now=day + HOUR) == []  # once
        messages = session.scalars(
            select(Message).where(Message.topic == "consent.handover", Message.cause_id == child)
        ).all()
        assert len(messages) == 1 and "S9200" not in messages[0].body
    world.accounts.login(world.client, "owner1")
    events = world.client.get(f"/api/v1/consent/subjects/{child}").json()["events"]
    assert [e["action"] for e in events] == ["handover", "grant"]  # the guardian's kept
    assert world.gate(child, world.photos, eve).allowed
    assert world.gate(child, world.photos, day + HOUR).code == "handed_over"


def test_material_change_denies_until_re_consent(world: World) -> None:
    client = world.client
    adult = world.subject("T9002")
    world.record(adult, world.afterschool, "grant", T0)
    assert world.gate(adult, world.afterschool, T0 + HOUR).allowed
    world.accounts.login(client, "owner1")
    wording = client.patch(
        f"/api/v1/processing/purposes/{world.afterschool}",
        json={"description": "课后托管服务（含晚托）的说明，已改写"},
    )
    assert wording.status_code == 200, wording.text
    assert world.gate(adult, world.afterschool, T0 + HOUR).allowed  # wording: not material
    material = client.patch(
        f"/api/v1/processing/purposes/{world.afterschool}",
        json={"field_ids": [world.fields["xm"], world.fields["jzsj"], world.fields["jkzk"]]},
    )
    assert material.status_code == 200, material.text
    denied = world.gate(adult, world.afterschool, T0 + HOUR)
    assert not denied.allowed and denied.code == "material_change"
    assert "重新取得同意" in denied.reason
    shown = client.get(f"/api/v1/consent/subjects/{adult}").json()
    state = next(s for s in shown["states"] if s["purpose_id"] == world.afterschool)
    assert state["status"] == "granted" and state["needs_reconsent"] is True
    coverage = client.get(f"/api/v1/consent/purposes/{world.afterschool}/coverage").json()
    assert coverage["needs_reconsent"] == 1 and coverage["valid"] == 0
    assert client.post(f"/api/v1/processing/systems/{world.system}/rules").status_code == 201
    world.record(adult, world.afterschool, "grant", T0 + 2 * HOUR)
    again = world.gate(adult, world.afterschool, T0 + 3 * HOUR)
    assert again.allowed and again.rules_version == 2


def test_a_refused_purpose_is_not_asked_again_within_the_cool_down(world: World) -> None:
    """NDSR Art. 22(1)(5): after a clear refusal the school's next link shows the purpose as
    refused without asking, a crafted answer to it is refused, and a link that would ask nothing
    is not made; the subject's own change link may still agree; 180 days later the school may ask."""
    adult = world.subject("T9200")
    with world.session() as session:
        key = collect.key_for(session, world.settings.secret_key.get_secret_value())
        _link, first = collect.create_link(
            session, adult, world.system, guardian_id=None, scope="/", by="t", key=key
        )
    with world.session() as session:
        _ids, change = collect.submit(session, first, {world.photos: "refuse"}, key=key)
    with world.session() as session:
        _link, second = collect.create_link(
            session, adult, world.system, guardian_id=None, scope="/", by="t", key=key
        )
    page = TestClient(world.client.app).get(f"/consent/l/{second}")
    assert page.status_code == 200 and "不会就此再次征求" in page.text
    assert page.text.count('value="grant"') == page.text.count('value="refuse"') == 1
    assert f'name="p{world.photos}"' not in page.text
    with world.session() as session, pytest.raises(EduguardError):
        collect.submit(session, second, {world.photos: "grant"}, key=key)
    with world.session() as session:
        own = collect.link_page(session, change, key=key)
        assert all(c.cooling_until is None for c in own.choices)  # the subject's own link
        collect.submit(session, second, {world.afterschool: "refuse"}, key=key)
    with world.session() as session, pytest.raises(EduguardError) as cooling:
        collect.create_link(
            session, adult, world.system, guardian_id=None, scope="/", by="t", key=key
        )
    assert cooling.value.code == "consent_cooling_down"
    assert "第二十二条第一款第（五）项" in str(cooling.value.message_zh)
    with world.session() as session:
        later = utcnow() + collect.REASK_AFTER + timedelta(days=1)
        _link, asked = collect.create_link(
            session, adult, world.system, guardian_id=None, scope="/", by="t", key=key, now=later
        )
        assert asked
