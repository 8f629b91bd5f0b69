"""Audit log benchmark: append rate, verification speed and auditor search latency, on SQLite
and PostgreSQL in one run.

    .venv/bin/python bench/audit.py                       # small, quick
    .venv/bin/python bench/audit.py --search-rows 10000000 --search-backends postgresql

* append: ``record()`` through the real writer (chain lock, SM3, one executemany per commit),
  ``--batch`` events per transaction.
* verify: ``verify()`` over the events just appended (real chain, checkpoints checked), by
  each path: row batches in this process, and the C loop (``_chaincheck``: SQLite's C API;
  ``_chaincheck_pg``: PostgreSQL's binary COPY through libpq; libgcrypt's SM3) on 1 and 2
  worker threads; ratios against the row path.
* search: a table of ``--search-rows`` synthetic events loaded **in the database** with
  generate_series / a recursive CTE (hashes are placeholders: search latency does not depend on
  them, and computing a valid chain for 10M rows would only slow the set-up). Then the real
  ``queries.search`` for typical auditor queries; median and p95 of repeated runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import checkpoints, service, verify
from eduguard.audit.queries import EventFilter, search
from eduguard.audit.service import Actor
from eduguard.db import migrate
from eduguard.db.engine import make_engine, make_session_factory

PG_SERVER = os.environ.get("EDUGUARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ACTOR = Actor(
    username="bench.user",
    user_id=1,
    roles=("data_operator",),
    unit_id=9,
    unit_path="/1/4/9/",
    client_address="192.0.2.1",
    reason="数据运营在本单位范围内可查看信息系统",
)
ACTIONS = ("system.read", "unit.update", "catalog.export", "auth.login", "system.update")


class Backend:
    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.schema = f"eg_bench_{uuid.uuid4().hex[:8]}"
        if name == "sqlite":
            self.url = f"sqlite:///{workdir / f'{self.schema}.db'}"
        else:
            admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            admin.dispose()
            self.url = f"{PG_SERVER}?options=-csearch_path%3D{self.schema}"
        self.engine: Engine = make_engine(self.url)
        migrate.upgrade(self.engine)
        self.factory: sessionmaker[Session] = make_session_factory(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        if self.name == "postgresql":
            admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            admin.dispose()


def bench_append(backend: Backend, events: int, batch: int) -> float:
    started = time.perf_counter()
    written = 0
    while written < events:
        with backend.factory() as session, session.begin():
            service.bind_actor(session, ACTOR)
            for _ in range(min(batch, events - written)):
                written += 1
                service.record(
                    session,
                    action=ACTIONS[written % len(ACTIONS)],
                    object_type="system",
                    object_id=written % 500,
                    fields=("name", "mlps_level"),
                    row_count=1,
                )
    return events / (time.perf_counter() - started)


# How verify reads and checks: the row-batch path, and the C loop in 1 and 2 workers.
VERIFY_PATHS = (
    ("rows", {"fast": False}),
    ("C loop, 1 worker", {"workers": 1}),
    ("C loop, 2 workers", {"workers": 2}),
)


def bench_verify(
    backend: Backend, keys_dir: Path, events: int, repeats: int
) -> list[tuple[str, float, float, float, bool]]:
    """Events/s of each verify path over the same log (start-up of worker processes included):
    median, slowest and fastest of ``repeats`` runs, taken in turn path after path so that a
    noisy moment on the machine does not fall on one path only."""
    policy = checkpoints.CheckpointPolicy(keys_dir=keys_dir, sink=None)
    with backend.factory() as session, session.begin():
        checkpoints.checkpoint_now(session, policy)
    runs: dict[str, list[float]] = {label: [] for label, _ in VERIFY_PATHS}
    ok = {label: True for label, _ in VERIFY_PATHS}
    for _ in range(repeats):
        for label, options in VERIFY_PATHS:
            with backend.factory() as session:
                result = verify.verify(session.connection(), keys_dir=keys_dir, **options)  # type: ignore[arg-type]
            assert result.events_checked >= events, result
            runs[label].append(result.events_per_second)
            ok[label] = ok[label] and result.ok
    return [
        (label, statistics.median(rates), min(rates), max(rates), ok[label])
        for label, rates in runs.items()
    ]


LOAD_PG = """
INSERT INTO audit_events (id, time, username, user_id, roles, unit_id, unit_path,
    client_address, action, object_type, object_id, fields, row_count, result, reason,
    prev_hash, hash)
SELECT g,
       timestamptz '2026-01-01 00:00:00+00' + (g * interval '1 second') * (31536000.0 / :n),
       'user' || (g % 5000), g % 5000, 'data_operator', g % 2000,
       '/1/' || (g % 10) || '/' || (g % 2000) || '/',
       '10.0.' || (g % 250) || '.' || (g % 200),
       (ARRAY['system.read','unit.update','catalog.export','auth.login','system.update',
              'agreement.read','auth.login_failed','access.denied'])[1 + g % 8],
       'system', (g % 100000)::text, 'name,mlps_level', 1,
       CASE WHEN g % 50 = 0 THEN 'denied' ELSE 'ok' END, '数据运营在本单位范围内可查看信息系统',
       repeat('0', 64), repeat('0', 64)
FROM generate_series(:start, :stop) AS g
"""
LOAD_SQLITE = """
WITH RECURSIVE seq(g) AS (SELECT :start UNION ALL SELECT g + 1 FROM seq WHERE g < :stop)
INSERT INTO audit_events (id, time, username, user_id, roles, unit_id, unit_path,
    client_address, action, object_type, object_id, fields, row_count, result, reason,
    prev_hash, hash)
