"""Who may decide and who may see: rejection, return, withdrawal, no self-approval, scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from eduguard.audit.models import AuditEvent

from .conftest import World

REASON = {"decision": "reject", "reason": "用途不明确，缺少课题批准材料"}


def _request(world: World, username: str = "researcher", **extra: Any) -> dict[str, Any]:
    world.login(username)
    body = {
        "dataset_id": world.dataset,
        "fields": ["xb", "cj"],
        "purpose": "学业成绩分布统计",
        "recipient": "县教研室",
        "legal_basis": "统计法；教研工作职责",
        **extra,
    }
    made = world.client.post("/api/v1/releases", json=body)
    assert made.status_code == 201, made.text
    release: dict[str, Any] = made.json()
    return release


def _actions(world: World, object_type: str, object_id: int) -> list[str]:
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == object_type)
                .where(AuditEvent.object_id == str(object_id))
                .order_by(AuditEvent.id)
            )
        )


def test_rejection_closes_the_request_and_nothing_is_produced(world: World) -> None:
    release = _request(world)
    world.login("owner1")
    rejected = world.client.post(f"/api/v1/releases/{release['id']}/decision", json=REASON)
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert body["state"] == "rejected" and body["job_status"] == "waiting"
    assert body["steps"][0]["status"] == "rejected"
    assert body["steps"][0]["reason"] == REASON["reason"]
    assert world.work() == []
    again = world.client.post(
        f"/api/v1/releases/{release['id']}/decision",
        json={"decision": "approve", "reason": "改变主意"},
    )
    assert again.status_code == 409
    world.login("researcher")
    assert world.client.get(f"/api/v1/releases/{release['id']}/download").status_code == 409
    assert world.client.post(f"/api/v1/releases/{release['id']}/submit").status_code == 409
    reviews = _actions(world, "review_request", release["review_id"])
    assert "review.submit" in reviews and "review.reject" in reviews
    assert "review.approve" not in reviews
    # A decision needs a reason.
    second = _request(world)
    world.login("owner1")
    bare = world.client.post(
        f"/api/v1/releases/{second['id']}/decision", json={"decision": "approve", "reason": " "}
    )
    assert bare.status_code == 422
    assert world.client.get(f"/api/v1/releases/{second['id']}").json()["state"] == "submitted"


def test_return_resubmit_and_withdraw(world: World) -> None:
    release = _request(world)
    world.login("owner1")
    returned = world.client.post(
        f"/api/v1/releases/{release['id']}/decision",
        json={"decision": "return", "reason": "请补充伦理审查说明"},
    )
    assert returned.json()["state"] == "draft"
    # Only the requester resubmits.
    assert world.client.post(f"/api/v1/releases/{release['id']}/submit").status_code == 403
    world.login("researcher")
    resubmitted = world.client.post(f"/api/v1/releases/{release['id']}/submit")
    assert resubmitted.status_code == 200 and resubmitted.json()["state"] == "submitted"
    assert resubmitted.json()["steps"][0]["status"] == "pending"
    withdrawn = world.client.post(f"/api/v1/releases/{release['id']}/withdraw")
    assert withdrawn.json()["state"] == "withdrawn"
    timeline = [e["action"] for e in withdrawn.json()["timeline"]]
    assert timeline == ["submit", "return", "submit", "withdraw"]
    world.login("owner1")
    late = world.client.post(
        f"/api/v1/releases/{release['id']}/decision",
        json={"decision": "approve", "reason": "同意"},
    )
    assert late.status_code == 409
    reviews = _actions(world, "review_request", release["review_id"])
    for action in ("review.submit", "review.return", "review.withdraw"):
        assert action in reviews


def test_no_self_approval(world: World) -> None:
    # both1 is the owner unit's 数据主管 *and* a 数据使用 account: it may request, never decide
    # its own request.
    release = _request(world, username="both1")
    own = world.client.post(
        f"/api/v1/releases/{release['id']}/decision",
        json={"decision": "approve", "reason": "本人同意"},
    )
    assert own.status_code == 403 and own.json()["error"]["code"] == "self_approval"
    detail = world.client.get(f"/api/v1/releases/{release['id']}").json()
    assert detail["state"] == "submitted" and detail["can_decide"] is False
    assert detail["steps"][0]["status"] == "pending"
    world.login("owner1")
    assert world.client.get(f"/api/v1/releases/{release['id']}").json()["can_decide"] is True


def test_out_of_scope_is_not_found(world: World) -> None:
    release = _request(world)
    path = f"/api/v1/releases/{release['id']}"
    # Another school's owner and data user: the request does not exist for them.
    for username in ("owner2", "user2"):
        world.login(username)
        assert world.client.get(path).status_code == 404
        assert world.client.get(f"/releases/{release['id']}").status_code == 404
        assert world.client.get("/api/v1/releases").json() == []
    world.login("owner2")
    decided = world.client.post(f"{path}/decision", json={"decision": "approve", "reason": "同意"})
    assert decided.status_code == 404
    world.login("user2")
    assert world.client.post(f"{path}/withdraw").status_code == 404
    assert world.client.get(f"{path}/download").status_code == 404
    # user2 cannot even request data of a system outside its unit.
    outside = world.client.post(
        "/api/v1/releases",
        json={
            "dataset_id": world.dataset,
            "fields": ["xb"],
            "purpose": "越权申请测试",
            "recipient": "某机构",
            "legal_basis": "未提供依据",
        },
    )
    assert outside.status_code == 404
    # The county supervisor sees it (read-only); deciding is not its role.
    world.login("county-sup")
    assert world.client.get(path).status_code == 200
    assert [r["id"] for r in world.client.get("/api/v1/releases").json()] == [release["id"]]
    pending = world.client.get("/api/v1/releases", params={"state": "submitted"}).json()
    assert [r["id"] for r in pending] == [release["id"]]
    assert world.client.get("/api/v1/releases", params={"state": "approved"}).json() == []
    assert world.client.post(f"{path}/decision", json=REASON).status_code == 403
    # The PI officer decides the second step only, once the owner has approved.
    world.login("pio1")
    assert world.client.get(path).status_code == 200  # watcher of its own unit's requests
    refused = world.client.post(f"{path}/decision", json=REASON)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_decider"


def test_requested_fields_must_exist_and_stay_consistent(world: World) -> None:
    world.login("researcher")
    base = {
        "dataset_id": world.dataset,
        "purpose": "学业成绩分布统计",
        "recipient": "县教研室",
        "legal_basis": "统计法",
    }
    unknown = world.client.post("/api/v1/releases", json={**base, "fields": ["xb", "no_such"]})
    assert unknown.status_code == 422 and "no_such" in unknown.text
    quasi = world.client.post(
        "/api/v1/releases", json={**base, "fields": ["xb"], "quasi_identifiers": ["cj"], "k": 3}
    )
    assert quasi.status_code == 422
    assert world.client.get("/api/v1/releases").json() == []  # nothing half-made
