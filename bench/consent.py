"""Benchmark: the consent gate's latency on PostgreSQL with a large ledger (issue #18 part 7).

    .venv/bin/python bench/consent.py                                 # 1,000,000 subjects × 20
    .venv/bin/python bench/consent.py --subjects 50000 --queries 500  # quicker

Builds the demo in a fresh PostgreSQL schema (127.0.0.1:5432, database ``test``), then adds
``--subjects`` subjects of school B with ``--events`` ledger rows each on the canteen's
consent-based purpose (grant / withdraw alternating over a year; a third are children whose one
guardian decides), every row hashed into its subject's SM3 chain exactly as the platform appends
it (``consent.ledger.entry_hash``), loaded with COPY. Then it times ``can_process`` as the API
runs it — a new session, the subject read, the purpose, the fold of its events, the row's hash
check, the terms comparison — for ``--queries`` random (subject, time) pairs, and prints the
p50 / p95 / p99 against the issue's p95 target of 50 ms. No peer: the issue names none.

Figures are measured, not asserted: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from eduguard.config import Settings
from eduguard.consent import coverage, flows, ledger
from eduguard.consent.models import ConsentEvent, ConsentSubject
from eduguard.db import migrate
from eduguard.db.engine import make_engine
from eduguard.demo import flows as demo_flows
from eduguard.web.app import create_app

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_P95_MS = 50.0
START = datetime(2025, 9, 1, tzinfo=UTC)


def _template(session: object) -> ConsentEvent:
    """The demo's current grant (after the material change): its purpose, rules and terms."""
    row = session.scalars(  # type: ignore[attr-defined]
        select(ConsentEvent).where(ConsentEvent.channel == "link").order_by(ConsentEvent.id)
    ).first()
    assert row is not None, "the demo has no link consent"
    return row


def _rows(
    template: ConsentEvent, first_id: int, unit_id: int, subjects: int, events: int, seed: int
) -> Iterator[tuple[str, tuple[object, ...]]]:
    rng = random.Random(seed)
    event_id = 10_000_000
    for n in range(subjects):
        subject_id = first_id + n
        reference = f"{uuid.UUID(int=rng.getrandbits(128)).hex}{n:032x}"[:64]
        child = n % 3 == 0
        guardian_id = subject_id if child else None
        prev = ledger.GENESIS
        at = START + timedelta(minutes=rng.randrange(60 * 24 * 30))
        chain = []
        for seq in range(1, events + 1):
            action = "grant" if seq % 2 else "withdraw"
            given_by = "guardian" if child else "subject"
            entry = ledger.Entry(
                reference=reference,
                seq=seq,
                purpose_id=template.purpose_id,
                action=action,
                rules_version_id=template.rules_version_id,
                rules_sm3=template.rules_sm3,
                terms_hash=template.terms_hash,
                given_by=given_by,
                guardian_id=guardian_id,
                verification="paper_form",
                channel="paper",
                at=at,
                recorded_by="bench",
            )
            digest = ledger.entry_hash(entry, prev)
            event_id += 1
            chain.append(
                (
                    event_id,
                    subject_id,
                    seq,
                    template.purpose_id,
                    action,
                    template.rules_version_id,
                    template.rules_sm3,
                    template.terms,
                    template.terms_hash,
                    given_by,
                    guardian_id,
                    "paper_form",
                    "paper",
                    at,
                    "bench",
                    prev,
                    digest,
                )
            )
            prev = digest
            at += timedelta(minutes=rng.randrange(1, 60 * 24 * 18))
        fourteen = "2032-05-01" if child else None
        yield "subject", (subject_id, unit_id, "student", reference, fourteen, "any", events, prev)
        if child:
            yield "guardian", (guardian_id, subject_id, f"{reference[:60]}g001", "mother", True)
        for values in chain:
            yield "event", values


