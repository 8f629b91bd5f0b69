"""Fixtures for retention tests: a county with a school, a student system whose source is a
real SQLite file (graduates with 毕业日期, grades, a course table without personal
information), its catalog applied through the catalog flows as a scan would leave it (names
and types only), and the accounts that keep retention (data owner, PI officer, security)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import RunStatus as ScanStatus
from eduguard.catalog.schemas import SourceCreate
from eduguard.db.base import utcnow
from eduguard.identity import passwords
from eduguard.identity.models import Role
from eduguard.retention import dispositions
from eduguard.retention.models import DispositionRun, RunStatus
from eduguard.tasks.models import Task

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

GRADUATES = 60  # 40 graduated more than three years ago, 20 recently
OLD = 40


def column(name: str, comment: str, types: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "comment": comment,
        "pi_types": types,
        "sensitive": False,
        "minors": False,
        "level": "general-3" if types else "general-2",
        "confidence": 0.95,
        "evidence": [f"列名 {name} = {comment}"],
    }


def table(name: str, comment: str, columns: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "comment": comment,
        "row_count": GRADUATES,
        "rows_sampled": GRADUATES,
        "subjects": GRADUATES,
        "minors": False,
        "level": "general-3",
        "columns": columns,
    }


TABLES = [
    table(
        "xs_biye",
        "毕业生",
        [
            column("xh", "学号", ["STUDENT_NO"]),
            column("xm", "姓名", ["PERSON_NAME"]),
            column("sjh", "手机号", ["MOBILE_PHONE"]),
            column("biye_rq", "毕业日期", []),
        ],
    ),
    table(
        "cj",
        "成绩",
        [
            column("xh", "学号", ["STUDENT_NO"]),
            column("fs", "分数", []),
            column("lr_sj", "录入时间", []),
        ],
    ),
    table("kc", "课程", [column("kcm", "课程名", []), column("xf", "学分", [])]),
]


def graduates(today: date) -> list[tuple[str, str, str, date]]:
    """(学号, 姓名, 手机号, 毕业日期): the first ``OLD`` graduated 4–5 years ago, the rest last
    year."""
    rows = []
    for n in range(GRADUATES):
        years = 4 + n % 2 if n < OLD else 1
        graduated = today - timedelta(days=365 * years + 30)
        rows.append((f"S{n:05d}", f"学生{n:03d}", f"1390000{n:04d}", graduated))
    return rows


def make_source(path: Path, today: date | None = None) -> Path:
    """Synthetic graduates: the first ``OLD`` graduated 4–5 years ago, the rest last year."""
    today = today or date.today()
    connection = sqlite3.connect(path)
    connection.executescript(
        "DROP TABLE IF EXISTS xs_biye; DROP TABLE IF EXISTS cj; DROP TABLE IF EXISTS kc;"
        "CREATE TABLE xs_biye (xh TEXT PRIMARY KEY, xm TEXT, sjh TEXT, biye_rq DATE);"
        "CREATE TABLE cj (xh TEXT, fs INTEGER, lr_sj TIMESTAMP);"
        "CREATE TABLE kc (kcm TEXT, xf INTEGER);"
    )
    rows = [(key, name, phone, day.isoformat()) for key, name, phone, day in graduates(today)]
    connection.executemany("INSERT INTO xs_biye VALUES (?, ?, ?, ?)", rows)
    connection.execute("INSERT INTO kc VALUES ('数学', 4)")
    connection.commit()
    connection.close()
    return path


def apply_catalog(
    client: TestClient,
    system_id: int,
    location: str,
    roots: tuple[Path, ...],
    tables: list[dict[str, Any]] | None = None,
) -> int:
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        source = catalog_flows.add_source(
            session,
            system_id,
            SourceCreate(name="学籍库", location=location),
            scope="/",
            policy=catalog_service.LocationPolicy(roots=roots),
        )
        run = catalog_service.queue_run(session, source, requested_by="test")
        run.status, run.started_at, run.finished_at = ScanStatus.succeeded, utcnow(), utcnow()
        catalog_flows.apply_run(session, run, {"report_version": 1, "tables": tables or TABLES})
        return source.id


@dataclass
class World:
    client: TestClient
    accounts: Any
    county: int
    school: int
    other_school: int
    system: int
    source: int
    source_path: Path
    datasets: dict[str, int]  # table name → dataset id

    def login(self, username: str) -> None:
        self.accounts.login(self.client, username)

    @property
    def factory(self) -> Any:
        return self.client.app.state.session_factory  # type: ignore[attr-defined]


def _datasets(client: TestClient, system_id: int) -> dict[str, int]:
    found = client.get("/api/v1/catalog/datasets", params={"system_id": system_id})
    assert found.status_code == 200, found.text
    return {d["name"]: d["id"] for d in found.json()}


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """The six accounts each test logs in with are hashed with cheap argon2 parameters: the
    retention tests are about dispositions, and the library's defaults cost ~0.3 s a hash."""
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)


