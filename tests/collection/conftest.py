"""Fixtures for collection tests: a county whose 学籍 system already holds resident ID numbers
and addresses (catalog applied as a scan leaves it), a school with a new 家校沟通 app, and the
accounts that request (operator), decide (data owner, security administrator, PI officer) and
supervise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

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
        "level": "general-4" if types else "general-2",
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
    """The catalog as a scan of ``tables`` leaves it (names and types, no values)."""
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
    xueji: int  # the county's 学籍 system
    app: int  # the school's new 家校沟通 app
    home: Path

    @property
    def factory(self) -> sessionmaker[Session]:
        return self.client.app.state.session_factory  # type: ignore[attr-defined, no-any-return]

    def login(self, username: str) -> None:
        self.accounts.login(self.client, username)


@pytest.fixture
def world(admin_client: TestClient, accounts: Any) -> World:
    client = admin_client
    county = client.post("/api/v1/units", json={"name": "辛县教育局", "kind": "county"}).json()
    school = client.post(
        "/api/v1/units", json={"name": "辛县实验小学", "kind": "school", "parent_id": county["id"]}
    ).json()
    xueji = client.post(
        "/api/v1/systems", json={"name": "县学籍管理系统", "unit_id": county["id"]}
    ).json()
    app = client.post(
        "/api/v1/systems", json={"name": "家校通 App", "unit_id": school["id"], "kind": "app"}
    ).json()
    assert "id" in app, app
    apply_catalog(
        client,
        xueji["id"],
        [
            table(
                "xs_jbxx",
                "学生基本信息",
                [
                    column("sfzjh", "身份证号", ["CN_RESIDENT_ID"], minors=True),
                    column("jtzz", "家庭住址", ["ADDRESS"]),
                    column("xm", "姓名", ["PERSON_NAME"]),
                ],
            )
        ],
    )
    accounts.create("vendor", {Role.data_operator}, unit_id=school["id"])
    accounts.create("owner", {Role.data_owner}, unit_id=school["id"])
    accounts.create("secadmin", {Role.security_admin}, unit_id=school["id"])
    accounts.create("pio", {Role.pi_officer}, unit_id=school["id"])
    accounts.create("sup", {Role.supervisor}, unit_id=county["id"])
    return World(
        client=client,
        accounts=accounts,
        county=county["id"],
        school=school["id"],
        xueji=xueji["id"],
        app=app["id"],
        home=client.app.state.settings.home,  # type: ignore[attr-defined]
    )
