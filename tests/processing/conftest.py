"""Fixtures for processing tests: a county with two schools, a student system whose catalog
holds children's data, a canteen system without, an agreement, and the accounts that keep the
register (data owner, PI protection officer) or may only read it. The catalog is applied
through the catalog flows as a scan would leave it (column names and types, no values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import RunStatus
from eduguard.catalog.schemas import SourceCreate
from eduguard.db.base import utcnow
from eduguard.identity.models import Role


def column(name: str, comment: str, types: list[str], **flags: bool) -> dict[str, Any]:
    return {
        "name": name,
        "comment": comment,
        "pi_types": types,
        "sensitive": flags.get("sensitive", False),
        "minors": flags.get("minors", False),
        "level": "general-4" if flags else ("general-3" if types else "general-2"),
        "confidence": 0.95,
        "evidence": [f"列名 {name} = {comment}"],
    }


def table(name: str, comment: str, columns: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "comment": comment,
        "row_count": 100,
        "rows_sampled": 100,
        "subjects": 100,
        "minors": any(c["minors"] for c in columns),
        "level": "general-4",
        "columns": columns,
    }


def apply_catalog(client: TestClient, system_id: int, tables: list[dict[str, Any]]) -> None:
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        source = catalog_flows.add_source(
            session,
            system_id,
            SourceCreate(name="业务库", location=f"postgresql://db{system_id}.example/app"),
            scope="/",
            policy=catalog_service.LocationPolicy(),
        )
        run = catalog_service.queue_run(session, source, requested_by="test")
        run.status, run.started_at, run.finished_at = RunStatus.succeeded, utcnow(), utcnow()
        catalog_flows.apply_run(session, run, {"report_version": 1, "tables": tables})


@dataclass
class World:
    client: TestClient
    accounts: Any
    county: int
    school: int
    other_school: int
    students: int  # system with children's data
    canteen: int  # system without
    elsewhere: int  # a system of the other school
    agreement: int
    other_agreement: int  # an agreement of another system
    fields: dict[str, int]  # "table.column" → field id of the students system
    canteen_fields: dict[str, int]

    def login(self, username: str) -> None:
        self.accounts.login(self.client, username)


def _fields(client: TestClient, system_id: int) -> dict[str, int]:
    found = client.get("/api/v1/catalog/fields", params={"system_id": system_id, "limit": 100})
    assert found.status_code == 200, found.text
    return {f"{f['dataset']}.{f['name']}": f["id"] for f in found.json()}


@pytest.fixture
def world(admin_client: TestClient, accounts: Any) -> World:
    client = admin_client
    county = client.post("/api/v1/units", json={"name": "庚县教育局", "kind": "county"}).json()
    one = client.post(
        "/api/v1/units", json={"name": "庚县一小", "kind": "school", "parent_id": county["id"]}
    ).json()
    two = client.post(
        "/api/v1/units", json={"name": "庚县二小", "kind": "school", "parent_id": county["id"]}
    ).json()
    students = client.post(
        "/api/v1/systems",
        json={"name": "一小学籍系统", "unit_id": one["id"], "operator_name": "示例运维公司"},
    ).json()
    canteen = client.post("/api/v1/systems", json={"name": "一小教工食堂", "unit_id": one["id"]})
    elsewhere = client.post("/api/v1/systems", json={"name": "二小学籍系统", "unit_id": two["id"]})
    today = date.today()
    agreement = client.post(
        "/api/v1/agreements",
        data={
            "unit_id": one["id"],
            "system_id": students["id"],
            "provider": "示例运维公司",
            "valid_from": str(today - timedelta(days=10)),
            "valid_until": str(today + timedelta(days=300)),
        },
    )
    assert agreement.status_code == 201, agreement.text
    other_agreement = client.post(
        "/api/v1/agreements",
        data={
            "unit_id": two["id"],
            "system_id": elsewhere.json()["id"],
            "provider": "别家公司",
            "valid_from": str(today - timedelta(days=10)),
            "valid_until": str(today + timedelta(days=300)),
        },
    )
    assert other_agreement.status_code == 201, other_agreement.text
    apply_catalog(
        client,
        students["id"],
        [
            table(
                "xs_jbxx",
                "学生基本信息",
                [
                    column("xh", "学号", ["STUDENT_NO"], minors=True),
                    column("xm", "姓名", ["PERSON_NAME"], minors=True),
                    column("jkzk", "健康状况", ["HEALTH"], sensitive=True, minors=True),
                    column("jzsj", "家长手机号", ["MOBILE_PHONE"]),
                ],
            )
        ],
    )
    apply_catalog(
        client,
        canteen.json()["id"],
        [
            table(
                "jg_kh",
                "教工饭卡",
                [column("xm", "姓名", ["PERSON_NAME"]), column("kh", "卡号", [])],
            )
        ],
    )
    apply_catalog(
        client,
        elsewhere.json()["id"],
        [table("xs", "学生", [column("xm", "姓名", ["PERSON_NAME"], minors=True)])],
    )
    accounts.create("owner1", {Role.data_owner}, unit_id=one["id"])
    accounts.create("pio1", {Role.pi_officer}, unit_id=one["id"])
    accounts.create("operator1", {Role.data_operator}, unit_id=one["id"])
    accounts.create("user1", {Role.data_user}, unit_id=one["id"])
    accounts.create("sup", {Role.supervisor}, unit_id=county["id"])
    accounts.create("owner2", {Role.data_owner}, unit_id=two["id"])
    return World(
        client=client,
        accounts=accounts,
        county=county["id"],
        school=one["id"],
        other_school=two["id"],
        students=students["id"],
        canteen=canteen.json()["id"],
        elsewhere=elsewhere.json()["id"],
        agreement=agreement.json()["id"],
        other_agreement=other_agreement.json()["id"],
        fields=_fields(client, students["id"]),
        canteen_fields=_fields(client, canteen.json()["id"]),
    )


def statutory_purpose(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "学籍管理",
        "description": "入学注册、转学与毕业",
        "legal_basis": "statutory",
        "basis_detail": "《中华人民共和国义务教育法》",
        "collection_method": "入学时由学校登记",
        "retention_period": "毕业后 3 年",
        "disposal": "archive",
        "field_ids": [world.fields["xs_jbxx.xh"], world.fields["xs_jbxx.xm"]],
        "recipients": [
            {"name": "示例运维公司", "kind": "processor", "agreement_id": world.agreement}
        ],
    }
    body.update(overrides)
    return body
