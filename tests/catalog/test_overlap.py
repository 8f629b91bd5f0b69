"""One data, one source: identifiers collected by several systems are found by keyed-hash
sketches, with an overlap estimate close to the truth, and no value is ever stored."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from eduguard.catalog import dashboard, flows, jobs, overlap, service
from eduguard.catalog.models import FieldSketch, ScanRun
from eduguard.catalog.schemas import SourceCreate
from eduguard.config import Settings
from eduguard.discovery import sketch as discovery_sketch
from eduguard.discovery.sketch import KeyedSketch, derive_key, key_id
from eduguard.orgs import service as orgs_service
from eduguard.orgs.schemas import SystemCreate

from .conftest import World, resident_id

KEY = derive_key(bytes(range(32)))


def ids(start: int, count: int) -> list[str]:
    """Distinct synthetic resident ID numbers (valid check digits), numbered from ``start``."""
    first = date(2012, 1, 1)
    out = []
    for n in range(start, start + count):
        birth = (first + timedelta(days=n // 900)).strftime("%Y%m%d")
        out.append(resident_id(f"110105{birth}{n % 900 + 100:03d}"))
    return out


def sketch_of(values: list[str], k: int = discovery_sketch.SKETCH_K) -> KeyedSketch:
    made = KeyedSketch(KEY, k=k)
    for start in range(0, len(values), 1000):
        made.add(pl.Series(values[start : start + 1000]))
    return made


# ---------------------------------------------------------------- the estimator, no database


def test_sketched_types_agree_between_discovery_and_catalog() -> None:
    assert overlap.SKETCHED_TYPES == discovery_sketch.SKETCHED_TYPES


def test_small_fields_are_compared_exactly() -> None:
    a, b = sketch_of(ids(0, 500)), sketch_of(ids(300, 500))
    assert a.exact and b.exact
    result = overlap.estimate(a.hashes(), True, b.hashes(), True, a.k)
    assert result.exact and result.overlap == 200 and result.union == 800


@pytest.mark.parametrize("shared_share", [0.6, 0.2, 0.9])
def test_large_fields_are_estimated_within_the_stated_error(shared_share: float) -> None:
    size = 20_000
    shared = int(size * shared_share)
    a = sketch_of(ids(0, size))
    b = sketch_of(ids(size - shared, size))
    assert not a.exact and not b.exact
    result = overlap.estimate(a.hashes(), False, b.hashes(), False, a.k)
    assert not result.exact
    assert result.low <= shared <= result.high  # the 95 % interval holds the truth
    assert abs(result.overlap - shared) <= 0.15 * shared
    assert abs(a.distinct() - size) <= 0.15 * size
    truth_jaccard = shared / (2 * size - shared)
    assert abs(result.jaccard - truth_jaccard) <= 4 * result.jaccard_se + 0.01


def test_disjoint_fields_share_nothing() -> None:
    a, b = sketch_of(ids(0, 20_000)), sketch_of(ids(50_000, 20_000))
    result = overlap.estimate(a.hashes(), False, b.hashes(), False, a.k)
    assert result.overlap == 0 and result.high == 0


def test_a_small_field_inside_a_large_one() -> None:
    small, large = sketch_of(ids(0, 800)), sketch_of(ids(0, 20_000))
    result = overlap.estimate(small.hashes(), True, large.hashes(), False, large.k)
    assert result.low <= 800 <= result.high


def test_the_key_changes_every_hash() -> None:
    values = ids(0, 50)
    one = sketch_of(values)
    other = KeyedSketch(derive_key(bytes(32)))
    other.add(pl.Series(values))
    assert not set(one.hashes().tolist()) & set(other.hashes().tolist())
    assert key_id(KEY) != key_id(derive_key(bytes(32)))


# ---------------------------------------------------------------- through the worker


def _school_db(path: Path, table: str, column: str, numbers: list[str], prefix: str) -> Path:
    connection = sqlite3.connect(path)
    connection.execute(f"CREATE TABLE {table} (xh TEXT, {column} TEXT)")
    connection.executemany(
        f"INSERT INTO {table} VALUES (?, ?)",
        [(f"{prefix}{n:06d}", number) for n, number in enumerate(numbers)],
    )
    connection.commit()
    connection.close()
    return path


@pytest.fixture
def scanned(
    audited_factory: sessionmaker[Session],
    world: World,
    settings: Settings,
    tmp_path: Path,
) -> dict[str, object]:
    """Three systems: A and B share 60 % of 5,000 ID numbers, C shares none with either."""
    a_ids, b_ids, c_ids = ids(0, 5000), ids(2000, 5000), ids(40_000, 5000)
    dbs = {
        "a": _school_db(tmp_path / "a.db", "xs_jbxx", "sfzjh", a_ids, "A"),
        "b": _school_db(tmp_path / "b.db", "student", "id_card_no", b_ids, "B"),
        "c": _school_db(tmp_path / "c.db", "jzg", "sfzh", c_ids, "C"),
    }
    policy = service.LocationPolicy((tmp_path,), settings.home)
    with audited_factory() as session, session.begin():
        third = orgs_service.create_system(
            session, SystemCreate(name="县体质健康系统", unit_id=world.county)
        )
        session.flush()
        systems = {"a": world.system, "b": world.other_system, "c": third.id}
        for name, system_id in systems.items():
            flows.add_source(
                session,
                system_id,
                SourceCreate(name=f"库{name}", location=f"sqlite:///{dbs[name]}"),
                scope="/",
                policy=policy,
            )
            flows.request_scan(session, system_id, scope="/", requested_by="test")
    done = jobs.work(audited_factory, once=True, progress_seconds=0.0, sketch_key=KEY)
    assert done == 3
    return {"systems": systems, "planted": a_ids + b_ids + c_ids}


def test_two_systems_sharing_sixty_percent_are_reported(
    scanned: dict[str, object], audited_factory: sessionmaker[Session], world: World
) -> None:
    systems = scanned["systems"]
    assert isinstance(systems, dict)
    with audited_factory() as session:
        found = dashboard.duplicates(session, dashboard.resolve(session, scope="/", unit_id=None))
    ids_found = [d for d in found if d["pi_type"] == "CN_RESIDENT_ID"]
    assert len(ids_found) == 1  # A–B; C is disjoint from both
    pair = ids_found[0]
    assert {pair["a"]["system_id"], pair["b"]["system_id"]} == {systems["a"], systems["b"]}
    assert {pair["a"]["field"], pair["b"]["field"]} == {"sfzjh", "id_card_no"}
    assert not pair["exact"]
    assert abs(pair["overlap"] - 3000) <= 0.15 * 3000
    assert pair["overlap_low"] <= 3000 <= pair["overlap_high"]
    assert abs(pair["jaccard"] - 3000 / 7000) <= 0.06
    assert pair["a"]["unit"] in ("甲县第一小学", "甲县第二小学")
    with audited_factory() as session:  # a school sees only its own systems: no pair
        school = dashboard.resolve(session, scope="/", unit_id=world.school)
        assert dashboard.duplicates(session, school) == []


def test_stored_sketches_hold_no_value_and_no_plain_hash(
    scanned: dict[str, object], audited_factory: sessionmaker[Session]
) -> None:
    planted = scanned["planted"]
    assert isinstance(planted, list)
    with audited_factory() as session:
        blobs = [s.hashes for s in session.scalars(select(FieldSketch)).all()]
        reports = [r.report_gz or b"" for r in session.scalars(select(ScanRun)).all()]
    # ID numbers and student numbers (xh) of three systems, each over k distinct values
    assert len(blobs) == 6 and all(len(b) == 8 * discovery_sketch.SKETCH_K for b in blobs)
    stored = b"".join(blobs)
    sorted_ok = [np.all(np.diff(np.frombuffer(b, dtype=">u8")) > 0) for b in blobs]
    assert all(sorted_ok)
    for value in planted[::7]:
        raw = value.encode()
        for digest in (hashlib.new("sm3", raw).digest(), hashlib.sha256(raw).digest()):
            assert digest[:8] not in stored and digest[-8:] not in stored
        assert raw not in stored and raw[:12] not in stored
    for report in reports:  # the JSON report carries no sketch either
        assert b"hashes" not in report


def test_a_scan_without_key_keeps_no_sketch(
    audited_factory: sessionmaker[Session],
    run_worker: Callable[[], int],
    world: World,
    settings: Settings,
    tmp_path: Path,
) -> None:
    db = _school_db(tmp_path / "a.db", "xs_jbxx", "sfzjh", ids(0, 200), "A")
    with audited_factory() as session, session.begin():
        flows.add_source(
            session,
            world.system,
            SourceCreate(name="库", location=f"sqlite:///{db}"),
            scope="/",
            policy=service.LocationPolicy((tmp_path,), settings.home),
        )
        flows.request_scan(session, world.system, scope="/", requested_by="test")
    assert run_worker() == 1
    with audited_factory() as session:
        assert session.scalars(select(FieldSketch)).all() == []
