"""The register's console pages: a data owner adds and activates purposes through forms; a bad
form or an activation without a legal basis shows a Chinese error and writes nothing; a role
with read access only sees no edit controls."""

from __future__ import annotations

from sqlalchemy import func, select

from eduguard.processing.models import ProcessingPurpose

from .conftest import World


def _count(world: World) -> int:
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(ProcessingPurpose)) or 0)


def test_owner_keeps_the_register_in_the_console(world: World) -> None:
    world.login("owner1")
    listing = world.client.get("/processing")
    assert listing.status_code == 200 and "一小学籍系统" in listing.text
    assert "二小学籍系统" not in listing.text  # another school's system
    form = world.client.get(f"/processing/systems/{world.students}/purposes/new")
    assert form.status_code == 200
    assert f'name="field_ids" value="{world.fields["xs_jbxx.xm"]}"' in form.text
    assert "（3）履行法定职责或者法定义务所必需" in form.text

    blank = world.client.post(
        f"/processing/systems/{world.students}/purposes/new", data={"name": " "}
    )
    assert blank.status_code == 422 and "名称：不能为空" in blank.text
    assert _count(world) == 0

    made = world.client.post(
        f"/processing/systems/{world.students}/purposes/new",
        data={
            "name": "校园风采展示",
            "necessity": "optional",
            "retention_period": "发布后 1 年",
            "field_ids": [str(world.fields["xs_jbxx.xm"])],
            "r0_name": "示例运维公司",
            "r0_kind": "processor",
            "r0_agreement_id": str(world.agreement),
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page = world.client.get(f"/processing/systems/{world.students}")
    assert "校园风采展示" in page.text and "未登记" in page.text
    assert "儿童个人信息专门规则" in page.text  # the catalog holds children's data
    purpose_id = world.client.get(f"/api/v1/processing/systems/{world.students}").json()[
        "purposes"
    ][0]["id"]

    refused = world.client.post(f"/processing/purposes/{purpose_id}/activate")
    assert refused.status_code == 422
    assert "尚未登记法律依据，不能启用" in refused.text

    edit = world.client.get(f"/processing/purposes/{purpose_id}/edit")
    assert edit.status_code == 200 and 'value="示例运维公司"' in edit.text
    saved = world.client.post(
        f"/processing/purposes/{purpose_id}/edit",
        data={
            "name": "校园风采展示",
            "legal_basis": "consent",
            "necessity": "optional",
            "retention_period": "发布后 1 年",
            "field_ids": [str(world.fields["xs_jbxx.xm"])],
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    activated = world.client.post(
        f"/processing/purposes/{purpose_id}/activate", follow_redirects=False
    )
    assert activated.status_code == 303
    purpose = world.client.get(f"/api/v1/processing/purposes/{purpose_id}").json()
    assert purpose["status"] == "active" and purpose["legal_basis"] == "consent"
    assert purpose["recipients"] == []  # the edit form sent none
    preview = world.client.get(f"/processing/systems/{world.students}/preview")
    assert preview.status_code == 200 and "取得个人的同意" in preview.text


def test_readers_see_no_edit_controls(world: World) -> None:
    world.login("sup")
    page = world.client.get(f"/processing/systems/{world.students}")
    assert page.status_code == 200
    assert 'id="new-purpose"' not in page.text and 'id="publish"' not in page.text
    assert world.client.get(f"/processing/systems/{world.students}/purposes/new").status_code == 403
    world.login("user1")
    assert world.client.get("/processing").status_code == 403
