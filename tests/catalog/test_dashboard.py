"""The posture dashboard: its aggregates over a small seeded catalog, scope by the unit tree,
the supervisor's ranking, the console page, and counts that follow reviews."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from eduguard.catalog import dashboard, flows, service, stats
from eduguard.catalog.models import (
    Dataset,
    DataSource,
    Field,
    FieldSketch,
    ReviewStatus,
    SourceKind,
    SystemStats,
)
from eduguard.catalog.schemas import FieldReview
from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import SystemCreate, UnitCreate

from .test_overlap import ids, sketch_of


@dataclass
class Seeded:
    county: int
    one: int
    two: int
    systems: dict[str, int]
    fields: dict[str, int]


def _field(dataset: Dataset, name: str, **values: Any) -> Field:
    return Field(dataset=dataset, name=name, **values)


def seed(session: Session) -> Seeded:
    """County 丁县 with schools 一小 (two systems) and 二小 (one), plus the county's own system
    without any catalog. Expected counts are worked out by hand in the tests below."""
    county = orgs_service.create_unit(session, UnitCreate(name="丁县教育局", kind=UnitKind.county))
    one = orgs_service.create_unit(
        session, UnitCreate(name="丁县一小", kind=UnitKind.school, parent_id=county.id)
    )
    two = orgs_service.create_unit(
        session, UnitCreate(name="丁县二小", kind=UnitKind.school, parent_id=county.id)
    )
    systems = {}
    for key, name, unit in (
        ("s1", "一小学籍系统", one),
        ("s1b", "一小家校通", one),
        ("s2", "二小体检系统", two),
        ("sc", "县教育局办公系统", county),
    ):
        systems[key] = orgs_service.create_system(
            session, SystemCreate(name=name, unit_id=unit.id)
        ).id
    session.flush()
    datasets = {}
    for key, system, name, retention, present in (
        ("xs", "s1", "xs_jbxx", None, True),
        ("jz", "s1b", "jz_lxfs", "3年", True),
        ("ty", "s2", "tj_jl", None, True),
        ("old", "s2", "old_table", None, False),
    ):
        source = DataSource(
            system_id=systems[system], name="库", kind=SourceKind.files, location=f"/x/{key}"
        )
        session.add(source)
        session.flush()
        datasets[key] = Dataset(
            system_id=systems[system],
            source_id=source.id,
            name=name,
            retention_period=retention,
            present=present,
        )
        session.add(datasets[key])
    proposed, confirmed = ReviewStatus.proposed, ReviewStatus.confirmed
    fields = {
        "f1": _field(datasets["xs"], "sfzjh", proposed_pi_types="CN_RESIDENT_ID",
                     proposed_level="general-4", sensitive=True, minors=True),
        "f2": _field(datasets["xs"], "xm", proposed_pi_types="PERSON_NAME",
                     proposed_level="general-3", minors=True, review_status=confirmed,
                     reviewed_pi_types="PERSON_NAME", reviewed_level="general-3"),
        "f3": _field(datasets["xs"], "bz", proposed_level="general-1"),
        "f4": _field(datasets["jz"], "lxdh", proposed_pi_types="MOBILE_PHONE",
                     proposed_level="general-3", review_status=ReviewStatus.corrected,
                     reviewed_pi_types="MOBILE_PHONE", reviewed_level="important"),
        "f5": _field(datasets["ty"], "jkzk", proposed_pi_types="HEALTH",
                     proposed_level="general-4", sensitive=True, minors=True,
                     review_status=ReviewStatus.rereview),
        "f6": _field(datasets["ty"], "zjhm", proposed_pi_types="CN_RESIDENT_ID",
                     proposed_level="general-4", sensitive=True, review_status=proposed),
        "f7": _field(datasets["ty"], "gone", proposed_pi_types="CN_RESIDENT_ID",
                     sensitive=True, present=False),
        "f8": _field(datasets["old"], "sfz", proposed_pi_types="CN_RESIDENT_ID",
                     sensitive=True),
    }  # fmt: skip
    session.add_all(fields.values())
    session.flush()
    stats.refresh_all(session)
    return Seeded(county.id, one.id, two.id, systems, {key: f.id for key, f in fields.items()})


COUNTY_TOTALS = {
    "systems": 4,
    "datasets": 3,
    "datasets_personal": 3,
    "datasets_no_retention": 2,
    "fields": 6,
    "personal": 5,
    "sensitive": 3,
    "minors": 3,
    "pending": 3,
    "rereview": 1,
    "reviewed": 2,
    "sensitive_unreviewed": 3,
    "level_core": 0,
    "level_important": 1,
    "level_general_4": 3,
    "level_general_3": 1,
    "level_general_2": 0,
    "level_general_1": 1,
}


@pytest.fixture
def seeded(session: Session) -> Seeded:
    made = seed(session)
    session.commit()
    return made


def test_totals_and_charts_of_a_county(session: Session, seeded: Seeded) -> None:
    county = dashboard.resolve(session, scope="/", unit_id=seeded.county)
    data = dashboard.charts(session, county.path)
    assert data["totals"] == COUNTY_TOTALS
    charts = {spec["id"]: spec for spec in data["charts"]}
    levels = {d["name"]: d["value"] for d in charts["levels"]["data"]}
    assert levels == {
        "核心数据": 0,
        "重要数据": 1,
        "一般数据（4级）": 3,
        "一般数据（3级）": 1,
        "一般数据（2级）": 0,
        "一般数据（1级）": 1,
    }
    bars = charts["systems"]
    assert bars["categories"] == ["一小学籍系统", "二小体检系统", "一小家校通"]
    assert bars["series"][0]["data"] == [1, 2, 0] and bars["series"][1]["data"] == [2, 1, 0]
    assert {d["name"]: d["value"] for d in charts["review"]["data"]} == {
        "已审核": 2,
        "待审核": 3,
        "待复核": 1,
    }
    assert {d["name"]: d["value"] for d in charts["retention"]["data"]} == {
        "已设定": 1,
        "未设定": 2,
    }


def test_a_school_counts_only_its_own(session: Session, seeded: Seeded) -> None:
    school = dashboard.resolve(session, scope="/", unit_id=seeded.one)
    totals = dashboard.totals(session, school.path)
    assert (totals["systems"], totals["fields"], totals["sensitive"]) == (2, 4, 1)
    assert dashboard.rollup(session, school) == []


def test_the_county_ranks_its_schools(session: Session, seeded: Seeded) -> None:
    county = dashboard.resolve(session, scope="/", unit_id=seeded.county)
    ranked = dashboard.rollup(session, county)
    assert [r["name"] for r in ranked] == ["丁县二小", "丁县一小"]
    assert [r["sensitive_unreviewed"] for r in ranked] == [2, 1]
    assert [(r["systems"], r["catalogued"]) for r in ranked] == [(1, 1), (2, 2)]
    by_personal = dashboard.rollup(session, county, sort="personal")
    assert [r["name"] for r in by_personal] == ["丁县一小", "丁县二小"]
    platform = dashboard.rollup(session, dashboard.resolve(session, scope="/", unit_id=None))
    assert [(r["name"], r["fields"], r["systems"]) for r in platform] == [("丁县教育局", 6, 4)]


def test_a_compliance_column_plugs_into_the_ranking(session: Session, seeded: Seeded) -> None:
    county = dashboard.resolve(session, scope="/", unit_id=seeded.county)
    column = ("score", "合规得分", lambda _s, paths: {p: float(len(p)) for p in paths})
    dashboard.RANK_COLUMNS.append(column)
    try:
        ranked = dashboard.rollup(session, county)
    finally:
        dashboard.RANK_COLUMNS.remove(column)
    assert all(r["score"] == float(len(r["path"])) for r in ranked)


def test_counts_follow_a_review(session: Session, seeded: Seeded) -> None:
    flows.review(
        session,
        seeded.fields["f1"],
        FieldReview(decision="confirm", reason="核对无误"),
        scope="/",
        reviewer="tester",
    )
    row = session.get(SystemStats, seeded.systems["s1"])
    assert row is not None
    assert (row.pending, row.reviewed, row.sensitive_unreviewed) == (1, 2, 0)
    flows.set_retention(session, session.scalar(select(Dataset.id).where(
        Dataset.name == "xs_jbxx")) or 0, "毕业后 3 年", scope="/")  # fmt: skip
    again = session.get(SystemStats, seeded.systems["s1"])
    assert again is not None and again.datasets_no_retention == 0


# ---------------------------------------------------------------- over HTTP, as the roles


@pytest.fixture
def http(admin_client: TestClient, accounts: Any) -> tuple[TestClient, Any, Seeded]:
    factory: sessionmaker[Session] = admin_client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        made = seed(session)
        # sketches of two ID fields in the two schools: 300 of 500 numbers in common
        for key, values in (("f1", ids(0, 500)), ("f6", ids(200, 500))):
            field = session.get(Field, made.fields[key])
            assert field is not None
            sketch = sketch_of(values)
            session.add(
                FieldSketch(
                    field_id=field.id,
                    system_id=field.dataset.system_id,
                    key_id=sketch.key_id,
                    k=sketch.k,
                    exact=sketch.exact,
                    distinct_values=sketch.distinct(),
                    rows_read=500,
                    hashes=sketch.to_bytes(),
                )
            )
    accounts.create("county-sup", {Role.supervisor}, unit_id=made.county)
    accounts.create("owner1", {Role.data_owner}, unit_id=made.one)
    return admin_client, accounts, made


def test_the_chart_endpoint_returns_the_aggregates(http: tuple[TestClient, Any, Seeded]) -> None:
    client, accounts, made = http
    accounts.login(client, "county-sup")
    body = client.get("/api/v1/dashboard").json()
    assert body["unit"]["id"] == made.county
    assert body["totals"] == COUNTY_TOTALS
    # The catalog's four charts; a supervisor also reads compliance, whose two charts follow.
    assert [c["id"] for c in body["charts"]] == [
        *("levels", "systems", "review", "retention"),
        *("clauses", "severity"),
    ]
    ranked = client.get("/api/v1/dashboard/units").json()["units"]
    assert [r["id"] for r in ranked] == [made.two, made.one]
    assert client.get("/api/v1/dashboard/units?sort=nonsense").status_code == 422


def test_a_school_sees_only_itself(http: tuple[TestClient, Any, Seeded]) -> None:
    client, accounts, made = http
    accounts.login(client, "owner1")
    body = client.get("/api/v1/dashboard").json()
    assert body["unit"]["id"] == made.one and body["totals"]["fields"] == 4
    assert client.get(f"/api/v1/dashboard?unit={made.two}").status_code == 404
    assert client.get(f"/api/v1/dashboard?unit={made.county}").status_code == 404
    assert client.get("/api/v1/dashboard/units").json()["units"] == []
    assert client.get("/api/v1/catalog/duplicates").json()["duplicates"] == []
    page = client.get("/dashboard")
    assert page.status_code == 200 and 'id="ranking"' not in page.text
    assert "二小体检系统" not in page.text


def test_the_county_sees_both_schools_and_their_duplicate(
    http: tuple[TestClient, Any, Seeded],
) -> None:
    client, accounts, made = http
    accounts.login(client, "county-sup")
    found = client.get("/api/v1/catalog/duplicates").json()["duplicates"]
    assert len(found) == 1
    pair = found[0]
    assert pair["pi_type"] == "CN_RESIDENT_ID" and pair["exact"] and pair["overlap"] == 300
    assert {pair["a"]["system"], pair["b"]["system"]} == {"一小学籍系统", "二小体检系统"}
    page = client.get("/dashboard")
    assert page.status_code == 200
    # four catalog charts and the two compliance ones (a supervisor reads compliance)
    assert page.text.count("data-chart=") == 6 and 'id="ranking"' in page.text
    ranking = page.text[page.text.index('id="ranking"') :]
    assert ranking.index("丁县二小") < ranking.index("丁县一小")  # ranked
    assert f'href="/dashboard?unit={made.one}"' in page.text  # drill-down
    assert "<script>" not in page.text  # charts come from data- attributes, no inline script
    duplicates_page = client.get("/catalog/duplicates")
    assert duplicates_page.status_code == 200 and "居民身份证" in duplicates_page.text


def test_catalog_search_by_name_type_and_level(session: Session, seeded: Seeded) -> None:
    """The indexed forms of the search filters find what the plain ones would."""

    def names(**filters: Any) -> list[str]:
        return [f.name for f in service.list_fields(session, **filters)]

    assert names(search="sfz") == ["sfzjh"]  # f8's dataset is gone, f7 is gone
    assert names(search="jz_lx") == ["lxdh"]  # by dataset name
    assert names(search="no_such") == []
    assert names(pi_type="cn_resident_id") == ["sfzjh", "zjhm"]
    assert names(level="important") == ["lxdh"]  # the reviewed level, not the proposed
    assert names(level="general-3") == ["xm"]
    assert names(level="general-4") == ["sfzjh", "jkzk", "zjhm"]  # rereview: no reviewed level
    two = flows.scoped_systems(dashboard.resolve(session, scope="/", unit_id=seeded.two).path)
    assert names(systems=two, pi_type="CN_RESIDENT_ID") == ["zjhm"]
    service.FEW_DATASETS, before = 0, service.FEW_DATASETS  # the subquery form, as for many
    try:
        assert names(search="jz_lx") == ["lxdh"]
    finally:
        service.FEW_DATASETS = before
