"""Compliance evaluation benchmark: evaluate, re-evaluate, scores and reports for a county-sized
(or province-sized) tree, on SQLite or PostgreSQL.

    .venv/bin/python bench/compliance.py                          # 200 schools, SQLite
    .venv/bin/python bench/compliance.py --schools 2000 --backend postgresql

Each school gets ``--systems`` systems with two catalog datasets of five fields (children's
data, one sensitive field on every other system, no retention period on half the datasets), a
third of the systems stored overseas, some with an outside operator: a realistic share of rules
fail. The rows are inserted with the ORM (the catalog's scan path is benchmarked elsewhere).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from eduguard.catalog.models import Dataset, DataSource, Field, SourceKind
from eduguard.compliance import flows
from eduguard.db import migrate
from eduguard.db.engine import make_engine, make_session_factory
from eduguard.orgs.models import InformationSystem, StorageLocation, Unit, UnitKind

PG_SERVER = os.environ.get("EDUGUARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def build(session: Session, schools: int, systems: int) -> int:
    county = Unit(name="基准县教育局", kind=UnitKind.county, path="/")
    session.add(county)
    session.flush()
    county.path = f"/{county.id}/"
    count = 0
    for n in range(schools):
        school = Unit(name=f"基准学校{n:05d}", kind=UnitKind.school, parent_id=county.id)
        session.add(school)
        session.flush()
        school.path = f"{county.path}{school.id}/"
        for m in range(systems):
            count += 1
            system = InformationSystem(
                name=f"系统{m}",
                unit_id=school.id,
                owner_unit_id=school.id,
                storage_location=StorageLocation.overseas
                if count % 3 == 0
                else StorageLocation.domestic,
                pi_subject_count=1_200_000 if count % 50 == 0 else 900,
                operator_name="基准科技" if count % 4 == 0 else None,
                mlps_level=2,
            )
            session.add(system)
            session.flush()
            source = DataSource(
                system_id=system.id,
                name="库",
                kind=SourceKind.database,
                location="postgresql://x/y",
            )
            session.add(source)
            session.flush()
            for d in range(2):
                dataset = Dataset(
                    system_id=system.id,
                    source_id=source.id,
                    name=f"t{d}",
                    minors=True,
                    subjects=900,
                    retention_period="3 年" if d == 0 else None,
                )
                session.add(dataset)
                session.flush()
                for f in range(5):
                    session.add(
                        Field(
                            dataset_id=dataset.id,
                            name=f"c{f}",
                            proposed_pi_types="PERSON_NAME" if f < 3 else "",
                            sensitive=(f == 0 and count % 2 == 0),
                            minors=f < 3,
                        )
                    )
        session.flush()
    return count


def timed(label: str, action) -> object:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    print(f"  {label:<28} {time.perf_counter() - started:8.2f} s")
    return result


def run(url: str, schools: int, systems: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        count = timed("build", lambda: build(session, schools, systems))
    print(f"  {schools} schools, {count} systems, {count * 2} datasets, {count * 10} fields")
    today = date.today()
    with factory() as session, session.begin():
        first = timed("evaluate (first)", lambda: flows.evaluate(session, today=today))
    print(f"  findings: {first.new_findings} new over {first.subjects} subjects")  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        again = timed("re-evaluate (no change)", lambda: flows.evaluate(session, today=today))
    print(f"  re-evaluation: {again.new_findings} new, {again.resolved} resolved")  # type: ignore[attr-defined]
    with factory() as session:
        scores = timed("unit_scores", lambda: flows.unit_scores(session, "/"))
        print(f"  units scored: {len(scores)}")  # type: ignore[arg-type]
        timed("findings query (all)", lambda: flows.findings(session, "/", limit=1_000_000))
    for fmt in ("json", "html", "pdf"):
        with factory() as session, session.begin():
            body, rows = timed(f"report {fmt}", lambda fmt=fmt: flows.report(session, fmt))  # type: ignore[misc]
        print(f"  report {fmt}: {rows} findings, {len(body) / 1e6:.1f} MB")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--systems", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    print(f"compliance benchmark on {args.backend}")
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'bench.db'}", args.schools, args.systems)
        return
    schema = f"eg_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        run(f"{PG_SERVER}?options=-csearch_path%3D{schema}", args.schools, args.systems)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
