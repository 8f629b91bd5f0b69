"""The processing register through the API: legal basis before activation, fields and
recipients that must belong to the system, who may edit, and every change audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from eduguard.audit.models import AuditEvent
from eduguard.processing.models import ProcessingPurpose

from .conftest import World, statutory_purpose


def _events(world: World, action: str) -> list[AuditEvent]:
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _purpose_count(world: World) -> int:
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(ProcessingPurpose)) or 0)


def test_a_purpose_without_legal_basis_cannot_be_activated(world: World) -> None:
    world.login("owner1")
    body = statutory_purpose(world, legal_basis=None, name="校园风采展示", necessity="optional")
    made = world.client.post(f"/api/v1/processing/systems/{world.students}/purposes", json=body)
    assert made.status_code == 201, made.text
    purpose = made.json()
    assert purpose["status"] == "draft" and purpose["legal_basis"] is None

    refused = world.client.post(f"/api/v1/processing/purposes/{purpose['id']}/activate")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "purpose_without_legal_basis"
    assert "法律依据" in error["message"] and "第十三条" in error["message"]
    still = world.client.get(f"/api/v1/processing/purposes/{purpose['id']}").json()
    assert still["status"] == "draft"
    assert _events(world, "processing.purpose.activate") == []

    patched = world.client.patch(
        f"/api/v1/processing/purposes/{purpose['id']}", json={"legal_basis": "consent"}
    )
    assert patched.status_code == 200
    assert patched.json()["revision"] == 2
    assert patched.json()["basis_clause"] == "个人信息保护法 第十三条第一款第（一）项"
    activated = world.client.post(f"/api/v1/processing/purposes/{purpose['id']}/activate")
    assert activated.status_code == 200, activated.text
    assert activated.json()["status"] == "active"
    [event] = _events(world, "processing.purpose.activate")
    assert event.object_id == str(purpose["id"]) and event.username == "owner1"
    assert "第十三条第一款第（一）项" in (event.reason or "")
    # An active purpose keeps its basis.
    cleared = world.client.patch(
        f"/api/v1/processing/purposes/{purpose['id']}", json={"legal_basis": None}
    )
    assert cleared.status_code == 422
    assert cleared.json()["error"]["code"] == "purpose_basis_required"


def test_every_change_is_in_the_audit_log(world: World) -> None:
    world.login("pio1")
    made = world.client.post(
        f"/api/v1/processing/systems/{world.students}/purposes", json=statutory_purpose(world)
    )
    assert made.status_code == 201
    purpose_id = made.json()["id"]
    [created] = _events(world, "processing_purpose.create")
    assert created.object_id == str(purpose_id)
    assert "legal_basis" in created.field_list and "retention_period" in created.field_list
    assert len(_events(world, "processing_purpose_field.create")) == 2
    assert len(_events(world, "processing_recipient.create")) == 1

    changed = world.client.patch(
        f"/api/v1/processing/purposes/{purpose_id}",
        json={"retention_period": "毕业后 5 年", "field_ids": [world.fields["xs_jbxx.xh"]]},
    )
    assert changed.status_code == 200
    [updated] = _events(world, "processing_purpose.update")
    assert "retention_period" in updated.field_list
    assert len(_events(world, "processing_purpose_field.delete")) == 1
    # The names of changed columns are recorded, never their values.
    assert "毕业后" not in (updated.fields or "") and "毕业后" not in (updated.reason or "")


def test_fields_and_agreements_must_belong_to_the_system(world: World) -> None:
    world.login("owner1")
    foreign_field = world.canteen_fields["jg_kh.xm"]
    refused = world.client.post(
        f"/api/v1/processing/systems/{world.students}/purposes",
        json=statutory_purpose(world, field_ids=[foreign_field]),
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "purpose_field_not_in_system"
    assert str(foreign_field) in refused.json()["error"]["message"]

    recipients = [
        {"name": "别家公司", "kind": "third_party", "agreement_id": world.other_agreement}
    ]
    refused = world.client.post(
        f"/api/v1/processing/systems/{world.students}/purposes",
        json=statutory_purpose(world, recipients=recipients),
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "recipient_agreement_not_found"
    assert _purpose_count(world) == 0  # nothing half-written

    made = world.client.post(
        f"/api/v1/processing/systems/{world.students}/purposes", json=statutory_purpose(world)
    )
    [recipient] = made.json()["recipients"]
    assert recipient["agreement_id"] == world.agreement
    assert recipient["agreement"].startswith("示例运维公司（有效期")
    duplicate = world.client.post(
        f"/api/v1/processing/systems/{world.students}/purposes", json=statutory_purpose(world)
    )
    assert duplicate.status_code == 409


def test_who_may_read_and_edit(world: World) -> None:
    world.login("owner1")
    made = world.client.post(
        f"/api/v1/processing/systems/{world.students}/purposes", json=statutory_purpose(world)
    )
    purpose_id = made.json()["id"]
    body: dict[str, Any] = {"name": "成绩管理", "legal_basis": "statutory"}
    for username, read, write in (
        ("operator1", 200, 403),
        ("sup", 200, 403),
        ("user1", 403, 403),
        ("owner2", 404, 404),  # another school's owner: out of scope
    ):
        world.login(username)
        assert world.client.get(f"/api/v1/processing/purposes/{purpose_id}").status_code == read
        created = world.client.post(
            f"/api/v1/processing/systems/{world.students}/purposes", json=body
        )
        assert created.status_code == write, (username, created.text)
        activated = world.client.post(f"/api/v1/processing/purposes/{purpose_id}/activate")
        assert activated.status_code == write
    world.login("sup")
    assert (
        world.client.post(f"/api/v1/processing/systems/{world.students}/rules").status_code == 403
    )
    assert _purpose_count(world) == 1
    denied = _events(world, "access.denied")
    assert any(e.username == "operator1" and e.object_type == "processing:write" for e in denied)


def test_legal_bases_cite_pipl_article_13(world: World) -> None:
    world.login("operator1")
    bases = world.client.get("/api/v1/processing/legal-bases").json()
    assert [b["code"] for b in bases] == [
        "consent",
        "contract",
        "statutory",
        "emergency",
        "news",
        "published",
        "other_law",
    ]
    assert bases[2]["text"] == "为履行法定职责或者法定义务所必需"
    assert all(b["clause"].startswith("个人信息保护法 第十三条第一款") for b in bases)