@pytest.fixture
def world(admin_client: TestClient, accounts: Any, tmp_path: Path) -> World:
    client = admin_client
    county = client.post("/api/v1/units", json={"name": "辛县教育局", "kind": "county"}).json()
    one = client.post(
        "/api/v1/units", json={"name": "辛县一中", "kind": "school", "parent_id": county["id"]}
    ).json()
    two = client.post(
        "/api/v1/units", json={"name": "辛县二中", "kind": "school", "parent_id": county["id"]}
    ).json()
    system = client.post("/api/v1/systems", json={"name": "一中学籍系统", "unit_id": one["id"]})
    path = make_source(tmp_path / "school.db")
    source = apply_catalog(client, system.json()["id"], f"sqlite:///{path}", (tmp_path,))
    accounts.create("owner1", {Role.data_owner}, unit_id=one["id"])
    accounts.create("pio1", {Role.pi_officer}, unit_id=one["id"])
    accounts.create("sec1", {Role.security_admin}, unit_id=one["id"])
    accounts.create("operator1", {Role.data_operator}, unit_id=one["id"])
    accounts.create("owner2", {Role.data_owner}, unit_id=two["id"])
    return World(
        client=client,
        accounts=accounts,
        county=county["id"],
        school=one["id"],
        other_school=two["id"],
        system=system.json()["id"],
        source=source,
        source_path=path,
        datasets=_datasets(client, system.json()["id"]),
    )


def graduate_rule(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "trigger": "date_column",
        "trigger_column": "biye_rq",
        "period_value": 3,
        "period_unit": "years",
        "minimum_value": 1,
        "minimum_unit": "years",
        "legal_basis": "《中小学生学籍管理办法》（示例依据）",
        "disposition": "delete",
        "key_column": "xh",
    }
    body.update(overrides)
    return body


def set_rule(world: World, **overrides: object) -> None:
    world.login("owner1")
    saved = world.client.put(
        f"/api/v1/retention/datasets/{world.datasets['xs_biye']}/rule",
        json=graduate_rule(**overrides),
    )
    assert saved.status_code == 200, saved.text


def approved_run(world: World) -> int:
    with world.factory.begin() as session:
        dispositions.register_write_credential(
            session, world.source, "", None, scope="/", by="owner1"
        )
        run = dispositions.plan(session, world.datasets["xs_biye"], scope="/", by="pio1")
        assert (run.rows_before, run.selected) == (GRADUATES, OLD)
        assert "biye_rq" in run.selection_sql and "xs_biye" in run.selection_sql
        planner = dispositions.person_of(session, "pio1")
        dispositions.submit(session, run.id, planner, scope="/")
        run_id = run.id
    with world.factory.begin() as session:
        owner = dispositions.person_of(session, "owner1")
        dispositions.decide(session, run_id, owner, "approve", "已核对清单", scope="/")
        assert session.get_one(DispositionRun, run_id).status == RunStatus.approval
    with world.factory.begin() as session:
        security = dispositions.person_of(session, "sec1")
        dispositions.decide(session, run_id, security, "approve", "同意销毁", scope="/")
        assert session.get_one(DispositionRun, run_id).status == RunStatus.approved
        queued = session.scalars(select(Task).where(Task.kind == "retention.execute")).all()
        assert [t.payload for t in queued] == [{"run_id": run_id}]
    return run_id


def rows_left(path: Path) -> tuple[int, int]:
    connection = sqlite3.connect(path)
    total = connection.execute("SELECT count(*) FROM xs_biye").fetchone()[0]
    old = connection.execute(
        "SELECT count(*) FROM xs_biye WHERE biye_rq < date('now', '-3 years', '+1 day')"
    ).fetchone()[0]
    connection.close()
    return total, old
