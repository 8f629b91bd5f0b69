"""Dispositions on PostgreSQL and MariaDB source systems (the other tests use SQLite sources):
the dry run counts on the real server, and a run that crashes after the source committed a
batch but before the manifest recorded it resumes with every selected row done exactly once,
for delete, anonymise and archive. The platform database is SQLite here (the platform side
runs on both databases in the other tests). Each case has its own source table: on PostgreSQL
a uniquely named table in the server's ``test`` database (a DROP DATABASE waits for a
checkpoint: 10–40 s on this shared server), on MariaDB a database of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text

from eduguard.retention import dispositions
from eduguard.retention.models import DispositionRun, ManifestEntry, RunStatus

from .conftest import GRADUATES, OLD, TABLES, World, apply_catalog, graduates, set_rule

SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306",
}
COLUMNS = "(xh VARCHAR(20) PRIMARY KEY, xm VARCHAR(50), sjh VARCHAR(20), biye_rq DATE)"
CASES = [("postgresql", "delete"), ("postgresql", "anonymise"), ("mariadb", "archive")]


@dataclass
class ServerSource:
    location: str
    engine: Engine
    table: str


class Crash(Exception):
    pass


@pytest.fixture
def server_source(request: pytest.FixtureRequest) -> Iterator[ServerSource]:
    """The graduates table on the server; dropped afterwards."""
    backend = request.param
    suffix = uuid.uuid4().hex[:10]
    table = f"xs_biye_{suffix}"
    admin: Engine | None = None
    if backend == "postgresql":
        location = f"{SERVERS[backend]}/test"
    else:
        admin = create_engine(f"{SERVERS[backend]}/", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE eg_src_{suffix}"))
        location = f"{SERVERS[backend]}/eg_src_{suffix}"
    engine = create_engine(location)
    extra = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4" if backend == "mariadb" else ""
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {table} {COLUMNS}{extra}"))
        connection.execute(
            text(f"INSERT INTO {table} VALUES (:xh, :xm, :sjh, :rq)"),
            [{"xh": k, "xm": n, "sjh": p, "rq": d} for k, n, p, d in graduates(date.today())],
        )
    try:
        yield ServerSource(location, engine, table)
    finally:
        if admin is None:
            with engine.begin() as connection:
                connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE eg_src_{suffix}"))
            admin.dispose()


def _left(source: ServerSource) -> tuple[int, int]:
    """(rows in the table, rows of the old graduates still holding a name)."""
    with source.engine.connect() as connection:
        total = connection.scalar(text(f"SELECT count(*) FROM {source.table}"))
        named = connection.scalar(
            text(f"SELECT count(*) FROM {source.table} WHERE xh < :last AND xm IS NOT NULL"),
            {"last": f"S{OLD:05d}"},
        )
    return int(total or 0), int(named or 0)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("server_source", "disposition"),
    CASES,
    indirect=["server_source"],
    ids=[f"{b}-{d}" for b, d in CASES],
)
def test_crash_and_resume_on_a_server_source(
    world: World, server_source: ServerSource, disposition: str, tmp_path: Path
) -> None:
    system = world.client.post(
        "/api/v1/systems", json={"name": "一中教务系统", "unit_id": world.school}
    ).json()["id"]
    graduates_table = {**TABLES[0], "name": server_source.table}
    source_id = apply_catalog(
        world.client, system, server_source.location, (tmp_path,), [graduates_table]
    )
    found = world.client.get("/api/v1/catalog/datasets", params={"system_id": system}).json()
    world.datasets = {"xs_biye": next(d["id"] for d in found if d["name"] == server_source.table)}
    set_rule(world, disposition=disposition)
    with world.factory.begin() as session:
        dispositions.register_write_credential(session, source_id, "", None, scope="/", by="owner1")
        run = dispositions.plan(session, world.datasets["xs_biye"], scope="/", by="pio1")
        assert (run.rows_before, run.selected) == (GRADUATES, OLD)
        run_id = run.id
        dispositions.submit(session, run_id, dispositions.person_of(session, "pio1"), scope="/")
    for approver in ("owner1", "sec1"):
        with world.factory.begin() as session:
            who = dispositions.person_of(session, approver)
            dispositions.decide(session, run_id, who, "approve", "同意处置", scope="/")

    def crash(phase: str, batch: int) -> None:
        if (phase, batch) == ("source", 2):  # the source committed, the manifest did not
            raise Crash

    with pytest.raises(Crash):
        dispositions.execute(
            world.factory, run_id, executor_name="t", keys_dir=tmp_path, batch_size=7, hook=crash
        )
    expect_total = GRADUATES if disposition == "anonymise" else GRADUATES - 14
    assert _left(server_source) == (expect_total, OLD - 14)
    outcome = dispositions.execute(
        world.factory, run_id, executor_name="t", keys_dir=tmp_path, batch_size=7
    )
    assert outcome.reconciled == 7
    done_total = GRADUATES if disposition == "anonymise" else GRADUATES - OLD
    assert _left(server_source) == (done_total, 0)
    with world.factory() as session:
        finished = session.get_one(DispositionRun, run_id)
        assert finished.status == RunStatus.completed
        assert (finished.processed, finished.remaining_after) == (OLD, 0)
        hashes = session.scalars(
            select(ManifestEntry.key_hash).where(ManifestEntry.run_id == run_id)
        ).all()
        assert len(hashes) == len(set(hashes)) == OLD
        archived = len(dispositions.archived(session, run_id))
        assert archived == (OLD if disposition == "archive" else 0)
