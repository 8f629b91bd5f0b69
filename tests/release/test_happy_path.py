"""A release end to end through the API: request → approval → job → requester's download."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select

from eduguard.audit.models import AuditEvent

from .conftest import World

APPROVED = ["xm", "sfzjh", "xb", "cj"]


def _request(world: World, **extra: Any) -> dict[str, Any]:
    world.login("researcher")
    body = {
        "dataset_id": world.dataset,
        "fields": APPROVED,
        "purpose": "义务教育阶段学业质量统计研究",
        "recipient": "某师范大学教育统计课题组",
        "legal_basis": "《个人信息保护法》第十三条；课题合同",
        "ethics_note": "伦理委员会批件（虚构编号 2026-01）",
        **extra,
    }
    made = world.client.post("/api/v1/releases", json=body)
    assert made.status_code == 201, made.text
    release: dict[str, Any] = made.json()
    return release


def _approve_all(world: World, release_id: int) -> dict[str, Any]:
    """Each step decided by its unit's role: the owner unit's 数据主管, then (for sensitive
    fields) its 个人信息保护负责人."""
    deciders = {"data_owner": "owner1", "pi_officer": "pio1"}
    state: dict[str, Any] = {}
    for step in world.client.get(f"/api/v1/releases/{release_id}").json()["steps"]:
        world.login(deciders[step["role"]])
        decided = world.client.post(
            f"/api/v1/releases/{release_id}/decision",
            json={"decision": "approve", "reason": "用途明确，字段最小必要"},
        )
        assert decided.status_code == 200, decided.text
        state = decided.json()
    return state


def _events(world: World, release_id: int, review_id: int) -> list[AuditEvent]:
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(
                    (AuditEvent.object_type == "release_request")
                    & (AuditEvent.object_id == str(release_id))
                    | (AuditEvent.object_type == "review_request")
                    & (AuditEvent.object_id == str(review_id))
                )
                .order_by(AuditEvent.id)
            )
        )


def test_request_approve_produce_and_download(world: World) -> None:
    release = _request(world)
    assert release["state"] == "submitted" and release["job_status"] == "waiting"
    assert release["fields"] == APPROVED
    steps = release["steps"]
    assert steps[0]["role"] == "data_owner" and steps[0]["unit_id"] == world.school
    assert steps[0]["status"] == "pending"
    # A resident ID is sensitive personal information: the PI officer's step applies.
    assert world.fields["sfzjh"]["sensitive"]
    assert [s["role"] for s in steps] == ["data_owner", "pi_officer"]

    approved = _approve_all(world, release["id"])
    assert approved["state"] == "approved" and approved["job_status"] == "queued"
    assert [s["status"] for s in approved["steps"]] == ["approved", "approved"]

    # The requester cannot download before the job has run.
    world.login("researcher")
    early = world.client.get(f"/api/v1/releases/{release['id']}/download")
    assert early.status_code == 409

    assert world.work() == [release["id"]]
    done = world.client.get(f"/api/v1/releases/{release['id']}").json()
    assert done["state"] == "fulfilled" and done["job_status"] == "succeeded"
    assert done["rows_exported"] == len(world.rows)
    assert [e["action"] for e in done["timeline"]] == ["submit", "approve", "approve", "fulfil"]

    got = world.client.get(f"/api/v1/releases/{release['id']}/download")
    assert got.status_code == 200, got.text
    text = got.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == APPROVED  # only the approved fields, in the requested order
    assert len(table) == len(world.rows) + 1
    for row in world.rows:  # no planted ID number, no unapproved column's value
        assert row["sfzjh"] not in text
        assert row["lxdh"] not in text
        assert row["xh"] not in text
    assert "lxdh" not in text and "csrq" not in text

    report = world.client.get(f"/api/v1/releases/{release['id']}/download?report=true")
    assert report.status_code == 200
    body = json.loads(report.content)
    columns = {c["column"]: c for c in body["tables"][0]["columns"]}
    assert list(columns) == APPROVED
    assert columns["sfzjh"]["operator"] and columns["sfzjh"]["rows_changed"] == len(world.rows)
    assert columns["xm"]["operator"] and columns["xm"]["rows_changed"] == len(world.rows)
    assert "lxdh" not in report.text
    assert body["release"]["fields"] == APPROVED
    assert [a["decided_by"] for a in body["release"]["approvals"]] == ["owner1", "pio1"]
    assert body["release"]["recipient"] == "某师范大学教育统计课题组"
    assert str(world.home) not in report.text and "students.csv" in body["source"]
    assert str(world.home.parent) not in report.text  # no server paths for the recipient

    # Only the requester downloads: not the owner who approved it, not a supervisor.
    for other in ("owner1", "county-sup"):
        world.login(other)
        assert world.client.get(f"/api/v1/releases/{release['id']}").status_code == 200
        denied = world.client.get(f"/api/v1/releases/{release['id']}/download")
        assert denied.status_code == 403, (other, denied.text)

    # both1 may download releases (数据使用) and sees this one (数据主管 of the owner unit),
    # but did not request it.
    world.login("both1")
    foreign = world.client.get(f"/api/v1/releases/{release['id']}/download")
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "not_requester"

    events = _events(world, release["id"], release["review_id"])
    actions = [e.action for e in events]
    for expected in (
        "release.request",
        "review.submit",
        "review.approve",
        "release.produce",
        "review.fulfil",
        "release.download",
    ):
        assert expected in actions, (expected, actions)
    assert actions.count("review.approve") == 2
    approvals = [e for e in events if e.action == "review.approve"]
    assert {e.username for e in approvals} == {"owner1", "pio1"}
    assert all("用途明确" in (e.reason or "") for e in approvals)
    refused = [e for e in events if e.action == "release.download" and e.result == "denied"]
    assert [e.username for e in refused] == ["researcher", "both1"]  # too early; not theirs
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:  # roles without release:export are refused before the route
        denied = session.scalars(
            select(AuditEvent.username).where(
                AuditEvent.action == "access.denied",
                AuditEvent.object_type == "release:export",
                AuditEvent.object_id == str(release["id"]),
            )
        ).all()
    assert sorted(denied) == ["county-sup", "owner1"]
    downloads = [e for e in events if e.action == "release.download" and e.result == "ok"]
    assert len(downloads) == 2 and downloads[0].username == "researcher"
    assert sorted(downloads[0].field_list) == sorted(APPROVED) and downloads[0].row_count == len(
        world.rows
    )
    produced = next(e for e in events if e.action == "release.produce")
    assert sorted(produced.field_list) == sorted(APPROVED) and produced.row_count == len(world.rows)
    # Events carry field names only, never values.
    for event in events:
        for row in world.rows[:5]:
            assert row["sfzjh"] not in (event.reason or "")


def test_k_anonymity_on_quasi_identifiers(world: World) -> None:
    release = _request(world, fields=["xb", "csrq", "cj"], quasi_identifiers=["xb", "csrq"], k=5)
    sensitive = any(world.fields[name]["sensitive"] for name in ("xb", "csrq", "cj"))
    roles = ["data_owner", "pi_officer"] if sensitive else ["data_owner"]
    assert [s["role"] for s in release["steps"]] == roles, {
        n: (f["pi_types"], f["sensitive"]) for n, f in world.fields.items()
    }
    _approve_all(world, release["id"])
    assert world.work() == [release["id"]]
    world.login("researcher")
    report = world.client.get(f"/api/v1/releases/{release['id']}/download?report=true").json()
    model = report["tables"][0]["k_anonymity"]
    assert model["k_requested"] == 5 and model["k_achieved"] >= 5
    data = world.client.get(f"/api/v1/releases/{release['id']}/download").content.decode(
        "utf-8-sig"
    )
    table = list(csv.reader(io.StringIO(data)))
    assert table[0] == ["xb", "csrq", "cj"]
    birth_dates = {row["csrq"] for row in world.rows}
    published = [r[1] for r in table[1:]]
    assert sum(value in birth_dates for value in published) < len(published)  # generalised
