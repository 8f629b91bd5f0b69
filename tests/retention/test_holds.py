"""Holds: typed, with a reason, block disposition until released with a reason; audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eduguard.audit.models import AuditEvent
from eduguard.retention import service
from eduguard.retention.service import OnHold

from .conftest import World


def test_a_hold_blocks_until_released(world: World) -> None:
    dataset = world.datasets["xs_biye"]
    world.login("sec1")  # security places an incident hold
    placed = world.client.post(
        f"/api/v1/retention/datasets/{dataset}/holds",
        json={"kind": "incident", "reference": "SJ-2026-07", "reason": "疑似数据泄露调查"},
    )
    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert hold["placed_by"] == "sec1" and hold["released_at"] is None
    world.login("owner1")
    second = world.client.post(
        f"/api/v1/retention/datasets/{dataset}/holds",
        json={"kind": "complaint", "reason": "家长投诉待处理"},
    )
    assert second.status_code == 201
    with world.factory() as session:
        with pytest.raises(OnHold) as raised:
            service.ensure_not_held(session, dataset)
        assert raised.value.code == "retention_on_hold"
        assert "安全事件调查" in raised.value.message_zh and "投诉处理" in raised.value.message_zh
        service.ensure_not_held(session, world.datasets["cj"])  # other datasets are free
    open_holds = world.client.get(f"/api/v1/retention/units/{world.county}/holds")
    assert open_holds.status_code == 404  # owner1 belongs to the school, not the county
    listed = world.client.get(f"/api/v1/retention/units/{world.school}/holds").json()
    assert [h["id"] for h in listed] == [hold["id"], second.json()["id"]]

    no_reason = world.client.post(
        f"/api/v1/retention/holds/{hold['id']}/release", json={"reason": ""}
    )
    assert no_reason.status_code == 422
    released = world.client.post(
        f"/api/v1/retention/holds/{hold['id']}/release", json={"reason": "调查结束，未发现泄露"}
    )
    assert released.status_code == 200, released.text
    assert released.json()["released_by"] == "owner1"
    again = world.client.post(
        f"/api/v1/retention/holds/{hold['id']}/release", json={"reason": "再次解除"}
    )
    assert again.status_code == 409
    with world.factory() as session, pytest.raises(OnHold):  # the complaint still holds it
        service.ensure_not_held(session, dataset)
    world.client.post(
        f"/api/v1/retention/holds/{second.json()['id']}/release", json={"reason": "投诉已办结"}
    )
    with world.factory() as session:
        service.ensure_not_held(session, dataset)
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("retention.hold.%"))
            )
        ]
    assert actions.count("retention.hold.place") == 2
    assert actions.count("retention.hold.release") == 2
    listed = world.client.get(
        f"/api/v1/retention/units/{world.school}/holds", params={"all": True}
    ).json()
    assert len(listed) == 2 and all(h["release_reason"] for h in listed)
