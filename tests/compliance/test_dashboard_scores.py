"""The posture dashboard carries the compliance score: per unit over its subtree, in the
supervisor's ranking (lowest first on request), only for callers who may read compliance."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from eduguard.identity.models import Role

from .test_api import setup_world


def _ranking(client: TestClient, **params: Any) -> dict[int, dict[str, Any]]:
    got = client.get("/api/v1/dashboard/units", params=params)
    assert got.status_code == 200, got.text
    return {row["id"]: row for row in got.json()["units"]}


def test_supervisor_sees_scores_that_follow_the_findings(
    admin_client: TestClient, accounts: Any
) -> None:
    ids = setup_world(admin_client)
    accounts.create("county-sup", {Role.supervisor}, unit_id=ids["county"])
    accounts.create("owner-a", {Role.data_owner}, unit_id=ids["a"])
    accounts.create("reader", {Role.data_user}, unit_id=ids["county"])
    assert admin_client.post("/api/v1/compliance/evaluate", json={}).status_code == 200

    accounts.login(admin_client, "county-sup")
    before = _ranking(admin_client)
    assert set(before) == {ids["a"], ids["b"]}
    a, b = before[ids["a"]], before[ids["b"]]
    assert a["open_findings"] >= 2 and a["score"] < 100
    assert (a["score"], a["open_findings"]) == (b["score"], b["open_findings"])  # alike
    # The county's own figure covers both schools' findings.
    county = admin_client.get("/api/v1/dashboard").json()["compliance"]
    assert county["open_findings"] == a["open_findings"] + b["open_findings"]
    assert sum(county["open_by_severity"].values()) == county["open_findings"]
    assert any("第" in clause for clause in county["findings_by_clause"])
    page = admin_client.get("/dashboard")
    assert page.status_code == 200 and 'id="compliance-score"' in page.text
    assert f'href="/compliance?unit_id={ids["a"]}"' in page.text  # drill-down to findings

    # School A records its cross-border assessment and is re-evaluated: its score rises.
    accounts.login(admin_client, "owner-a")
    facts = admin_client.patch(
        f"/api/v1/systems/{ids['a_system']}/compliance-facts",
        json={
            "cross_border_assessment_ref": "示例评估〔2026〕9号",
            "cross_border_assessment_date": "2025-11-03",
        },
    )
    assert facts.status_code == 200, facts.text
    assert admin_client.post("/api/v1/compliance/evaluate", json={}).json()["resolved"] == 1
    accounts.login(admin_client, "county-sup")
    after = _ranking(admin_client)
    assert after[ids["a"]]["open_findings"] == a["open_findings"] - 1
    assert after[ids["a"]]["score"] > a["score"]
    assert after[ids["b"]] == b
    # Ranked by score, the weaker school comes first.
    ranked = admin_client.get("/api/v1/dashboard/units", params={"sort": "score"}).json()
    assert [row["id"] for row in ranked["units"]] == [ids["b"], ids["a"]]

    # A data user reads the catalog dashboard but holds no compliance:read: no scores.
    accounts.login(admin_client, "reader")
    plain = admin_client.get("/api/v1/dashboard").json()
    assert "compliance" not in plain
    assert all("score" not in row for row in _ranking(admin_client).values())
    assert admin_client.get("/api/v1/dashboard/units", params={"sort": "score"}).status_code == 422
    assert 'id="compliance-score"' not in admin_client.get("/dashboard").text
