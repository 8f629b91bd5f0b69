"""Per-system backup policy and recovery drills over the API and the console, on SQLite and
PostgreSQL: the drill-due status, RTO/RPO against targets, evidence files, the scope of the
unit tree, bad input refused in Chinese with nothing stored, every change audited."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from eduguard.audit.models import AuditEvent
from eduguard.identity.models import Role

TODAY = date.today()


def _world(client: TestClient) -> dict[str, Any]:
    county = client.post("/api/v1/units", json={"name": "丙县教育局", "kind": "county"}).json()
    school = client.post(
        "/api/v1/units", json={"name": "丙县一中", "kind": "school", "parent_id": county["id"]}
    ).json()
    other = client.post(
        "/api/v1/units", json={"name": "丙县二中", "kind": "school", "parent_id": county["id"]}
    ).json()
    system = client.post(
        "/api/v1/systems", json={"name": "学籍系统", "unit_id": school["id"]}
    ).json()
    return {"county": county, "school": school, "other": other, "system": system}


POLICY = {
    "frequency": "daily",
    "location": "校机房备份服务器；每周离线副本",
    "offsite": True,
    "encryption": "SM4",
    "retention_days": 90,
    "rto_target_minutes": 120,
    "rpo_target_minutes": 1440,
}


def _drill(days_ago: int, **extra: Any) -> dict[str, Any]:
    return {
        "drilled_on": (TODAY - timedelta(days=days_ago)).isoformat(),
        "scope": "恢复前一日全量备份到测试机",
        "outcome": "success",
        "rto_minutes": 90,
        "rpo_minutes": 600,
        **extra,
    }


def test_policy_drills_and_the_due_date(admin_client: TestClient) -> None:
    w = _world(admin_client)
    sid = w["system"]["id"]
    state = admin_client.get(f"/api/v1/backup/systems/{sid}").json()
    assert state["status"] == "no_policy" and state["policy"] is None and state["drills"] == []

    saved = admin_client.put(f"/api/v1/backup/systems/{sid}/policy", json=POLICY)
    assert saved.status_code == 200, saved.text
    assert saved.json()["revision"] == 1
    again = admin_client.put(
        f"/api/v1/backup/systems/{sid}/policy", json={**POLICY, "retention_days": 180}
    )
    assert again.json()["revision"] == 2 and again.json()["retention_days"] == 180
    assert admin_client.get(f"/api/v1/backup/systems/{sid}").json()["status"] == "no_drill"

    old = admin_client.post(f"/api/v1/backup/systems/{sid}/drills", json=_drill(400))
    assert old.status_code == 201, old.text
    state = admin_client.get(f"/api/v1/backup/systems/{sid}").json()
    assert state["status"] == "drill_overdue"
    assert state["next_drill_due"] == (TODAY - timedelta(days=35)).isoformat()

    failed = admin_client.post(
        f"/api/v1/backup/systems/{sid}/drills", json=_drill(10, outcome="failed", rto_minutes=500)
    )
    assert failed.status_code == 201
    state = admin_client.get(f"/api/v1/backup/systems/{sid}").json()
    assert state["status"] == "drill_overdue"  # a failed drill is not a drill done
    recent = admin_client.post(
        f"/api/v1/backup/systems/{sid}/drills", json=_drill(5, rto_minutes=200)
    )
    assert recent.status_code == 201
    state = admin_client.get(f"/api/v1/backup/systems/{sid}").json()
    assert state["status"] == "ok" and state["last_drill_on"] == _drill(5)["drilled_on"]
    newest = state["drills"][0]
    assert newest["rto_met"] is False and newest["rpo_met"] is True  # 200 > 120; 600 ≤ 1440
    listed = admin_client.get(f"/api/v1/backup/units/{w['county']['id']}/systems").json()
    assert [(s["system"], s["status"]) for s in listed] == [("学籍系统", "ok")]

    session_factory = admin_client.app.state.session_factory  # type: ignore[attr-defined]
    with session_factory() as session:
        actions = set(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.object_type.like("%backup%"))
            )
        ) | set(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.object_type == "recovery_drill")
            )
        )
    assert {"backup_policy.create", "backup_policy.update", "recovery_drill.create"} <= actions


def test_bad_input_is_refused_in_chinese_and_stores_nothing(admin_client: TestClient) -> None:
    w = _world(admin_client)
    sid = w["system"]["id"]
    future = admin_client.post(f"/api/v1/backup/systems/{sid}/drills", json=_drill(-3))
    assert future.status_code == 422 and "晚于今天" in future.json()["error"]["message"]
    for body in (
        {**POLICY, "retention_days": 0},
        {**POLICY, "frequency": "yearly"},
        {**POLICY, "location": ""},
        {**POLICY, "offsite": 1},
        {**POLICY, "extra": "x"},
    ):
        response = admin_client.put(f"/api/v1/backup/systems/{sid}/policy", json=body)
        assert response.status_code == 422, body
    bad_drill = admin_client.post(
        f"/api/v1/backup/systems/{sid}/drills", json=_drill(3, rto_minutes=-1)
    )
    assert bad_drill.status_code == 422
    state = admin_client.get(f"/api/v1/backup/systems/{sid}").json()
    assert state["policy"] is None and state["drills"] == []
    assert admin_client.get("/api/v1/backup/systems/999999").status_code == 404


def test_evidence_files(admin_client: TestClient) -> None:
    w = _world(admin_client)
    sid = w["system"]["id"]
    drill = admin_client.post(f"/api/v1/backup/systems/{sid}/drills", json=_drill(3)).json()
    log = "2026-11-30 09:00 开始恢复\n2026-11-30 10:30 行数核对一致\n".encode()
    stored = admin_client.post(
        f"/api/v1/backup/drills/{drill['id']}/evidence",
        json={"file_name": "恢复日志.log", "content_base64": base64.b64encode(log).decode()},
    )
    assert stored.status_code == 201, stored.text
    evidence = stored.json()
    assert evidence["size"] == len(log) and len(evidence["sha256"]) == 64
    download = admin_client.get(f"/api/v1/backup/evidence/{evidence['id']}")
    assert download.status_code == 200 and download.content == log
    for name, content in (
        ("tool.exe", b"MZ\x90\x00"),
        ("report.pdf", b"not a pdf at all"),
        ("binary.txt", b"\x00\x01\x02"),
        ("empty.log", b""),
    ):
        refused = admin_client.post(
            f"/api/v1/backup/drills/{drill['id']}/evidence",
            json={"file_name": name, "content_base64": base64.b64encode(content).decode()},
        )
        assert refused.status_code == 422, (name, refused.text)
    garbled = admin_client.post(
        f"/api/v1/backup/drills/{drill['id']}/evidence",
        json={"file_name": "a.log", "content_base64": "%%%%"},
    )
    assert garbled.status_code == 422 and "base64" in garbled.json()["error"]["message"]
    state = admin_client.get(f"/api/v1/backup/systems/{sid}").json()
    assert [e["name"] for e in state["drills"][0]["evidence"]] == ["恢复日志.log"]


def test_the_unit_tree_scopes_what_an_owner_sees(admin_client: TestClient, accounts: Any) -> None:
    w = _world(admin_client)
    sid = w["system"]["id"]
    drill = admin_client.post(f"/api/v1/backup/systems/{sid}/drills", json=_drill(3)).json()
    accounts.create("owner-b", {Role.data_owner}, unit_id=w["other"]["id"])
    accounts.login(admin_client, "owner-b")
    assert admin_client.get(f"/api/v1/backup/systems/{sid}").status_code == 404
    assert admin_client.put(f"/api/v1/backup/systems/{sid}/policy", json=POLICY).status_code == 404
    refused = admin_client.post(
        f"/api/v1/backup/drills/{drill['id']}/evidence",
        json={"file_name": "a.log", "content_base64": base64.b64encode(b"ok").decode()},
    )
    assert refused.status_code == 404
    accounts.create("owner-a", {Role.data_owner}, unit_id=w["school"]["id"])
    accounts.login(admin_client, "owner-a")
    assert admin_client.put(f"/api/v1/backup/systems/{sid}/policy", json=POLICY).status_code == 200


def test_console_page_and_forms(admin_client: TestClient) -> None:
    w = _world(admin_client)
    sid = w["system"]["id"]
    page = admin_client.get("/backup", params={"unit_id": w["school"]["id"]})
    assert page.status_code == 200 and "学籍系统" in page.text and "缺少备份策略" in page.text
    token = admin_client.headers["X-CSRF-Token"]
    saved = admin_client.post(
        f"/backup/systems/{sid}/policy",
        data={
            "csrf_token": token,
            "frequency": "weekly",
            "location": "校机房",
            "retention_days": "30",
            "offsite": "1",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    recorded = admin_client.post(
        f"/backup/systems/{sid}/drills",
        data={"csrf_token": token, **{k: str(v) for k, v in _drill(2).items()}},
        follow_redirects=False,
    )
    assert recorded.status_code == 303, recorded.text
    bad = admin_client.post(
        f"/backup/systems/{sid}/drills",
        data={"csrf_token": token, **{k: str(v) for k, v in _drill(2, rto_minutes="x").items()}},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    state = admin_client.get(f"/api/v1/backup/systems/{sid}").json()
    assert state["status"] == "ok" and state["policy"]["offsite"] is True
    assert len(state["drills"]) == 1
    drill_id = state["drills"][0]["id"]
    uploaded = admin_client.post(
        f"/backup/drills/{drill_id}/evidence",
        data={"csrf_token": token},
        files={"file": ("恢复记录.txt", "恢复完成，行数一致\n".encode(), "text/plain")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    refused = admin_client.post(
        f"/backup/drills/{drill_id}/evidence",
        data={"csrf_token": token},
        files={"file": ("恢复记录.pdf", b"plain text, not a PDF", "application/pdf")},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    page = admin_client.get("/backup", params={"unit_id": w["school"]["id"]})
    assert "有备份策略，一年内已演练" in page.text and "恢复前一日全量备份到测试机" in page.text
    assert "恢复记录.txt" in page.text and "恢复记录.pdf" not in page.text
