"""The collection review over the JSON API: a plan in the body (typed form or a file in
base64), the pre-checks in the answer, approval refused while they fail, and an unreadable
plan refused in Chinese with no review left behind."""

from __future__ import annotations

import base64
import io

from openpyxl import load_workbook

from eduguard.identity.models import Role

from .conftest import World
from .plans import OPENAPI_YAML
from .test_review import APP_FORM

API = "/api/v1/collection"


def test_review_over_the_api(world: World) -> None:
    client = world.client
    world.login("vendor")
    made = client.post(
        f"{API}/reviews",
        json={"system_id": world.app, "system_type": "jiaxiao_app", "form": APP_FORM},
    )
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["state"] == "draft"
    assert {"minimum_necessary", "one_source", "sensitive"} <= set(plan["blocking"])
    names = {f["name"] for f in plan["fields"]}
    assert {"身份证号", "家庭住址", "人脸照片"} <= names

    patched = client.patch(f"{API}/reviews/{plan['id']}", json={"purpose": "家校沟通与通知"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["purpose"] == "家校沟通与通知"
    bad_minutes = client.post(
        f"{API}/reviews/{plan['id']}/minutes",
        json={"file_name": "纪要.exe", "content_base64": base64.b64encode(b"x").decode()},
    )
    assert bad_minutes.status_code == 422 and bad_minutes.json()["error"]["code"] == "minutes_type"
    assert client.post(f"{API}/reviews/{plan['id']}/submit").status_code == 200

    # the CI check: nothing approved yet for the app, so its personal fields are reported
    checked = client.post(f"{API}/check", json={"system_id": world.app, "form": APP_FORM})
    assert checked.status_code == 200, checked.text
    assert checked.json()["ok"] is False and checked.json()["unapproved"] >= 3

    world.login("owner")
    listed = client.get(f"{API}/reviews")
    assert [p["id"] for p in listed.json()] == [plan["id"]]
    refused = client.post(
        f"{API}/reviews/{plan['id']}/decision", json={"decision": "approve", "reason": "同意采集"}
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "collection_checks_failed"
    returned = client.post(
        f"{API}/reviews/{plan['id']}/decision", json={"decision": "return", "reason": "补充材料"}
    )
    assert returned.status_code == 200 and returned.json()["state"] == "draft"

    summary = client.get(f"{API}/reviews/{plan['id']}/summary.xlsx")
    assert summary.status_code == 200 and summary.content[:2] == b"PK"
    sheets = load_workbook(io.BytesIO(summary.content), read_only=True).sheetnames
    assert sheets == ["采集字段", "预检", "审批"]

    # a data user (who posts notices) does not see collection reviews
    world.accounts.create("poster", {Role.data_user}, unit_id=world.school)
    world.login("poster")
    assert client.get(f"{API}/reviews/{plan['id']}").status_code == 403


def test_unreadable_plans_leave_no_review(world: World) -> None:
    client = world.client
    world.login("vendor")
    base = {"system_id": world.app, "system_type": "jiaxiao_app"}
    corrupt = base64.b64encode(b"PK\x03\x04 not really a workbook").decode()
    for body, code in (
        ({"file_name": "采集表.xlsx", "content_base64": corrupt}, None),
        ({"file_name": "采集表.csv", "content_base64": base64.b64encode(b"\n\n").decode()}, None),
        ({"file_name": "a.csv", "content_base64": "***"}, "invalid_base64"),
        ({"form": APP_FORM, "file_name": "a.csv", "content_base64": corrupt}, None),
        ({"form": "学生姓名\x00\n"}, "validation_failed"),  # no NUL reaches the database
    ):
        answer = client.post(f"{API}/reviews", json=base | body)
        assert answer.status_code == 422, answer.text
        if code:
            assert answer.json()["error"]["code"] == code
        if "form" not in body and code is None:
            message = answer.json()["error"]["message"]
            assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert client.get(f"{API}/reviews").json() == []


def test_openapi_yaml_over_the_api(world: World) -> None:
    client = world.client
    world.login("vendor")
    content = base64.b64encode(OPENAPI_YAML.encode()).decode()
    base = {"system_id": world.app, "system_type": "jiaxiao_app"}
    made = client.post(
        f"{API}/reviews", json=base | {"file_name": "家校通接口.yml", "content_base64": content}
    )
    assert made.status_code == 201, made.text
    fields = {f["name"]: f for f in made.json()["fields"]}
    assert fields["idCard"]["pi_types"] == ["CN_RESIDENT_ID"]
    assert made.json()["source_kind"] == "openapi"
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"b{i}: &b{i} [{', '.join(['*' + ('a' if i == 0 else f'b{i - 1}')] * 10)}]\n"
        for i in range(8)
    )
    refused = client.post(
        f"{API}/reviews",
        json=base
        | {"file_name": "bomb.yaml", "content_base64": base64.b64encode(bomb.encode()).decode()},
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "plan_yaml_alias"
    assert "别名" in refused.json()["error"]["message"]
    assert [p["id"] for p in client.get(f"{API}/reviews").json()] == [made.json()["id"]]
