"""Open compliance findings per rule and severity: on the demo home and on a generated county
of 30 schools — to compare two versions of the rules (issue #16's before/after table).

    .venv/bin/python bench/compliance_counts.py                 # this checkout
    PYTHONPATH=/path/to/other/src .venv/bin/python bench/compliance_counts.py   # another one

The demo is built with ``eduguard demo --no-serve`` in a temporary home; the county with
bench/compliance.py's generator (3 systems a school). Prints one line per rule.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from eduguard.compliance import flows
from eduguard.db import migrate
from eduguard.db.engine import make_engine, make_session_factory


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "bench_compliance", Path(__file__).with_name("compliance.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def counts(db: Path) -> Counter[tuple[str, str]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT rule_id, severity, count(*) FROM compliance_findings "
            "WHERE status = 'open' GROUP BY rule_id, severity"
        ).fetchall()
    return Counter({(rule, severity): number for rule, severity, number in rows})


def demo(home: Path) -> Counter[tuple[str, str]]:
    environment = {**os.environ, "EDUGUARD_HOME": str(home)}
    subprocess.run(
        [sys.executable, "-m", "eduguard", "demo", "--home", str(home), "--no-serve"],
        check=True,
        env=environment,
        capture_output=True,
    )
    return counts(home / "eduguard.db")


def county(folder: Path, schools: int) -> Counter[tuple[str, str]]:
    db = folder / "county.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        _generator().build(session, schools, 3)
        session.commit()
        flows.evaluate(session)
        session.commit()
    engine.dispose()
    return counts(db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = {
            "demo": demo(folder / "demo"),
            f"county of {args.schools}": county(folder, args.schools),
        }
    for name, found in results.items():
        print(f"== {name}: {sum(found.values())} open findings")
        for (rule, severity), number in sorted(found.items()):
            print(f"{rule:28} {severity:7} {number}")


if __name__ == "__main__":
    main()