def _load(engine_url: str, template: ConsentEvent, unit_id: int, args: argparse.Namespace) -> int:
    """Stream the three tables at once, one COPY per connection (foreign keys are checked by
    the rows' construction, so the connections skip the triggers), then commit all three."""
    import psycopg

    dsn = engine_url.replace("postgresql+psycopg://", "postgresql://")
    with contextlib.ExitStack() as stack:
        connections = [stack.enter_context(psycopg.connect(dsn)) for _ in range(3)]
        cursors = [stack.enter_context(c.cursor()) for c in connections]
        for cursor in cursors:
            cursor.execute("SET session_replication_role = replica")
        row = cursors[0].execute("SELECT coalesce(max(id), 0) FROM consent_subjects").fetchone()
        first = int(row[0] if row else 0) + 1000
        now = datetime.now(UTC)
        statements = {
            "subject": "COPY consent_subjects (id, unit_id, kind, reference, fourteen_on, "
            "guardian_policy, head_seq, head_hash, created_at) FROM STDIN",
            "guardian": "COPY consent_guardians (id, subject_id, reference, relation, active, "
            "created_at) FROM STDIN",
            "event": "COPY consent_events (id, subject_id, seq, purpose_id, action, "
            "rules_version_id, rules_sm3, terms, terms_hash, given_by, guardian_id, verification, "
            "channel, at, recorded_by, prev_hash, hash) FROM STDIN",
        }
        with contextlib.ExitStack() as copies:
            copy = {
                kind: copies.enter_context(cursor.copy(statement))
                for (kind, statement), cursor in zip(statements.items(), cursors, strict=True)
            }
            for kind, values in _rows(
                template, first, unit_id, args.subjects, args.events, args.seed
            ):
                if kind == "event":
                    copy[kind].write_row(values)
                else:
                    copy[kind].write_row((*values, now))
        for connection in connections:
            connection.commit()
        cursor = cursors[0]
        # The purpose has been active for the year the ledger covers.
        cursor.execute(
            "UPDATE processing_purposes SET activated_at = %s WHERE id = %s",
            (START - timedelta(days=1), template.purpose_id),
        )
        for table in ("consent_subjects", "consent_guardians", "consent_events"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
            cursor.execute(f"ANALYZE {table}")
        connections[0].commit()
    return first


def _first_loaded(session_factory: object) -> tuple[int, int]:
    """The first subject id a kept schema's load wrote (``_load`` starts 1000 past the demo's)
    and how many it wrote."""
    loaded = ConsentSubject.id >= 1000
    with session_factory() as session:  # type: ignore[operator]
        first = session.scalar(select(func.min(ConsentSubject.id)).where(loaded))
        count = session.scalar(select(func.count(ConsentSubject.id)).where(loaded))
    return int(first), int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20, help="ledger rows per subject")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument(
        "--keep", action="store_true", help="keep the schema (its name is printed) for --schema"
    )
    parser.add_argument(
        "--schema",
        help="time a schema an earlier --keep run built, instead of building one (kept after)",
    )
    args = parser.parse_args()
    reuse = args.schema is not None
    schema = args.schema or f"eg_bench_consent_{uuid.uuid4().hex[:8]}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    if not reuse:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{SERVER}?options=-csearch_path%3D{schema}"
    loaded = 0.0
    try:
        with contextlib.ExitStack() as homes:
            # A kept schema's data keys are sealed under this home's master key: keep it too.
            home = (
                str(Path(tempfile.gettempdir()) / schema)
                if args.keep or reuse
                else homes.enter_context(tempfile.TemporaryDirectory())
            )
            if not reuse:
                engine = make_engine(url)
                migrate.upgrade(engine)
                engine.dispose()
            settings = Settings(
                home=Path(home),
                database_url=url,
                secret_key=secrets.token_urlsafe(48),
                demo=False,
            )
            app = create_app(settings)
            factory = app.state.session_factory
            if not reuse:
                with factory() as session, session.begin():
                    demo_flows.seed(session)
            with factory() as session:
                template = _template(session)
                session.expunge(template)
                unit_id = session.get(ConsentSubject, 1).unit_id  # type: ignore[union-attr]
            if reuse:
                first, args.subjects = _first_loaded(session_factory=factory)
            else:
                started = time.perf_counter()
                first = _load(url, template, unit_id, args)
                loaded = time.perf_counter() - started
            rng = random.Random(args.seed + 1)
            timings = []
            answers = {True: 0, False: 0}
            end = START + timedelta(days=365)
            for _ in range(args.queries):
                subject_id = first + rng.randrange(args.subjects)
                at = START + (end - START) * rng.random()
                began = time.perf_counter()
                with factory() as session:
                    subject = session.get(ConsentSubject, subject_id)
                    assert subject is not None
                    answer = flows.can_process(session, subject, template.purpose_id, at, scope="/")
                timings.append((time.perf_counter() - began) * 1000)
                answers[answer.allowed] += 1
            summaries = []  # the dashboard's and the compliance rules' per-purpose count
            for _ in range(3):
                began = time.perf_counter()
                with factory() as session:
                    counted = coverage.ledger_summary(session, [template.purpose_id])
                summaries.append(time.perf_counter() - began)
            app.state.engine.dispose()
    finally:
        if args.keep or reuse:
            print(
                f"schema kept: --schema {schema} (its home {Path(tempfile.gettempdir()) / schema}; "
                "drop both when done)"
            )
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"PostgreSQL: {args.subjects:,} subjects, {args.subjects * args.events:,} ledger rows "
        f"(+ the demo's), "
        + (f"loaded in {loaded:.0f} s" if not reuse else f"schema {schema} reused")
    )
    print(
        f"can_process × {args.queries:,}: p50 {statistics.median(timings):.1f} ms, "
        f"p95 {p95:.1f} ms, p99 {timings[int(len(timings) * 0.99) - 1]:.1f} ms, "
        f"max {timings[-1]:.1f} ms; allowed {answers[True]}, denied {answers[False]}"
    )
    summary = counted[template.purpose_id]
    print(
        f"ledger_summary (one purpose, all subjects): median {statistics.median(summaries):.2f} s"
        f" of 3; {summary.subjects:,} subjects, {summary.valid:,} valid now"
    )
    print(f"target p95 ≤ {TARGET_P95_MS:.0f} ms: {'met' if p95 <= TARGET_P95_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
