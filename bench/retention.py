"""Benchmark: a disposition of ``--rows`` expired rows on a PostgreSQL source (issue #20):
rows/s and the longest lock held, against the issue's ≥ 20,000 rows/s and ≤ 1 s.

    .venv/bin/python bench/retention.py                      # 1,000,000 rows (the issue's figure)
    .venv/bin/python bench/retention.py --rows 20000         # quicker
    .venv/bin/python bench/retention.py --disposition anonymise --batch 5000

The platform database is a fresh PostgreSQL schema (127.0.0.1:5432, database ``test``); the
source is a table of synthetic graduates in the same server's ``test`` database: ``--rows``
graduated five years ago (expired under a 3-year rule) and 1,000 last year (kept). The run goes
the platform's own way — catalog applied, rule, write credential, plan (dry run), submit, the
two approvals, ``dispositions.execute`` in batches with its write-ahead manifest, certificate.

The longest lock is measured twice: the longest source transaction (timed around each
batch's DELETE/UPDATE transaction by the executor: what holds the row locks), and by sampling
``pg_locks`` every 20 ms for the row-exclusive lock on the source table held by a transaction
(now − the holding transaction's start: a lower bound, ±20 ms). The longest whole batch (the
platform's manifest write-ahead, the source transaction, the batch marked done) is printed
too; the platform side holds no lock on the source.
Figures are measured, not asserted: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import RunStatus as ScanStatus
from eduguard.catalog.schemas import SourceCreate
from eduguard.config import Settings
from eduguard.db import migrate
from eduguard.db.base import utcnow
from eduguard.db.engine import make_engine, make_session_factory, transaction
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.keys.keyring import Keyring
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import SystemCreate, UnitCreate
from eduguard.retention import dispositions, executor
from eduguard.retention import flows as retention_flows
from eduguard.retention.models import Disposition, DispositionRun, PeriodUnit, Trigger
from eduguard.retention.schemas import RuleIn

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_ROWS_PER_S = 20_000
TARGET_LOCK_S = 1.0
KEPT = 1_000


def _column(name: str, comment: str, types: list[str]) -> dict[str, object]:
    return {
        "name": name,
        "comment": comment,
        "pi_types": types,
        "sensitive": False,
        "minors": False,
        "level": "general-3" if types else "general-2",
        "confidence": 0.95,
        "evidence": [],
    }


def _source(table: str, rows: int) -> None:
    """Synthetic graduates, made on the server (generate_series): no value is real."""
    engine = create_engine(SERVER)
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE {table} (xh VARCHAR(20) PRIMARY KEY, xm VARCHAR(50),"
                " sjh VARCHAR(20), biye_rq DATE)"
            )
        )
        connection.execute(
            text(
                f"INSERT INTO {table} SELECT 'S' || lpad(g::text, 9, '0'), '学生' || g,"
                " '139' || lpad((g % 100000000)::text, 8, '0'),"
                " CASE WHEN g <= :rows THEN current_date - 1900 + (g % 200)"
                " ELSE current_date - 300 END FROM generate_series(1, :total) AS g"
            ),
            {"rows": rows, "total": rows + KEPT},
        )
        connection.execute(text(f"ANALYZE {table}"))
    engine.dispose()


class LockSampler(threading.Thread):
    """The longest a transaction has held a row-exclusive lock on ``table`` (sampled)."""

    def __init__(self, table: str, every: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.table, self.every = table, every
        self.longest = 0.0
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        engine = create_engine(SERVER, isolation_level="AUTOCOMMIT")
        query = text(
            "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - a.xact_start)), 0)"
            " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.relation = CAST(:table AS regclass) AND l.granted"
            " AND l.mode = 'RowExclusiveLock' AND a.pid <> pg_backend_pid()"
        )
        with engine.connect() as connection:
            while not self.stop.is_set():
                held = float(connection.scalar(query, {"table": self.table}) or 0)
                self.longest = max(self.longest, held)
                self.samples += 1
                time.sleep(self.every)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="expired rows disposed")
    parser.add_argument("--batch", type=int, default=executor.DEFAULT_BATCH, help="rows per batch")
    parser.add_argument(
        "--disposition",
        choices=("delete", "anonymise", "archive"),
        default="delete",
        help="what is done",
    )
    args = parser.parse_args()

    suffix = uuid.uuid4().hex[:10]
    schema, table = f"eg_bench_{suffix}", f"bench_xs_biye_{suffix}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        with tempfile.TemporaryDirectory() as home:
            started = time.perf_counter()
            _source(table, args.rows)
            print(
                f"source: {args.rows:,} expired + {KEPT:,} kept rows loaded in "
                f"{time.perf_counter() - started:.1f} s"
            )
            url = f"{SERVER}?options=-csearch_path%3D{schema}"
            engine = make_engine(url)
            migrate.upgrade(engine)
            settings = Settings(
                home=Path(home), database_url=url, secret_key=secrets.token_urlsafe(48)
            )
            factory = make_session_factory(engine, Keyring(settings.master_key_source()))
            audit_capture.install(factory)
            run_id = _prepare(factory, table, args.disposition)
            sampler = LockSampler(table)
            sampler.start()
            started = time.perf_counter()
            outcome = dispositions.execute(
                factory,
                run_id,
                executor_name="bench",
                keys_dir=settings.keys_dir,
                batch_size=args.batch,
            )
            elapsed = time.perf_counter() - started
            sampler.stop.set()
            sampler.join()
            with factory() as session:
                run = session.get_one(DispositionRun, run_id)
                processed, left, longest_ms = (
                    run.processed,
                    run.remaining_after,
                    run.longest_batch_ms,
                )
            engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        admin.dispose()
    rate = processed / elapsed if elapsed else 0.0
    print(
        f"{args.disposition}: {processed:,} rows in {elapsed:.1f} s "
        f"({outcome.batches} batches of ≤ {args.batch}) — {rate:,.0f} rows/s "
        f"(target ≥ {TARGET_ROWS_PER_S:,}: {'met' if rate >= TARGET_ROWS_PER_S else 'NOT met'}); "
        f"still selected after: {left}"
    )
    source_s, batch_s = outcome.longest_source_ms / 1000, longest_ms / 1000
    print(
        f"longest source transaction (its locks): {source_s:.3f} s — target ≤ "
        f"{TARGET_LOCK_S:.0f} s: {'met' if max(source_s, sampler.longest) <= TARGET_LOCK_S else 'NOT met'}"
        f"; row locks on the table sampled in pg_locks: longest {sampler.longest:.3f} s "
        f"({sampler.samples} samples); longest whole batch (manifest write-ahead + source + "
        f"marked done): {batch_s:.3f} s"
    )


def _prepare(factory: object, table: str, disposition: str) -> int:
    """Unit, system, the three people, catalog, rule, credential; planned and approved."""
    with transaction(factory) as session:  # type: ignore[arg-type]
        audit_service.bind_actor(session, Actor.cli("bench/retention.py"))
        school = orgs_service.create_unit(
            session, UnitCreate(name="压测中学", kind=UnitKind.school)
        )
        system = orgs_service.create_system(
            session, SystemCreate(name="压测学籍系统", unit_id=school.id)
        )
        for username, role in (
            ("bench-pio", Role.pi_officer),
            ("bench-owner", Role.data_owner),
            ("bench-security", Role.security_admin),
        ):
            identity_service.create_user(
                session,
                username=username,
                password=secrets.token_urlsafe(16),
                roles={role},
                unit_id=school.id,
            )
        source = catalog_flows.add_source(
            session,
            system.id,
            SourceCreate(name="压测源库", location=SERVER),
            scope="/",
            policy=catalog_service.LocationPolicy(),
        )
        scan = catalog_service.queue_run(session, source, requested_by="bench")
        scan.status, scan.started_at, scan.finished_at = ScanStatus.succeeded, utcnow(), utcnow()
        columns = [
            _column("xh", "学号", ["STUDENT_NO"]),
            _column("xm", "姓名", ["PERSON_NAME"]),
            _column("sjh", "手机号", ["MOBILE_PHONE"]),
            _column("biye_rq", "毕业日期", []),
        ]
        report = {"name": table, "comment": "毕业生", "row_count": 0, "rows_sampled": 0}
        report |= {"subjects": 0, "minors": False, "level": "general-3", "columns": columns}
        catalog_flows.apply_run(session, scan, {"report_version": 1, "tables": [report]})
        [dataset] = catalog_service.list_datasets(session, system_id=system.id, limit=10)
        retention_flows.save_rule(
            session,
            dataset.id,
            RuleIn(
                trigger=Trigger.date_column,
                trigger_column="biye_rq",
                period_value=3,
                period_unit=PeriodUnit.years,
                disposition=Disposition(disposition),
                key_column="xh",
            ),
            scope="/",
            by="bench-owner",
        )
        dispositions.register_write_credential(
            session, source.id, "", None, scope="/", by="bench-owner"
        )
        started = time.perf_counter()
        run = dispositions.plan(session, dataset.id, scope="/", by="bench-pio", today=date.today())
        print(
            f"plan (dry run): {run.selected:,} of {run.rows_before:,} rows selected in "
            f"{time.perf_counter() - started:.2f} s"
        )
        dispositions.submit(
            session, run.id, dispositions.person_of(session, "bench-pio"), scope="/"
        )
        for approver in ("bench-owner", "bench-security"):
            person = dispositions.person_of(session, approver)
            dispositions.decide(session, run.id, person, "approve", "压测：同意处置", scope="/")
        return run.id


if __name__ == "__main__":
    main()