SELECT g,
       strftime('%Y-%m-%d %H:%M:%f000', '2026-01-01', '+' || (g * 31536 / (:n / 1000)) || ' seconds'),
       'user' || (g % 5000), g % 5000, 'data_operator', g % 2000,
       '/1/' || (g % 10) || '/' || (g % 2000) || '/',
       '10.0.' || (g % 250) || '.' || (g % 200),
       CASE g % 8 WHEN 0 THEN 'system.read' WHEN 1 THEN 'unit.update' WHEN 2 THEN 'catalog.export'
         WHEN 3 THEN 'auth.login' WHEN 4 THEN 'system.update' WHEN 5 THEN 'agreement.read'
         WHEN 6 THEN 'auth.login_failed' ELSE 'access.denied' END,
       'system', CAST(g % 100000 AS TEXT), 'name,mlps_level', 1,
       CASE WHEN g % 50 = 0 THEN 'denied' ELSE 'ok' END, '数据运营在本单位范围内可查看信息系统',
       '0000000000000000000000000000000000000000000000000000000000000000',
       '0000000000000000000000000000000000000000000000000000000000000000'
FROM seq
"""


def load_search_table(backend: Backend, rows: int) -> float:
    """Fill a fresh audit_events with ``rows`` synthetic rows; returns seconds."""
    started = time.perf_counter()
    chunk = 1_000_000
    with backend.engine.begin() as connection:
        if backend.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            connection.execute(text("TRUNCATE audit_events"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))
            connection.execute(text("DELETE FROM audit_events"))
    for start in range(1, rows + 1, chunk):
        stop = min(rows, start + chunk - 1)
        with backend.engine.begin() as connection:
            sql = LOAD_PG if backend.name == "postgresql" else LOAD_SQLITE
            connection.execute(text(sql), {"start": start, "stop": stop, "n": rows})
    with backend.engine.begin() as connection:
        connection.execute(
            text("ANALYZE audit_events" if backend.name == "postgresql" else "ANALYZE")
        )
    return time.perf_counter() - started


def search_queries() -> list[tuple[str, EventFilter]]:
    may = datetime(2026, 5, 1, tzinfo=UTC)
    day, month = timedelta(days=1), timedelta(days=30)
    return [
        ("newest page", EventFilter()),
        ("account, 30 days", EventFilter(username="user1234", since=may, until=may + month)),
        ("action", EventFilter(action="auth.login_failed")),
        ("unit subtree", EventFilter(unit_path="/1/3/")),
        ("one unit, 1 day", EventFilter(unit_path="/1/3/1233/", since=may, until=may + day)),
        ("object", EventFilter(object_type="system", object_id="4242")),
        ("time range 1 day", EventFilter(since=may, until=may + day)),
        ("denied, 7 days", EventFilter(result="denied", since=may, until=may + 7 * day)),
        ("page 100 (keyset)", EventFilter()),
    ]


def bench_search(backend: Backend, rows: int, repeats: int) -> list[tuple[str, float, float, int]]:
    results = []
    for label, flt in search_queries():
        before = rows - 100 * 50 if label.startswith("page 100") else None
        timings = []
        found: list[object] = []
        for _ in range(repeats):
            with backend.factory() as session:
                started = time.perf_counter()
                found = list(search(session, flt, before_id=before, limit=50))
                timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        results.append((label, statistics.median(timings), p95, len(found)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000, help="events appended (and verified)")
    parser.add_argument("--batch", type=int, default=1000, help="events per transaction")
    parser.add_argument("--search-rows", type=int, default=200_000, help="rows for search latency")
    parser.add_argument("--search-backends", default="sqlite,postgresql")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument(
        "--verify-repeats", type=int, default=3, help="runs of each verify path (median shown)"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="eduguard-bench-audit-"))
    keys_dir = workdir / "keys"
    table: list[tuple[str, str, str]] = []
    for name in args.backends.split(","):
        backend = Backend(name, workdir)
        try:
            rate = bench_append(backend, args.events, args.batch)
            table.append(
                (name, f"append ({args.batch}/tx, {args.events:,} events)", f"{rate:,.0f} events/s")
            )
            rates = bench_verify(backend, keys_dir, args.events, args.verify_repeats)
            for label, median, slowest, fastest, ok in rates:
                table.append(
                    (
                        name,
                        f"verify {label} ({args.events:,} events{'' if ok else ', FAILED'})",
                        f"{median:,.0f} events/s ({median / rates[0][1]:.1f}× rows; "
                        f"{slowest:,.0f}–{fastest:,.0f} in {args.verify_repeats} runs)",
                    )
                )
            if name in args.search_backends.split(","):
                seconds = load_search_table(backend, args.search_rows)
                table.append(
                    (name, f"load {args.search_rows:,} synthetic rows", f"{seconds:,.1f} s")
                )
                for label, median, p95, count in bench_search(
                    backend, args.search_rows, args.repeats
                ):
                    table.append(
                        (
                            name,
                            f"search @{args.search_rows:,}: {label} ({count} rows)",
                            f"median {median:,.1f} ms · p95 {p95:,.1f} ms",
                        )
                    )
        finally:
            backend.close()
    width = max(len(row[1]) for row in table)
    print(f"{'backend':<11} {'measure':<{width}}  result")
    for name, measure, result in table:
        print(f"{name:<11} {measure:<{width}}  {result}")


if __name__ == "__main__":
    main()
