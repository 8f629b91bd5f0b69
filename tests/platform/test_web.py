"""Clocks and the inbox in the console and the API: permission-checked, in the caller's units,
each person's own messages only."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import UnitCreate
from eduguard.worker.loop import Worker


def _units(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with factory() as session, session.begin():
        county = orgs_service.create_unit(
            session, UnitCreate(name="示例县教育局", kind=UnitKind.county)
        )
        school = orgs_service.create_unit(
            session, UnitCreate(name="示例第一中学", kind=UnitKind.school, parent_id=county.id)
        )
        other = orgs_service.create_unit(
            session, UnitCreate(name="示例第二中学", kind=UnitKind.school)
        )
        return county.id, school.id, other.id


def _body(unit_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "title": "投诉 #7 受理答复",
        "subject_type": "complaint",
        "subject_id": 7,
        "unit_id": unit_id,
        "unit": "working_days",
        "amount": 15,
        "owner_role": "pi_officer",
        "escalate_role": "security_admin",
        **changes,
    }


def test_clocks_api_and_page(app_client: TestClient, accounts: Any) -> None:
    factory = app_client.app.state.session_factory  # type: ignore[attr-defined]
    _county, school, other = _units(factory)
    accounts.create("officer", {Role.pi_officer}, unit_id=school)
    accounts.create("teacher", {Role.data_user}, unit_id=school)
    accounts.login(app_client, "officer")
    made = app_client.post("/api/v1/clocks", json=_body(school))
    assert made.status_code == 201, made.text
    clock = made.json()
    assert clock["status"] == "open" and clock["calendar_exact"] in (True, False)
    # another school is outside the officer's unit: not found, nothing written
    assert app_client.post("/api/v1/clocks", json=_body(other)).status_code == 404
    bad = app_client.post("/api/v1/clocks", json=_body(school, title="请回电 13800138000"))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "message_personal_value"
    listed = app_client.get("/api/v1/clocks").json()
    assert [c["id"] for c in listed] == [clock["id"]]
    page = app_client.get(f"/clocks?unit_id={school}")
    assert page.status_code == 200
    assert "法定期限" in page.text and "投诉 #7 受理答复" in page.text
    assert "个人信息保护负责人" in page.text  # the role's name, not its code
    closed = app_client.post(f"/api/v1/clocks/{clock['id']}/close", json={"reason": "已答复"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert app_client.get("/api/v1/clocks").json() == []
    # a data user may not see the unit's deadlines
    accounts.login(app_client, "teacher")
    assert app_client.get("/api/v1/clocks").status_code == 403
    assert app_client.get("/clocks").status_code == 403


def test_inbox_is_each_persons_own(app_client: TestClient, accounts: Any) -> None:
    state = app_client.app.state  # type: ignore[attr-defined]
    county, school, _other = _units(state.session_factory)
    accounts.create("officer", {Role.pi_officer}, unit_id=school)
    accounts.create("security", {Role.security_admin}, unit_id=county)
    accounts.login(app_client, "officer")
    body = _body(school, amount=1, unit="hours", started_at="2026-10-01T09:00:00+08:00")
    body["escalate_unit_id"] = county
    assert app_client.post("/api/v1/clocks", json=body).status_code == 201
    Worker(state.session_factory, state.settings, scan_options={}).drain()  # ticks: overdue
    accounts.login(app_client, "security")
    (item,) = app_client.get("/api/v1/inbox").json()
    assert item["subject"].startswith("期限已逾期") and item["read_at"] is None
    page = app_client.get("/inbox")
    assert "我的消息" in page.text and "未读：1" in page.text
    marked = app_client.post(
        "/inbox/read", data={"message_id": item["id"], "read": "1"}, follow_redirects=False
    )
    assert marked.status_code == 303
    assert app_client.get("/api/v1/inbox?unread=true").json() == []
    assert "未读：0" in app_client.get("/inbox").text
    # the officer's copy is the officer's: the administrator's read changed nothing there
    accounts.login(app_client, "officer")
    (own,) = app_client.get("/api/v1/inbox").json()
    assert own["read_at"] is None and own["id"] != item["id"]
    changed = app_client.post("/api/v1/inbox/read", json={"ids": [item["id"]]}).json()
    assert changed == {"changed": 0}
    assert app_client.put("/api/v1/inbox/contact", json={"email": "bad"}).status_code == 422
    saved = app_client.put("/api/v1/inbox/contact", json={"email": "officer@school.example"})
    assert saved.status_code == 200
