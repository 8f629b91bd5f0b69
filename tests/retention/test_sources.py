"""Dispositions on PostgreSQL and MariaDB source systems (the other tests use SQLite sources):
the dry run counts on the real server, and a run that crashes after the source committed a
batch but before the manifest recorded it resumes with every selected row done exactly once,
for delete, anonymise and archive. The platform database is SQLite here (the platform side
runs on both databases in the other tests); each case makes its own source database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from eduguard.retention import dispositions
from eduguard.retention.models import ArchivedRow, DispositionRun, ManifestEntry, RunStatus

from .conftest import GRADUATES, OLD, World, apply_catalog, graduates, set_rule

SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306",
}
ADMIN_DB = {"postgresql": "/test", "mariadb": "/"}
CREATE = {
    "postgresql": "CREATE TABLE xs_biye (xh VARCHAR(20) PRIMARY KEY, xm VARCHAR(50), "
    "sjh VARCHAR(20), biye_rq DATE)",
    "mariadb": "CREATE TABLE xs_biye (xh VARCHAR(20) PRIMARY KEY, xm VARCHAR(50), "
    "sjh VARCHAR(20), biye_rq DATE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
}
CASES = [("postgresql", "delete"), ("postgresql", "anonymise"), ("mariadb", "archive")]


class Crash(Exception):
    pass


@pytest.fixture
def server_source(request: pytest.FixtureRequest) -> Iterator[tuple[str, Engine]]:
    """A fresh database on the server with the graduates table; dropped afterwards."""
    backend = request.param
    name = f"eg_src_{uuid.uuid4().hex[:10]}"
    admin = create_engine(SERVERS[backend] + ADMIN_DB[backend], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    location = f"{SERVERS[backend]}/{name}"
    engine = create_engine(location)
    with engine.begin() as connection:
        connection.execute(text(CREATE[backend]))
        connection.execute(
            text("INSERT INTO xs_biye VALUES (:xh, :xm, :sjh, :rq)"),
            [{"xh": k, "xm": n, "sjh": p, "rq": d} for k, n, p, d in graduates(date.today())],
        )
    try:
        yield location, engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            if backend == "postgresql":
                connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
            else:
                connection.execute(text(f"DROP DATABASE {name}"))
        admin.dispose()


def _left(engine: Engine) -> tuple[int, int]:
    """(rows in the table, rows of the old graduates still holding a name)."""
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(text("xs_biye")))
        named = connection.scalar(
            text("SELECT count(*) FROM xs_biye WHERE xh < :last AND xm IS NOT NULL"),
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
    world: World, server_source: tuple[str, Engine], disposition: str, tmp_path: Path
) -> None:
    location, source_engine = server_source
    system = world.client.post(
        "/api/v1/systems", json={"name": "一中教务系统", "unit_id": world.school}
    ).json()["id"]
    source_id = apply_catalog(world.client, system, location, (tmp_path,))
    found = world.client.get("/api/v1/catalog/datasets", params={"system_id": system}).json()
    world.datasets = {d["name"]: d["id"] for d in found}
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
    assert _left(source_engine) == (expect_total, OLD - 14)
    outcome = dispositions.execute(
        world.factory, run_id, executor_name="t", keys_dir=tmp_path, batch_size=7
    )
    assert outcome.reconciled == 7
    done_total = GRADUATES if disposition == "anonymise" else GRADUATES - OLD
    assert _left(source_engine) == (done_total, 0)
    with world.factory() as session:
        finished = session.get_one(DispositionRun, run_id)
        assert finished.status == RunStatus.completed
        assert (finished.processed, finished.remaining_after) == (OLD, 0)
        hashes = session.scalars(
            select(ManifestEntry.key_hash).where(ManifestEntry.run_id == run_id)
        ).all()
        assert len(hashes) == len(set(hashes)) == OLD
        archived = session.scalar(
            select(func.count()).select_from(ArchivedRow).where(ArchivedRow.run_id == run_id)
        )
        assert archived == (OLD if disposition == "archive" else 0)
