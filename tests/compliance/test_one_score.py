"""One score (compliance/scoring.py): the dashboard's figure for a unit is /compliance's, on the
demo and on a generated county; a county's score is the mean of its units', not 0."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.compliance import flows
from eduguard.demo import flows as demo_flows
from eduguard.identity.models import Role
from eduguard.orgs.models import Unit

from .test_api import setup_world

BENCH = Path(__file__).parents[2] / "bench" / "compliance.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_compliance", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _agree(session: Session, scope: str) -> dict[str, int]:
    """Every unit's score in /compliance's table equals the dashboard's roll-up of it."""
    table = flows.unit_scores(session, scope)
    postures = flows.subtree_postures(session, [s.path for s in table])
    for row in table:
        assert row.score == postures[row.path].score, row.unit
        below = [s.own_score for s in table if s.path.startswith(row.path)]
        assert abs(row.score - sum(below) / len(below)) <= 1, row.unit  # the mean (rounded)
    return {row.unit: row.score for row in table}


def test_demo_scores_agree_and_say_something(session: Session) -> None:
    audit_capture.install(session)
    demo_flows.seed(session)
    session.commit()
    scores = _agree(session, "/")
    assert all(0 < score < 100 for score in scores.values()), scores  # not 0 everywhere
    county = session.scalars(select(Unit).where(Unit.name == "示例县教育局")).one()
    first = flows.unit_scores(session, county.path)
    schools = [s for s in first if s.path != county.path]
    assert len(schools) == 2 and len({s.score for s in schools}) == 2  # they differ


def test_generated_county_scores_agree(session: Session) -> None:
    _generator().build(session, 6, 3)
    session.commit()
    flows.evaluate(session)
    session.commit()
    scores = _agree(session, "/")
    county = scores.pop("基准县教育局")
    assert len(scores) == 6
    assert 0 < county < 100  # the mean of its own and its schools' scores (checked above)
    assert min(scores.values()) > 0


def test_the_dashboard_and_compliance_api_show_one_number(
    admin_client: TestClient, accounts: Any
) -> None:
    ids = setup_world(admin_client)
    accounts.create("county-sup", {Role.supervisor}, unit_id=ids["county"])
    assert admin_client.post("/api/v1/compliance/evaluate", json={}).status_code == 200
    accounts.login(admin_client, "county-sup")
    table = {row["unit_id"]: row for row in admin_client.get("/api/v1/compliance/scores").json()}
    ranking = admin_client.get("/api/v1/dashboard/units").json()["units"]
    assert ranking and all(row["score"] == table[row["id"]]["score"] for row in ranking)
    own = admin_client.get("/api/v1/dashboard").json()["compliance"]["score"]
    assert own == table[ids["county"]]["score"]
    page = admin_client.get("/compliance").text
    assert f">{table[ids['county']]['score']}<" in page


def test_findings_are_grouped_by_the_notice_item_with_short_citations(
    admin_client: TestClient,
) -> None:
    import re

    setup_world(admin_client)
    assert admin_client.post("/api/v1/compliance/evaluate", json={}).status_code == 200
    found = admin_client.get("/api/v1/compliance/findings").json()
    items = {f["notice_item"] for f in found}
    assert items and None not in items  # every rule cites its item of the notice
    page = admin_client.get("/compliance").text
    groups = re.findall(r'<tbody class="notice-item" id="item-(\d+)">', page)
    assert [int(g) for g in groups] == sorted(items)  # one group per item, in order
    assert "重点任务第5项 规范数据存储传输工作（" in page
    summaries = re.findall(r'<summary title="([^"]+)">([^<]+)</summary>', page)
    assert summaries
    for full, short in summaries:
        assert len(short) < len(full) and "…" not in short
    labels = {short for _full, short in summaries}
    assert "通知 重点任务第5项" in labels and len(labels) > 3  # labels differ
    assert "教科信函〔2021〕20号 …" not in page
    assert 'id="score-model"' in page and "本单位得分" in page


def test_the_examples_in_the_docstrings_hold() -> None:
    import doctest

    from eduguard.classification import rules as classification_rules
    from eduguard.compliance import citations, scoring

    for module in (scoring, citations, classification_rules):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__
