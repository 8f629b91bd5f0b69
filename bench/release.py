"""Benchmark: the research-release export (approved fields only) against masking the whole table.

    .venv/bin/python bench/release.py                 # 200,000 rows
    .venv/bin/python bench/release.py --rows 50000    # quicker

A release runs protection's masking job with ``columns_wanted``: only the approved fields are
read, scanned and written. This measures, on the seeded synthetic school data of
bench/datagen.py (CSV, 11 columns incl. a free-text note), the job for

* the whole table, as ``eduguard mask`` does it;
* a typical approved release: 4 fields (name, resident ID, score, class);
* the same 4 fields with k-anonymity (k = 5 over score and class).

Figures are measured, not asserted: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from eduguard.protection import job as mask_job
from eduguard.protection.policy import load_policy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ as a package
from bench.datagen import SchoolData

APPROVED = ["name", "id_card", "score", "class_name"]
KEY = b"bench-key-0123456789abcdef"


def _run(source: Path, output: Path, **options: object) -> tuple[float, int]:
    started = time.perf_counter()
    report = mask_job.run(
        mask_job.MaskJob(str(source), load_policy(None), output, "csv", KEY, **options)  # type: ignore[arg-type]
    )
    return time.perf_counter() - started, int(report["tables"][0]["rows"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        source = base / "students.csv"
        SchoolData().frame(args.rows).write_csv(source)
        whole, rows = _run(source, base / "whole.csv")
        approved, _ = _run(source, base / "approved.csv", columns_wanted=APPROVED)
        k_anon, _ = _run(
            source,
            base / "k.csv",
            columns_wanted=APPROVED,
            deidentify=mask_job.Deidentification(["score", "class_name"], 5),
        )
        header = (base / "approved.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    print(f"rows: {rows:,}; approved fields: {header}")
    print(f"whole table (11 columns)          {whole:7.2f} s  {rows / whole:>10,.0f} rows/s")
    print(f"release, 4 approved fields        {approved:7.2f} s  {rows / approved:>10,.0f} rows/s")
    print(f"release, 4 fields + k=5 Mondrian  {k_anon:7.2f} s  {rows / k_anon:>10,.0f} rows/s")
    print(f"ratio whole / release: {whole / approved:.1f}×")


if __name__ == "__main__":
    main()
