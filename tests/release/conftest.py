"""Fixtures for release tests: a county with two schools, a system whose data is a real CSV
file (or SQLite database) of synthetic students inside the scan roots, scanned into the
catalog by the real worker, and the accounts that request, decide and supervise."""

from __future__ import annotations

import csv
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import jobs as catalog_jobs
from eduguard.identity.models import Role
from eduguard.release import jobs as release_jobs

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "子涵欣怡梓轩浩宇雨桐一诺思远佳琪俊杰梦瑶"
COLUMNS = ["xh", "xm", "sfzjh", "lxdh", "xb", "csrq", "cj"]


def resident_id(body17: str) -> str:
    """A synthetic resident ID with a valid GB 11643 check digit."""
    total = sum(int(d) * w for d, w in zip(body17, _WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


def student_rows(count: int, seed: int = 11) -> list[dict[str, str]]:
    """Synthetic pupils: number, name, resident ID, mobile, sex, birth date, score."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        year, month, day = rng.randint(2013, 2016), rng.randint(1, 12), rng.randint(1, 28)
        body = f"110105{year}{month:02d}{day:02d}{rng.randint(100, 999)}"
        rows.append(
            {
                "xh": f"S{n:05d}",
                "xm": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                "sfzjh": resident_id(body),
                "lxdh": f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
                "xb": rng.choice("男女"),
                "csrq": f"{year}-{month:02d}-{day:02d}",
                "cj": str(rng.randint(55, 100)),
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_sqlite(path: Path, rows: list[dict[str, str]]) -> Path:
    connection = sqlite3.connect(path)
    connection.execute(f"CREATE TABLE xs_jbxx ({', '.join(c + ' TEXT' for c in COLUMNS)})")
    connection.executemany(
        f"INSERT INTO xs_jbxx VALUES ({', '.join('?' * len(COLUMNS))})",
        [tuple(row[c] for c in COLUMNS) for row in rows],
    )
    connection.commit()
    connection.close()
    return path


@dataclass
class World:
    client: TestClient
    accounts: Any
    county: int
    school: int
    other_school: int
    system: int
    dataset: int
    rows: list[dict[str, str]]
    fields: dict[str, dict[str, Any]]
    home: Path

    def login(self, username: str) -> None:
        self.accounts.login(self.client, username)

    def work(self) -> list[int]:
        state = self.client.app.state  # type: ignore[attr-defined]
        settings = state.settings
        runtime = release_jobs.Runtime(
            state.session_factory,
            settings.home,
            settings.keys_dir,
            source_policy=catalog_flows.source_policy(settings),
        )
        return release_jobs.work(runtime)


def build_world(
    client: TestClient, accounts: Any, tmp_path: Path, *, source: str = "csv", count: int = 60
) -> World:
    """Units, a system, accounts; the data registered as a source and scanned into the catalog."""
    county = client.post("/api/v1/units", json={"name": "戊县教育局", "kind": "county"}).json()
    one = client.post(
        "/api/v1/units", json={"name": "戊县一小", "kind": "school", "parent_id": county["id"]}
    ).json()
    two = client.post(
        "/api/v1/units", json={"name": "戊县二小", "kind": "school", "parent_id": county["id"]}
    ).json()
    system = client.post(
        "/api/v1/systems", json={"name": "一小学籍系统", "unit_id": one["id"]}
    ).json()
    accounts.create("researcher", {Role.data_user}, unit_id=county["id"])
    accounts.create("owner1", {Role.data_owner}, unit_id=one["id"])
    accounts.create("pio1", {Role.pi_officer}, unit_id=one["id"])
    accounts.create("owner2", {Role.data_owner}, unit_id=two["id"])
    accounts.create("user2", {Role.data_user}, unit_id=two["id"])
    accounts.create("county-sup", {Role.supervisor}, unit_id=county["id"])
    accounts.create("both1", {Role.data_owner, Role.data_user}, unit_id=one["id"])
    rows = student_rows(count)
    if source == "csv":
        location = str(write_csv(tmp_path / "students.csv", rows))
    else:
        location = f"sqlite:///{write_sqlite(tmp_path / 'school.db', rows)}"
    accounts.login(client, "owner1")
    made = client.post(
        f"/api/v1/systems/{system['id']}/sources", json={"name": "学籍数据", "location": location}
    )
    assert made.status_code == 201, made.text
    assert client.post(f"/api/v1/systems/{system['id']}/scans", json={}).status_code == 202
    state = client.app.state  # type: ignore[attr-defined]
    assert catalog_jobs.work(state.session_factory, once=True) == 1
    datasets = client.get("/api/v1/catalog/datasets").json()
    assert len(datasets) == 1, datasets
    fields = client.get("/api/v1/catalog/fields", params={"limit": 100}).json()
    return World(
        client=client,
        accounts=accounts,
        county=county["id"],
        school=one["id"],
        other_school=two["id"],
        system=system["id"],
        dataset=datasets[0]["id"],
        rows=rows,
        fields={f["name"]: f for f in fields},
        home=state.settings.home,
    )


@pytest.fixture
def world(admin_client: TestClient, accounts: Any, tmp_path: Path) -> World:
    return build_world(admin_client, accounts, tmp_path)
