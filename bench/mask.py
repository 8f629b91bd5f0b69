"""Benchmark: masking and k-anonymity against presidio-structured and anonypyx, same data.

    .venv/bin/python bench/mask.py                    # 1,000,000 rows; peers on slices
    .venv/bin/python bench/mask.py --rows 200000      # quicker

Generates rows with the seeded generator of bench/datagen.py (synthetic, no real person) and
measures, in one run:

* masking 5 PI columns (name, resident ID, mobile, e-mail, bank card) with the default
  operators (``mask``): eduguard's ``mask_frame`` over every row in 50,000-row batches (as
  ``eduguard mask`` reads them) vs presidio-structured's ``StructuredEngine.anonymize`` with
  equivalent ``mask`` operators and the same explicit column → entity mapping (no detection on
  either side), on a ``--peer-rows`` slice. Target (issue 7): ≥ 60× the peer's rows/s;
* the whole command, CSV in → CSV out (scan of a 10,000-row sample, masking, atomic write,
  report), and keyed pseudonymisation (HMAC-SM3) of the 1,000,000 distinct ID numbers;
* k-anonymity, k = 5 over 4 quasi-identifiers (birth date, score, class, region = the first
  six digits of the ID number) on every row, in a child process so that its peak resident
  memory (``ru_maxrss``, including loading the data) is its own. Target: < 60 s, < 4 GB;
* anonypyx's Mondrian (k = 5, same 4 quasi-identifiers, numbers and categories as it requires)
  on a ``--anonypyx-rows`` slice, with eduguard on the same slice beside it.

Figures are measured, not asserted: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
from rich.console import Console
from rich.table import Table

from eduguard.protection.job import MaskJob, run
from eduguard.protection.kanonymity import anonymise
from eduguard.protection.masking import mask_frame, plan_table
from eduguard.protection.operators import Context, create
from eduguard.protection.policy import parse_policy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ as a package
from bench.datagen import SchoolData

T = TypeVar("T")
PI_COLUMNS = {
    "name": "PERSON_NAME",
    "id_card": "CN_RESIDENT_ID",
    "mobile": "MOBILE_PHONE",
    "email": "EMAIL",
    "bank_card": "BANK_CARD",
}
QUASI = ["birth_date", "score", "class_name", "region"]
KEY = bytes(range(32))
POLICY = "\n".join(
    f'[[columns]]\nname = "{column}"\ntype = "{code}"\noperator = "mask"\n'
    for column, code in PI_COLUMNS.items()
)


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{model or platform.processor()} · {os.cpu_count()} cores · {memory:.0f} GiB · "
        f"Python {platform.python_version()} · polars {version('polars')} · "
        f"presidio-structured {_version('presidio-structured')} · anonypyx "
        f"{_version('anonypyx')} · cryptography {version('cryptography')}"
    )


def eduguard_mask(frame: pl.DataFrame) -> tuple[pl.DataFrame, float]:
    policy = parse_policy(POLICY, "bench")
    plans = plan_table("bench", frame.columns, None, policy)
    context = Context(pseudonym_key=KEY)

    def work() -> pl.DataFrame:
        return pl.concat(
            mask_frame(frame.slice(offset, 50_000), plans, context)
            for offset in range(0, frame.height, 50_000)
        )

    return timed(work)


def presidio_mask(frame: pl.DataFrame) -> tuple[Any, float]:
    from presidio_anonymizer.entities import OperatorConfig
    from presidio_structured import StructuredEngine
    from presidio_structured.config import StructuredAnalysis

    def mask(count: int, from_end: bool) -> OperatorConfig:
        return OperatorConfig(
            "mask", {"masking_char": "*", "chars_to_mask": count, "from_end": from_end}
        )

    analysis = StructuredAnalysis(entity_mapping=dict(PI_COLUMNS))
    operators = {
        "PERSON_NAME": mask(1, True),
        "CN_RESIDENT_ID": mask(8, True),
        "MOBILE_PHONE": mask(4, True),
        "EMAIL": mask(5, False),
        "BANK_CARD": mask(15, False),
    }
    table = frame.to_pandas()
    engine = StructuredEngine()
    return timed(lambda: engine.anonymize(table, analysis, operators))


def quasi_frame(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "birth_date", "score", "class_name", region=pl.col("id_card").str.slice(0, 6)
    )


def kanon_child(path: str) -> None:
    """Run in a child process: load the quasi-identifiers, anonymise, print figures as JSON."""
    start = time.perf_counter()
    frame = pl.read_parquet(path)
    result = anonymise(frame, QUASI, 5)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": elapsed, "peak_bytes": peak, **result.to_dict()}))


def anonypyx_run(frame: pl.DataFrame) -> tuple[dict[str, Any], float]:
    import anonypyx

    table = frame.select(
        pl.col("birth_date").str.to_date().cast(pl.Int32),
        pl.col("score").cast(pl.Float64),
        "class_name",
        "region",
    ).to_pandas()
    table["class_name"] = table["class_name"].astype("category")
    table["region"] = table["region"].astype("category")

    def work() -> dict[str, Any]:
        output = anonypyx.Anonymiser(table, k=5, feature_columns=QUASI).anonymise()
        return {"classes": len(output), "k": int(output["count"].min())}

    return timed(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--peer-rows", type=int, default=20_000)
    parser.add_argument("--anonypyx-rows", type=int, default=5_000)
    parser.add_argument("--kanon-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.kanon_child:
        kanon_child(args.kanon_child)
        return
    console = Console()
    console.print(f"[bold]machine[/] {machine()}")
    frame, generated = timed(lambda: SchoolData().frame(args.rows))
    console.print(f"generated {args.rows:,} rows in {generated:.1f} s")
    rows: list[tuple[str, str, str]] = []

    masked, seconds = eduguard_mask(frame)
    ours = args.rows / seconds
    leaked = sum(int(masked[column].is_in(frame[column].implode()).sum()) for column in PI_COLUMNS)
    rows.append(("eduguard mask_frame, 5 PI columns", f"{args.rows:,}", f"{ours:,.0f} rows/s"))
    peer_slice = frame.head(args.peer_rows).select(list(PI_COLUMNS))
    _, peer_seconds = presidio_mask(peer_slice)
    peer = args.peer_rows / peer_seconds
    rows.append(
        ("presidio-structured anonymize, same 5", f"{args.peer_rows:,}", f"{peer:,.0f} rows/s")
    )
    rows.append(("ratio (target ≥ 60×)", "", f"{ours / peer:,.0f}×"))

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "students.csv"
        frame.write_csv(source)
        policy = parse_policy(POLICY, "bench")
        job = MaskJob(str(source), policy, Path(folder) / "masked.csv", "csv", KEY)
        _, whole = timed(lambda: run(job))
        rows.append(
            ("eduguard mask command, CSV → CSV, 11 columns", f"{args.rows:,}",
             f"{args.rows / whole:,.0f} rows/s ({whole:.1f} s)")
        )  # fmt: skip
        pseudonymise = create("pseudonymise")
        _, hashing = timed(
            lambda: pseudonymise.apply(frame["id_card"], Context("CN_RESIDENT_ID", KEY))
        )
        rows.append(
            ("pseudonymise (HMAC-SM3), distinct IDs", f"{args.rows:,}",
             f"{args.rows / hashing:,.0f} rows/s")
        )  # fmt: skip

        quasi = quasi_frame(frame)
        data = Path(folder) / "quasi.parquet"
        quasi.write_parquet(data)
        child = subprocess.run(
            [sys.executable, __file__, "--kanon-child", str(data)],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    rows.append(
        ("eduguard Mondrian k=5, 4 QIs (child process)", f"{args.rows:,}",
         f"{figures['seconds']:.1f} s, peak {figures['peak_bytes'] / 2**30:.2f} GiB, "
         f"k={figures['k_achieved']}, {figures['equivalence_classes']:,} classes, "
         f"NCP {figures['information_loss']['ncp']:.3f}")
    )  # fmt: skip
    small = quasi.head(args.anonypyx_rows)
    ours_small, ours_small_seconds = timed(lambda: anonymise(small, QUASI, 5))
    rows.append(
        ("eduguard Mondrian k=5, slice", f"{args.anonypyx_rows:,}",
         f"{ours_small_seconds:.2f} s, k={ours_small.k_achieved}, {ours_small.classes:,} classes")
    )  # fmt: skip
    try:
        theirs, theirs_seconds = anonypyx_run(small)
        rows.append(
            ("anonypyx Mondrian k=5, same slice", f"{args.anonypyx_rows:,}",
             f"{theirs_seconds:.2f} s, k={theirs['k']}, {theirs['classes']:,} classes")
        )  # fmt: skip
    except ImportError:
        rows.append(("anonypyx", "", "not installed (pip install anonypyx)"))

    table = Table("measure", "rows", "result", title="bench/mask.py")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"original values left in the 5 masked columns: {leaked}")


if __name__ == "__main__":
    main()
