"""The JSON API for units, systems and agreements: happy paths and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from eduguard.identity.models import Role


def make_tree(client: TestClient) -> dict[str, int]:
    ids: dict[str, int] = {}
    for key, name, kind, parent in [
        ("province", "甲省教育厅", "province", None),
        ("city", "乙市教育局", "city", "province"),
        ("county", "丙县教育局", "county", "city"),
        ("a", "丙县一中", "school", "county"),
        ("b", "丙县二小", "school", "county"),
    ]:
        body: dict[str, Any] = {"name": name, "kind": kind}
        if parent:
            body["parent_id"] = ids[parent]
        response = client.post("/api/v1/units", json=body)
        assert response.status_code == 201, response.text
        ids[key] = response.json()["id"]
    return ids


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert "Traceback" not in response.text
    if code is not None:
        assert body["error"]["code"] == code
    error: dict[str, Any] = body["error"]
    return error


def test_health_is_public(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/health")
    assert response.json()["status"] == "ok"


def test_api_requires_login(app_client: TestClient) -> None:
    assert_error(app_client.get("/api/v1/units"), 401, "not_authenticated")


def test_unit_and_system_lifecycle(admin_client: TestClient) -> None:
    ids = make_tree(admin_client)
    created = admin_client.post(
        "/api/v1/systems",
        json={
            "name": "县域学籍系统",
            "unit_id": ids["county"],
            "storage_location": "domestic",
            "mlps_level": 2,
            "pi_subject_count": 48000,
            "user_unit_ids": [ids["a"], ids["b"]],
        },
    )
    assert created.status_code == 201, created.text
    system = created.json()
    assert system["owner_unit"]["name"] == "丙县教育局"
    assert sorted(u["name"] for u in system["user_units"]) == ["丙县一中", "丙县二小"]

    patched = admin_client.patch(f"/api/v1/systems/{system['id']}", json={"mlps_level": 3})
    assert patched.json()["mlps_level"] == 3
    listed = admin_client.get("/api/v1/systems", params={"search": "学籍"}).json()
    assert [s["id"] for s in listed] == [system["id"]]

    assert_error(admin_client.post(f"/api/v1/units/{ids['county']}/archive"), 409, "unit_in_use")
    archived = admin_client.post(f"/api/v1/systems/{system['id']}/archive")
    assert archived.json()["archived"] is True
    assert admin_client.get("/api/v1/systems").json() == []
    everything = admin_client.get("/api/v1/systems", params={"include_archived": True}).json()
    assert len(everything) == 1


def test_duplicate_name_is_a_conflict_and_changes_nothing(admin_client: TestClient) -> None:
    ids = make_tree(admin_client)
    before = admin_client.get("/api/v1/units").json()
    error = assert_error(
        admin_client.post(
            "/api/v1/units", json={"name": "丙县一中", "kind": "school", "parent_id": ids["county"]}
        ),
        409,
    )
    assert "同名" in error["message"]
    assert admin_client.get("/api/v1/units").json() == before


def test_system_with_unknown_owner_unit(admin_client: TestClient) -> None:
    ids = make_tree(admin_client)
    error = assert_error(
        admin_client.post(
            "/api/v1/systems", json={"name": "x", "unit_id": ids["a"], "owner_unit_id": 424242}
        ),
        422,
        "unit_not_found",
    )
    assert "主管单位不存在" in error["message"]
    assert admin_client.get("/api/v1/systems").json() == []


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"[1, 2]",
        b'{"name": "", "kind": "school"}',
        b'{"name": "x", "kind": "castle"}',
        b'{"name": "x", "kind": "school", "unexpected": 1}',
        b'{"name": "x", "kind": "school", "code": "123"}',
    ],
)
def test_malformed_json_gets_a_clear_error(admin_client: TestClient, payload: bytes) -> None:
    response = admin_client.post(
        "/api/v1/units", content=payload, headers={"content-type": "application/json"}
    )
    error = assert_error(response, 422, "validation_failed")
    assert error["message"] == "请求内容不正确"
    assert error["details"]
    assert admin_client.get("/api/v1/units").json() == []


def test_english_errors_on_request(admin_client: TestClient) -> None:
    admin_client.cookies.set("lang", "en")
    error = assert_error(admin_client.get("/api/v1/units/999"), 404, "unit_not_found")
    assert error["message"] == "unit 999 not found"


def test_csrf_token_is_required_for_changes(admin_client: TestClient) -> None:
    del admin_client.headers["X-CSRF-Token"]
    response = admin_client.post("/api/v1/units", json={"name": "甲省", "kind": "province"})
    assert_error(response, 403, "csrf_failed")
    admin_client.headers["X-CSRF-Token"] = "forged"
    assert_error(admin_client.post("/api/v1/units", json={"name": "甲省", "kind": "province"}), 403)


def agreement_form(unit_id: int) -> dict[str, str]:
    return {
        "unit_id": str(unit_id),
        "provider": "示例科技公司",
        "scope": "学生姓名、班级",
        "valid_from": "2026-01-01",
        "valid_until": "2027-01-01",
    }


def test_agreement_with_document(admin_client: TestClient) -> None:
    ids = make_tree(admin_client)
    response = admin_client.post(
        "/api/v1/agreements",
        data=agreement_form(ids["a"]),
        files={"document": ("协议.pdf", b"%PDF-1.4 synthetic", "application/pdf")},
    )
    assert response.status_code == 201, response.text
    agreement = response.json()
    assert agreement["document_name"] == "协议.pdf"
    download = admin_client.get(f"/api/v1/agreements/{agreement['id']}/document")
    assert download.content == b"%PDF-1.4 synthetic"


def test_oversized_upload_is_refused_and_changes_nothing(admin_client: TestClient) -> None:
    ids = make_tree(admin_client)
    big = b"x" * (65 * 1024)  # settings allow 64 KiB
    response = admin_client.post(
        "/api/v1/agreements",
        data=agreement_form(ids["a"]),
        files={"document": ("big.pdf", big, "application/pdf")},
    )
    assert_error(response, 413)
    huge = b"x" * (300 * 1024)  # beyond the body limit: refused before it is read
    response = admin_client.post(
        "/api/v1/agreements",
        data=agreement_form(ids["a"]),
        files={"document": ("huge.pdf", huge, "application/pdf")},
    )
    assert_error(response, 413, "payload_too_large")
    assert admin_client.get("/api/v1/agreements").json() == []


def test_agreement_with_reversed_period(admin_client: TestClient) -> None:
    ids = make_tree(admin_client)
    form = agreement_form(ids["a"]) | {"valid_until": "2025-01-01"}
    error = assert_error(admin_client.post("/api/v1/agreements", data=form), 422)
    assert "早于" in str(error["details"])


def test_school_account_sees_only_its_school(admin_client: TestClient, accounts: Any) -> None:
    ids = make_tree(admin_client)
    for unit in ("a", "b"):
        response = admin_client.post(
            "/api/v1/systems", json={"name": f"{unit} 校园网", "unit_id": ids[unit]}
        )
        assert response.status_code == 201
    other = admin_client.get("/api/v1/systems").json()
    b_system = next(s["id"] for s in other if s["unit_id"] == ids["b"])

    accounts.create("owner-a", {Role.data_owner}, unit_id=ids["a"])
    accounts.login(admin_client, "owner-a")
    visible = admin_client.get("/api/v1/systems").json()
    assert [s["unit_id"] for s in visible] == [ids["a"]]
    assert_error(admin_client.get(f"/api/v1/systems/{b_system}"), 404, "system_not_found")
    assert_error(admin_client.patch(f"/api/v1/systems/{b_system}", json={"mlps_level": 1}), 404)
    # a data owner may register systems, but not units
    assert_error(admin_client.post("/api/v1/units", json={"name": "x", "kind": "school"}), 403)
    response = admin_client.post("/api/v1/systems", json={"name": "越权", "unit_id": ids["b"]})
    assert_error(response, 422, "unit_not_found")


def test_me_and_logout(admin_client: TestClient) -> None:
    me = admin_client.get("/api/v1/auth/me").json()
    assert me["roles"] == ["system_admin"]
    assert me["role_labels"] == ["系统管理员"]
    assert admin_client.post("/api/v1/auth/logout").status_code == 204
    assert_error(admin_client.get("/api/v1/auth/me"), 401)


def test_wrong_password_and_unknown_user_look_the_same(
    app_client: TestClient, accounts: Any
) -> None:
    accounts.create("known", {Role.data_user})
    wrong = app_client.post("/api/v1/auth/login", json={"username": "known", "password": "nope"})
    unknown = app_client.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_security_headers(app_client: TestClient) -> None:
    response = app_client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_agreement_edit_and_late_document(admin_client: TestClient) -> None:
    ids = make_tree(admin_client)
    created = admin_client.post("/api/v1/agreements", data=agreement_form(ids["a"])).json()
    patched = admin_client.patch(
        f"/api/v1/agreements/{created['id']}", json={"valid_until": "2028-06-30", "scope": "成绩"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["valid_until"] == "2028-06-30"
    assert patched.json()["scope"] == "成绩"
    reversed_period = admin_client.patch(
        f"/api/v1/agreements/{created['id']}", json={"valid_until": "2020-01-01"}
    )
    assert_error(reversed_period, 422, "invalid_period")
    assert (
        admin_client.get(f"/api/v1/agreements/{created['id']}").json()["valid_until"]
        == "2028-06-30"
    )
