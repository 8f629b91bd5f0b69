"""Each requested field's treatment is shown to the requester and every approver; a field the
copy carries no value of (suppressed) cannot be approved without saying so; the export job
applies the treatment the catalog's reviewed types give, the one that was shown."""

from __future__ import annotations

import csv
import io
from typing import Any

from .conftest import World

FIELDS = ["xm", "cj", "xb"]


def _correct_to_health(world: World) -> None:
    """The owner reviews the score column as health data (a type the default policy suppresses)."""
    world.login("owner1")
    reviewed = world.client.post(
        f"/api/v1/catalog/fields/{world.fields['cj']['id']}/review",
        json={
            "decision": "correct",
            "reason": "本列实为体检视力结果",
            "pi_types": ["HEALTH"],
            "level": "general-4",  # health data is sensitive: never below 4级
        },
    )
    assert reviewed.status_code == 200, reviewed.text


def _request(world: World) -> dict[str, Any]:
    world.login("researcher")
    made = world.client.post(
        "/api/v1/releases",
        json={
            "dataset_id": world.dataset,
            "fields": FIELDS,
            "purpose": "学生体质健康统计研究",
            "recipient": "某师范大学课题组",
            "legal_basis": "《个人信息保护法》第十三条",
        },
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def test_treatments_shown_and_empty_fields_need_acknowledgement(world: World) -> None:
    _correct_to_health(world)
    release = _request(world)
    treatments = {t["field"]: t for t in release["treatments"]}
    assert list(treatments) == FIELDS
    assert treatments["cj"]["operator"] == "suppress" and treatments["cj"]["empty"]
    assert "输出为空" in treatments["cj"]["label"]
    assert treatments["xm"]["operator"] == "mask" and not treatments["xm"]["empty"]
    assert release["empty_fields"] == ["cj"]

    # The approvers see the same on the request page, with the acknowledgement box.
    for step in release["steps"]:
        decider = {"data_owner": "owner1", "pi_officer": "pio1"}[step["role"]]
        world.login(decider)
        page = world.client.get(f"/releases/{release['id']}")
        assert page.status_code == 200
        assert 'data-field="cj" data-treatment="suppress"' in page.text
        assert 'id="accept-empty"' in page.text
        plain = world.client.post(
            f"/api/v1/releases/{release['id']}/decision",
            json={"decision": "approve", "reason": "同意"},
        )
        assert plain.status_code == 422, plain.text
        assert plain.json()["error"]["code"] == "release_fields_empty"
        assert "cj" in plain.json()["error"]["message"]
        unchanged = world.client.get(f"/api/v1/releases/{release['id']}").json()
        assert unchanged["state"] == "submitted"
        acknowledged = world.client.post(
            f"/api/v1/releases/{release['id']}/decision",
            json={"decision": "approve", "reason": "同意", "accept_empty": True},
        )
        assert acknowledged.status_code == 200, acknowledged.text
    done = world.client.get(f"/api/v1/releases/{release['id']}").json()
    assert done["state"] == "approved"
    assert all(
        "已知悉" in (e["reason"] or "") for e in done["timeline"] if e["action"] == "approve"
    )

    assert world.work() == [release["id"]]
    world.login("researcher")
    got = world.client.get(f"/api/v1/releases/{release['id']}/download")
    assert got.status_code == 200, got.text
    table = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert len(table) == len(world.rows)
    # the copy does what was shown: the health column is empty, the names are masked
    assert all(row["cj"] == "" for row in table)
    assert all("*" in row["xm"] for row in table)


def test_request_form_shows_each_fields_treatment(world: World) -> None:
    _correct_to_health(world)
    world.login("researcher")
    page = world.client.get("/releases/new", params={"dataset_id": world.dataset})
    assert page.status_code == 200
    assert 'data-treatment="suppress"' in page.text and "抑制（输出为空）" in page.text
    assert 'data-treatment="mask"' in page.text


def test_console_decision_with_acknowledgement(world: World) -> None:
    _correct_to_health(world)
    release = _request(world)
    world.login("owner1")
    csrf = world.client.headers["X-CSRF-Token"]
    refused = world.client.post(
        f"/releases/{release['id']}/decision",
        data={"csrf_token": csrf, "decision": "approve", "reason": "同意"},
    )
    assert refused.status_code == 422 and "不含任何原值" in refused.text
    accepted = world.client.post(
        f"/releases/{release['id']}/decision",
        data={"csrf_token": csrf, "decision": "approve", "reason": "同意", "accept_empty": "yes"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303, accepted.text
