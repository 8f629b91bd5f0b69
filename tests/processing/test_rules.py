"""Published collection rules: rendered from the register, public without login, one immutable
SM3-hashed version per publication, children's rules only where children's data is held."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select, text

from eduguard.audit.models import AuditEvent
from eduguard.errors import Conflict
from eduguard.processing import flows as processing_flows
from eduguard.processing.models import RulesVersion
from eduguard.web.ratelimit import SlidingWindowLimiter

from .conftest import World, statutory_purpose

CONTACT = {
    "contact": "一小信息中心 电话 0000-0000000",
    "rights_channel": "书面申请，15 个工作日内答复",
}


def _ready(world: World, **overrides: Any) -> int:
    """An active statutory purpose and a contact: the students system can be published."""
    world.login("owner1")
    assert (
        world.client.put(f"/api/v1/processing/systems/{world.students}", json=CONTACT).status_code
        == 200
    )
    body = statutory_purpose(world, **overrides)
    purpose = world.client.post(f"/api/v1/processing/systems/{world.students}/purposes", json=body)
    assert purpose.status_code == 201, purpose.text
    purpose_id: int = purpose.json()["id"]
    activated = world.client.post(f"/api/v1/processing/purposes/{purpose_id}/activate")
    assert activated.status_code == 200
    return purpose_id


def _anonymous(world: World) -> TestClient:
    return TestClient(world.client.app, raise_server_exceptions=False)


def test_publishing_needs_an_active_purpose_and_a_contact(world: World) -> None:
    world.login("pio1")
    refused = world.client.post(f"/api/v1/processing/systems/{world.students}/rules")
    assert refused.status_code == 422
    problems = refused.json()["error"]["details"]["problems"]
    assert any("处理目的" in p for p in problems) and any("联系方式" in p for p in problems)
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        assert session.scalars(select(RulesVersion)).all() == []
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "processing.rules.publish" not in actions


def test_public_page_without_login_and_the_lists(world: World) -> None:
    _ready(world)
    world.login("pio1")
    published = world.client.post(f"/api/v1/processing/systems/{world.students}/rules")
    assert published.status_code == 201, published.text
    versions = published.json()
    assert sorted(v["audience"] for v in versions) == ["children", "general"]
    assert all(len(v["sm3"]) == 64 and v["intact"] for v in versions)

    anonymous = _anonymous(world)
    page = anonymous.get(f"/rules/{world.students}")
    assert page.status_code == 200
    html = page.text
    for expected in (
        "一小学籍系统个人信息收集使用规则",
        "学籍管理",
        "为履行法定职责或者法定义务所必需",
        "《中华人民共和国义务教育法》",
        "个人信息收集清单",
        "第三方共享清单",
        "示例运维公司",
        "受托处理者",
        "毕业后 3 年",
        "依法移交档案保管",
        CONTACT["contact"],
        "第四十五条",
        "现行版本",
    ):
        assert expected in html, expected
    children = anonymous.get(f"/rules/{world.students}/children")
    assert children.status_code == 200
    assert "儿童个人信息专门规则" in children.text and "监护人" in children.text
    # The register's edit pages stay closed to the public.
    assert (
        anonymous.get(f"/processing/systems/{world.students}", follow_redirects=False).status_code
        == 303
    )
    assert (
        anonymous.post(f"/api/v1/processing/systems/{world.students}/purposes", json={}).status_code
        == 401
    )
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        publisher = session.scalars(
            select(AuditEvent.username).where(AuditEvent.action == "processing.rules.publish")
        ).all()
    assert publisher == ["pio1", "pio1"]  # the rules and the children's rules


def test_versions_are_immutable_and_a_changed_row_is_detected(world: World) -> None:
    purpose_id = _ready(world)
    world.login("pio1")
    first = world.client.post(f"/api/v1/processing/systems/{world.students}/rules").json()
    general = next(v for v in first if v["audience"] == "general")
    again = world.client.post(f"/api/v1/processing/systems/{world.students}/rules")
    assert again.status_code == 422 and again.json()["error"]["code"] == "rules_unchanged"

    world.login("owner1")
    world.client.patch(
        f"/api/v1/processing/purposes/{purpose_id}", json={"retention_period": "毕业后 5 年"}
    )
    second = world.client.post(f"/api/v1/processing/systems/{world.students}/rules").json()
    newer = next(v for v in second if v["audience"] == "general")
    assert newer["number"] == general["number"] + 1 and newer["sm3"] != general["sm3"]
    anonymous = _anonymous(world)
    old = anonymous.get(f"/rules/versions/{general['id']}")
    assert old.status_code == 200
    assert "已被新版本取代" in old.text and "毕业后 3 年" in old.text
    assert "毕业后 5 年" in anonymous.get(f"/rules/{world.students}").text

    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        version = session.get(RulesVersion, general["id"])
        assert version is not None
        version.content = version.content.replace("毕业后 3 年", "毕业后 1 年")
        with pytest.raises(Conflict, match="不可修改"):
            session.flush()
        session.rollback()
        session.delete(session.get(RulesVersion, general["id"]))
        with pytest.raises(Conflict):
            session.flush()
        session.rollback()
    # Changed behind the application's back: the digest no longer matches.
    with factory() as session, session.begin():
        session.execute(
            text(
                "UPDATE processing_rules_versions SET content = REPLACE(content, '3 年', '1 年') WHERE id = :id"
            ),
            {"id": general["id"]},
        )
    tampered = anonymous.get(f"/rules/versions/{general['id']}")
    assert tampered.status_code == 500
    assert "SM3" in tampered.text and "1 年" not in tampered.text
    listed = world.client.get(f"/api/v1/processing/systems/{world.students}/rules").json()
    intact = {v["id"]: v["intact"] for v in listed}
    assert intact[general["id"]] is False and intact[newer["id"]] is True


def test_childrens_rules_only_where_children_data_is_held(world: World) -> None:
    world.login("owner1")
    world.client.put(f"/api/v1/processing/systems/{world.canteen}", json=CONTACT)
    body = statutory_purpose(
        world,
        name="教工就餐",
        legal_basis="contract",
        field_ids=list(world.canteen_fields.values()),
        recipients=[],
    )
    purpose = world.client.post(f"/api/v1/processing/systems/{world.canteen}/purposes", json=body)
    world.client.post(f"/api/v1/processing/purposes/{purpose.json()['id']}/activate")
    published = world.client.post(f"/api/v1/processing/systems/{world.canteen}/rules")
    assert [v["audience"] for v in published.json()] == ["general"]
    anonymous = _anonymous(world)
    assert anonymous.get(f"/rules/{world.canteen}").status_code == 200
    missing = anonymous.get(f"/rules/{world.canteen}/children")
    assert missing.status_code == 404 and "尚未发布儿童个人信息专门规则" in missing.text
    assert "不向第三方提供" in anonymous.get(f"/rules/{world.canteen}").text


def test_the_pdf_carries_the_version_and_its_digest(world: World) -> None:
    _ready(world)
    world.login("pio1")
    versions = world.client.post(f"/api/v1/processing/systems/{world.students}/rules").json()
    general = next(v for v in versions if v["audience"] == "general")
    response = _anonymous(world).get(f"/rules/versions/{general['id']}/document")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 1
    assert reader.metadata is not None and general["sm3"] in str(reader.metadata.subject)
    assert reader.metadata.title == "一小学籍系统个人信息收集使用规则"


def test_public_pages_are_rate_limited(world: World) -> None:
    _ready(world)
    world.login("pio1")
    world.client.post(f"/api/v1/processing/systems/{world.students}/rules")
    world.client.app.state.public_rules_limiter = SlidingWindowLimiter(2, 60.0)  # type: ignore[attr-defined]
    anonymous = _anonymous(world)
    codes = [anonymous.get(f"/rules/{world.students}").status_code for _ in range(9)]
    assert codes == [200, 200] + [429] * 7
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        recorded = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access.rate_limited")
        ).all()
    assert len(recorded) == 5  # a flood costs a bounded log


def test_evidence_for_the_compliance_rule(world: World) -> None:
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        before = processing_flows.collection_rules_evidence(session, world.students)
    assert not before.published and before.children_required and not before.children_published
    _ready(world)
    world.login("pio1")
    world.client.post(f"/api/v1/processing/systems/{world.students}/rules")
    with factory() as session:
        after = processing_flows.collection_rules_evidence(session, world.students)
    assert after.published and after.number == 1 and after.intact
    assert after.children_published and after.public_path == f"/rules/{world.students}"
