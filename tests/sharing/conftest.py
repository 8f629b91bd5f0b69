"""Fixtures for sharing tests: a county with two schools, a student system of school one whose
catalog (names and types only, applied through the catalog flows as a scan leaves it) holds a
sensitive field (ID card), a children's field (name), a non-sensitive identifier and plain
columns, and the accounts that set and read share attributes."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import Dataset, Field
from eduguard.catalog.models import RunStatus as ScanStatus
from eduguard.catalog.schemas import SourceCreate
from eduguard.db.base import utcnow
from eduguard.identity import passwords
from eduguard.identity.models import Role

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def column(
    name: str, comment: str, types: list[str], *, sensitive: bool = False, minors: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "comment": comment,
        "pi_types": types,
        "sensitive": sensitive,
        "minors": minors,
        "level": "general-3" if types else "general-1",
        "confidence": 0.95,
        "evidence": [f"列名 {name} = {comment}"],
    }


def table(name: str, comment: str, columns: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "comment": comment,
        "row_count": 10,
        "rows_sampled": 10,
        "subjects": 10,
        "minors": False,
        "level": "general-3",
        "columns": columns,
    }


TABLES = [
    table(
        "xs_jbxx",
        "学生基本信息",
        [
            column("xh", "学号", ["STUDENT_NO"]),
            column("xm", "学生姓名", ["PERSON_NAME"], minors=True),
            column("sfzh", "身份证号", ["ID_CARD"], sensitive=True),
            column("bj", "班级", []),
        ],
    ),
    table("kc", "课程", [column("kcm", "课程名", []), column("xf", "学分", [])]),
]


def apply_catalog(client: TestClient, system_id: int, path: Path) -> None:
    sqlite3.connect(path).close()
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        source = catalog_flows.add_source(
            session,
            system_id,
            SourceCreate(name="学籍库", location=f"sqlite:///{path}"),
            scope="/",
            policy=catalog_service.LocationPolicy(roots=(path.parent,)),
        )
        run = catalog_service.queue_run(session, source, requested_by="test")
        run.status, run.started_at, run.finished_at = ScanStatus.succeeded, utcnow(), utcnow()
        catalog_flows.apply_run(session, run, {"report_version": 1, "tables": TABLES})


@dataclass
class World:
    client: TestClient
    accounts: Any
    county: int
    school: int
    other_school: int
    system: int
    datasets: dict[str, int]  # table name → dataset id
    fields: dict[str, int]  # "table.column" → field id

    def login(self, username: str) -> None:
        self.accounts.login(self.client, username)

    @property
    def factory(self) -> Any:
        return self.client.app.state.session_factory  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)


@pytest.fixture
def world(admin_client: TestClient, accounts: Any, tmp_path: Path) -> World:
    client = admin_client
    county = client.post("/api/v1/units", json={"name": "庚县教育局", "kind": "county"}).json()
    one = client.post(
        "/api/v1/units", json={"name": "庚县一小", "kind": "school", "parent_id": county["id"]}
    ).json()
    two = client.post(
        "/api/v1/units", json={"name": "庚县二小", "kind": "school", "parent_id": county["id"]}
    ).json()
    system = client.post("/api/v1/systems", json={"name": "一小学籍系统", "unit_id": one["id"]})
    assert system.status_code == 201, system.text
    apply_catalog(client, system.json()["id"], tmp_path / "school.db")
    found = client.get("/api/v1/catalog/datasets", params={"system_id": system.json()["id"]})
    datasets = {d["name"]: d["id"] for d in found.json()}
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        found_fields = session.execute(
            select(Dataset.name, Field.name, Field.id).join(Field, Field.dataset_id == Dataset.id)
        ).all()
    fields = {f"{table}.{name}": field_id for table, name, field_id in found_fields}
    accounts.create("owner1", {Role.data_owner}, unit_id=one["id"])
    accounts.create("pio1", {Role.pi_officer}, unit_id=one["id"])
    accounts.create("sec1", {Role.security_admin}, unit_id=one["id"])
    accounts.create("user1", {Role.data_user}, unit_id=one["id"])
    accounts.create("owner2", {Role.data_owner}, unit_id=two["id"])
    accounts.create("sup1", {Role.supervisor}, unit_id=county["id"])
    return World(
        client=client,
        accounts=accounts,
        county=county["id"],
        school=one["id"],
        other_school=two["id"],
        system=system.json()["id"],
        datasets=datasets,
        fields=fields,
    )


@pytest.fixture
def published(world: World) -> World:
    """kc open; xs_jbxx open with its ID card and the children's name never shared, 学号
    conditional (pseudonymised), 班级 open — set by the school's data owner."""
    world.login("owner1")
    client = world.client
    kc = client.put(
        f"/api/v1/sharing/datasets/{world.datasets['kc']}", json={"attribute": "unconditional"}
    )
    assert kc.status_code == 200, kc.text
    saved = client.put(
        f"/api/v1/sharing/datasets/{world.datasets['xs_jbxx']}",
        json={
            "attribute": "unconditional",
            "responsible": "教务处 王老师",
            "never_shared": ["sfzh", "xm"],
        },
    )
    assert saved.status_code == 200, saved.text
    field = client.put(
        f"/api/v1/sharing/fields/{world.fields['xs_jbxx.xh']}",
        json={"attribute": "conditional", "masking": "pseudonymise", "conditions": "仅限核验"},
    )
    assert field.status_code == 200, field.text
    return world
