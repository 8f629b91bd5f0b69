"""The expected catalog (issue #19 part 3: approval writes the fields into the processing register
*and the expected catalog*): approved items the catalog does not hold yet are listed with the
system's catalog — console and API — as 经采集审核批准，待收集, with the review they came from;
a later scan that finds a field of the same name or comment (the drift's rule) collects the item
through the catalog's event (a queued task the processing domain handles): linked to that field
and to the purpose, no longer expected."""

from __future__ import annotations

from sqlalchemy import select

from eduguard.audit.models import AuditEvent
from eduguard.catalog.events import VERSION_APPLIED
from eduguard.catalog.models import Field
from eduguard.processing import flows as processing_flows
from eduguard.processing import service as processing_service
from eduguard.processing.models import LegalBasis
from eduguard.tasks import runner as tasks_runner
from eduguard.tasks.models import Task, TaskStatus
from eduguard.worker import registry

from .conftest import World, apply_catalog, column, table
from .test_register import _approve, _plan, _purpose, _submit


def _run_tasks(world: World) -> int:
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    done = 0
    while tasks_runner.run_next(world.factory, registry.handlers(), settings, "test") is not None:
        done += 1
    return done


def test_expected_items_are_shown_until_a_scan_collects_them(world: World) -> None:
    duty = _purpose(world, "学生管理", LegalBasis.statutory, basis_detail="义务教育法")
    plan_id = _plan(world, purpose_id=duty)  # 学生姓名, 家长手机号
    _submit(world, plan_id)
    _approve(world, plan_id, "owner", "secadmin")

    client = world.client
    world.login("sup")
    listed = client.get(f"/api/v1/systems/{world.app}/expected-fields")
    assert listed.status_code == 200, listed.text
    expected = {e["name"]: e for e in listed.json()}
    assert set(expected) == {"学生姓名", "家长手机号"}
    phone = expected["家长手机号"]
    assert phone["state"] == "expected" and phone["status_label"] == "经采集审核批准，待收集"
    assert phone["plan_id"] == plan_id and phone["purpose"] == "学生管理"
    assert phone["field_id"] is None and "MOBILE_PHONE" in phone["pi_types"]
    for page in (f"/catalog/systems/{world.app}", f"/catalog?system_id={world.app}"):
        text = client.get(page).text
        assert 'id="expected-fields"' in text and "经采集审核批准，待收集" in text, page
        assert f'href="/collection/{plan_id}">数据收集审核 #{plan_id}</a>' in text, page
    assert 'id="expected-fields"' not in client.get(f"/catalog?system_id={world.xueji}").text

    # a scan of the app: its parents' phone under another name with that comment; a 学生姓名
    # column that also holds ID numbers (a type the review did not approve)
    apply_catalog(
        client,
        world.app,
        [
            table(
                "jx_user",
                "家长用户",
                [
                    column("jzsj", "家长手机号", ["MOBILE_PHONE"]),
                    column("xsxm_sfz", "学生姓名", ["PERSON_NAME", "CN_RESIDENT_ID"]),
                ],
            )
        ],
    )
    with world.factory() as session:
        key = f"{VERSION_APPLIED}:{world.app}"  # one per system (the 学籍 scan queued its own)
        [task] = session.scalars(select(Task).where(Task.key == key)).all()
        assert task.payload == {"system_id": world.app} and task.status == TaskStatus.queued
    # until the worker has run the event, the items are still expected
    assert len(client.get(f"/api/v1/systems/{world.app}/expected-fields").json()) == 2
    assert _run_tasks(world) >= 1

    still = client.get(f"/api/v1/systems/{world.app}/expected-fields").json()
    assert [e["name"] for e in still] == ["学生姓名"]
    collected = client.get(f"/api/v1/systems/{world.app}/expected-fields?state=collected").json()
    assert [e["name"] for e in collected] == ["家长手机号"]
    with world.factory() as session:
        jzsj = session.scalars(select(Field).where(Field.name == "jzsj")).one()
        purpose = processing_service.get_purpose(session, duty)
        assert collected[0]["field_id"] == jzsj.id and collected[0]["collected_at"]
        assert collected[0]["status_label"] == "已收集（扫描已发现）"
        assert jzsj.id in {link.field_id for link in purpose.fields}
        read = processing_flows.purpose_read(session, purpose)
        assert "家长手机号" not in {p.name for p in read.planned}  # stated from the catalog now
        assert "jzsj" in {f.name for f in read.fields}
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "processing.purpose.collected")
        ).all()
        assert len(audit) == 1 and "家长手机号→jx_user.jzsj" in (audit[0].reason or "")
    text = client.get(f"/catalog/systems/{world.app}").text
    assert 'id="expected-fields"' in text and "学生姓名" in text
    assert "家长手机号</td>" not in text.split('id="expected-fields"')[1].split("</table>")[0]

    # a second scan finds nothing new to collect: nothing changes, the event runs again
    apply_catalog(
        client,
        world.app,
        [table("jx_user", "家长用户", [column("jzsj", "家长手机号", ["MOBILE_PHONE"])])],
    )
    _run_tasks(world)
    assert len(client.get(f"/api/v1/systems/{world.app}/expected-fields?state=all").json()) == 2
    # the English console says the same
    client.cookies.set("lang", "en")
    try:
        english = client.get(f"/catalog/systems/{world.app}").text
    finally:
        client.cookies.set("lang", "zh")
    assert "approved by a collection review, not yet collected" in english
    assert "Collection review #" in english or f"#{plan_id}" in english


def test_expected_fields_respect_scope_and_bounds(world: World) -> None:
    client = world.client
    world.login("vendor")
    assert client.get(f"/api/v1/systems/{world.xueji}/expected-fields").status_code == 404
    assert client.get(f"/api/v1/systems/{world.app}/expected-fields").json() == []
    bad = client.get(f"/api/v1/systems/{world.app}/expected-fields?state=nope")
    assert bad.status_code == 422
