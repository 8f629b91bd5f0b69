"""Issue #13 item 20: request bodies take their declared types — an id is not a bool
(``owner_unit_id: false`` was read as 0), a date is not a number (``valid_from: 0`` was
1970-01-01) — while strings from console forms parse as before."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _fields(response: Any) -> set[str]:
    return {detail["field"] for detail in response.json()["error"]["details"]}


def test_bools_for_ids_and_numbers_for_dates_are_refused(admin_client: TestClient) -> None:
    unit = admin_client.post("/api/v1/units", json={"name": "丁中学", "kind": "school"}).json()
    made = admin_client.post(
        "/api/v1/systems", json={"name": "丁校系统", "unit_id": unit["id"], "owner_unit_id": False}
    )
    assert made.status_code == 422 and _fields(made) == {"owner_unit_id"}
    system = admin_client.post(
        "/api/v1/systems", json={"name": "丁校系统", "unit_id": unit["id"]}
    ).json()
    for body, field in (
        ({"owner_unit_id": False}, "owner_unit_id"),
        ({"mlps_level": True}, "mlps_level"),
        ({"pi_subject_count": 12.0}, "pi_subject_count"),
        ({"user_unit_ids": [True]}, "user_unit_ids.0"),
    ):
        patched = admin_client.patch(f"/api/v1/systems/{system['id']}", json=body)
        assert patched.status_code == 422, (body, patched.text)
        assert _fields(patched) == {field}
    assert admin_client.get(f"/api/v1/systems/{system['id']}").json()["mlps_level"] is None

    form = {"unit_id": str(unit["id"]), "provider": "某云服务商", "valid_until": "2027-08-31"}
    zero = admin_client.post("/api/v1/agreements", data={**form, "valid_from": "0"})
    assert zero.status_code == 422 and "valid_from" in zero.text
    agreement = admin_client.post("/api/v1/agreements", data={**form, "valid_from": "2026-09-01"})
    assert agreement.status_code == 201, agreement.text
    agreement_id = agreement.json()["id"]
    for value in (0, 1_700_000_000, "0"):
        patched = admin_client.patch(
            f"/api/v1/agreements/{agreement_id}", json={"valid_from": value}
        )
        assert patched.status_code == 422 and _fields(patched) == {"valid_from"}
    good = admin_client.patch(
        f"/api/v1/agreements/{agreement_id}", json={"valid_from": "2026-10-01"}
    )
    assert good.status_code == 200 and good.json()["valid_from"] == "2026-10-01"
    # The token API: an integer lifetime, not a bool.
    token = admin_client.post(
        "/api/v1/account/tokens", json={"name": "t", "scopes": ["unit:read"], "days": True}
    )
    assert token.status_code == 422 and _fields(token) == {"days"}


def test_console_forms_still_send_strings(admin_client: TestClient) -> None:
    unit = admin_client.post("/api/v1/units", json={"name": "戊中学", "kind": "school"}).json()
    csrf = admin_client.headers["X-CSRF-Token"]
    page = admin_client.post(
        "/systems/new",
        data={
            "csrf_token": csrf,
            "name": "戊校教务",
            "unit_id": str(unit["id"]),
            "owner_unit_id": str(unit["id"]),
            "mlps_level": "2",
            "pi_subject_count": "300",
        },
    )
    assert page.status_code == 200, page.text
    systems = admin_client.get("/api/v1/systems", params={"unit_id": unit["id"]}).json()
    assert [(s["name"], s["mlps_level"], s["pi_subject_count"]) for s in systems] == [
        ("戊校教务", 2, 300)
    ]


def test_ids_in_bodies_are_bounded(admin_client: TestClient) -> None:
    unit = admin_client.post("/api/v1/units", json={"name": "庚中学", "kind": "school"}).json()
    for body, field in (
        ({"unit_id": 2**31}, "unit_id"),
        ({"unit_id": unit["id"], "operator_unit_id": 2**63}, "operator_unit_id"),
        ({"unit_id": unit["id"], "user_unit_ids": [unit["id"], 2**31]}, "user_unit_ids.1"),
        ({"unit_id": 0}, "unit_id"),
    ):
        made = admin_client.post("/api/v1/systems", json={"name": "庚校系统", **body})
        assert made.status_code == 422, (body, made.text)
        assert _fields(made) == {field}
