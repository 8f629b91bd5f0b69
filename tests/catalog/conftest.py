"""Fixtures for the catalog tests: a real SQLite file of synthetic students, units and systems,
and a worker that runs against the test database."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import capture as audit_capture
from eduguard.catalog import jobs
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import SystemCreate, UnitCreate

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "子涵欣怡梓轩浩宇雨桐一诺思远佳琪俊杰梦瑶"


def resident_id(body17: str) -> str:
    """A synthetic resident ID with a valid GB 11643 check digit."""
    total = sum(int(d) * w for d, w in zip(body17, _WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


def students(count: int, seed: int = 7) -> list[tuple[str, str, str, str]]:
    """(student no, name, resident id, mobile) — synthetic, children born 2014–2016."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        birth = f"{rng.randint(2014, 2016)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        body = f"110105{birth}{rng.randint(100, 999)}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        phone = f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
        rows.append((f"S{n:05d}", name, resident_id(body), phone))
    return rows


def make_school_db(path: Path, *, with_id_column: bool = False, count: int = 120) -> Path:
    """A school database: xs_jbxx (students) and bj (classes). ``with_id_column`` adds the
    students' resident ID numbers as a new column ``sfzjh``."""
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE IF EXISTS xs_jbxx")
    connection.execute("DROP TABLE IF EXISTS bj")
    columns = "xh TEXT, xm TEXT, lxdh TEXT" + (", sfzjh TEXT" if with_id_column else "")
    connection.execute(f"CREATE TABLE xs_jbxx ({columns})")
    for number, name, resident, phone in students(count):
        values = (number, name, phone, resident) if with_id_column else (number, name, phone)
        marks = ", ".join("?" * len(values))
        connection.execute(f"INSERT INTO xs_jbxx VALUES ({marks})", values)
    connection.execute("CREATE TABLE bj (bjbh TEXT, bjmc TEXT)")
    connection.executemany(
        "INSERT INTO bj VALUES (?, ?)", [(f"B{n}", f"三年级{n}班") for n in range(1, 9)]
    )
    connection.commit()
    connection.close()
    return path


@dataclass
class World:
    county: int
    school: int
    other_school: int
    system: int
    other_system: int


def make_world(session: Session) -> World:
    county = orgs_service.create_unit(session, UnitCreate(name="甲县教育局", kind=UnitKind.county))
    school = orgs_service.create_unit(
        session, UnitCreate(name="甲县第一小学", kind=UnitKind.school, parent_id=county.id)
    )
    other = orgs_service.create_unit(
        session, UnitCreate(name="甲县第二小学", kind=UnitKind.school, parent_id=county.id)
    )
    system = orgs_service.create_system(
        session, SystemCreate(name="学籍管理系统", unit_id=school.id)
    )
    other_system = orgs_service.create_system(
        session, SystemCreate(name="二小学籍系统", unit_id=other.id)
    )
    session.flush()
    return World(county.id, school.id, other.id, system.id, other_system.id)


@pytest.fixture
def audited_factory(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    audit_capture.install(session_factory)
    return session_factory


@pytest.fixture
def world(audited_factory: sessionmaker[Session]) -> World:
    with audited_factory() as session, session.begin():
        return make_world(session)


@pytest.fixture
def run_worker(audited_factory: sessionmaker[Session]) -> Callable[[], int]:
    def run() -> int:
        return jobs.work(audited_factory, once=True, progress_seconds=0.0)

    return run
