"""Benchmark: the local engine against the Spark engine, full scan of one large Parquet file.

    .venv/bin/python bench/spark.py                       # 5,000,000 rows, local[1] and local[2]
    .venv/bin/python bench/spark.py --rows 1000000 --masters 'local[1],local[2],local[4]'
    .venv/bin/python bench/spark.py --corpus              # also: the whole labelled corpus

Writes ``--rows`` rows × 11 columns of bench/datagen.py's synthetic school data to one Parquet
file (row groups of 50,000 rows; generating is slow in Python, so ``--unique`` rows are made and
repeated to reach ``--rows``), then scans it with every row read (``--sample all``): the local
engine (polars, in this process), and the Spark engine in local mode with 1 and 2 cores, one
SparkSession each (session start-up is shown apart from the scan). Prints rows/s, the speed-up of
local[2] over local[1], and whether each engine's report equals the local engine's.

``--corpus`` also writes the whole labelled corpus of tests/discovery as Parquet and compares the
two engines' reports on every table (tests/spark compares a third of it, to stay quick).
A benchmark, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from eduguard.discovery import api
from eduguard.discovery.report import ScanReport

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench/ as a package
sys.path.insert(0, str(ROOT / "tests" / "discovery"))  # the labelled corpus

from bench.datagen import SchoolData  # noqa: E402


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model or platform.processor()} · {os.cpu_count()} cores · {platform.system()} · "
        f"Python {platform.python_version()} · polars {version('polars')} · "
        f"pyspark {version('pyspark')} · Java 17"
    )


def write_rows(path: Path, rows: int, unique: int, seed: int, console: Console) -> None:
    """``rows`` rows to one Parquet file: ``unique`` generated rows, repeated."""
    if path.exists() and pq.ParquetFile(path).metadata.num_rows == rows:
        console.print(f"reusing {path} ({rows:,} rows)")
        return
    start = time.perf_counter()
    block = SchoolData(seed).frame(min(unique, rows)).to_arrow()
    with pq.ParquetWriter(path, block.schema) as writer:
        written = 0
        while written < rows:
            part = block.slice(0, min(block.num_rows, rows - written))
            writer.write_table(part, row_group_size=50_000)
            written += part.num_rows
    console.print(
        f"wrote {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) "
        f"in {time.perf_counter() - start:.0f} s"
    )


def summary(report: ScanReport) -> list[Any]:
    """What must agree between engines: every table field but the scan time and source."""
    return [table.to_dict() for table in report.tables]


def scan_spark(path: Path, master: str) -> tuple[ScanReport, float, float]:
    from eduguard.discovery import spark

    start = time.perf_counter()
    session = spark.get_session(master, {"spark.sql.files.maxPartitionBytes": str(16 << 20)})
    started = time.perf_counter() - start
    # warm up (JVM code generation, Python workers importing the detectors) on a small file
    spark.scan(str(path.with_name("warmup.parquet")), sample=None, spark=session)
    start = time.perf_counter()
    report = spark.scan(str(path), sample=None, spark=session)
    seconds = time.perf_counter() - start
    session.stop()
    return report, started, seconds


def compare_corpus(folder: Path, console: Console) -> dict[str, Any]:
    import pyarrow as pa
    from corpus import build_corpus

    for item in build_corpus():
        table = item.table
        arrow = table.frame.to_arrow()
        fields = [
            field.with_metadata({b"comment": table.column_comments[field.name].encode()})
            if field.name in table.column_comments
            else field
            for field in arrow.schema
        ]
        pq.write_table(arrow.cast(pa.schema(fields)), folder / f"{table.name}.parquet")
    from eduguard.discovery import spark

    session = spark.get_session("local[2]")
    local = summary(api.scan(folder, sample=None))
    remote = summary(spark.scan(str(folder), sample=None, spark=session))
    session.stop()
    differing = [ours["name"] for ours, theirs in zip(remote, local, strict=True) if ours != theirs]
    console.print(
        f"labelled corpus: {len(local)} tables, "
        + ("identical reports" if not differing else f"differing: {differing}")
    )
    return {"tables": len(local), "differing": differing}


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    folder = Path(args.data or tempfile.mkdtemp(prefix="eduguard-spark-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"school_{args.rows}.parquet"
    write_rows(path, args.rows, args.unique, args.seed, console)
    pq.write_table(pq.ParquetFile(path).read_row_group(0), folder / "warmup.parquet")
    result: dict[str, Any] = {"machine": machine(), "rows": args.rows, "engines": []}
    start = time.perf_counter()
    local = api.scan(path, sample=None)
    seconds = time.perf_counter() - start
    console.print(f"local engine: {seconds:.1f} s")
    result["engines"].append(
        {"engine": "local (polars)", "seconds": seconds, "start": 0.0, "same": True}
    )
    for master in args.masters.split(","):
        report, started, seconds = scan_spark(path, master)
        same = summary(report) == summary(local)
        console.print(f"spark {master}: {seconds:.1f} s (+{started:.1f} s start), same: {same}")
        result["engines"].append(
            {"engine": f"spark {master}", "seconds": seconds, "start": started, "same": same}
        )
    if args.corpus:
        result["corpus"] = compare_corpus(Path(tempfile.mkdtemp(prefix="corpus-")), console)
    return result


def show(result: dict[str, Any], console: Console) -> None:
    table = Table(title=f"Full scan of {result['rows']:,} rows × 11 columns (one Parquet file)")
    for header in ("engine", "scan s", "rows/s", "cells/s", "start-up s", "same report"):
        table.add_column(header, justify="left" if header == "engine" else "right")
    for engine in result["engines"]:
        rate = result["rows"] / engine["seconds"]
        table.add_row(
            engine["engine"],
            f"{engine['seconds']:.1f}",
            f"{rate:,.0f}",
            f"{rate * 11:,.0f}",
            f"{engine['start']:.1f}",
            "yes" if engine["same"] else "NO",
        )
    console.print(table)
    spark = {
        e["engine"]: e["seconds"] for e in result["engines"] if e["engine"].startswith("spark")
    }
    if "spark local[1]" in spark and "spark local[2]" in spark:
        console.print(
            f"scaling local[1] → local[2]: {spark['spark local[1]'] / spark['spark local[2]']:.2f}×"
        )
    console.print(result["machine"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--unique", type=int, default=500_000, help="rows generated, then repeated")
    parser.add_argument("--masters", default="local[1],local[2]")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--data", help="folder for the Parquet file (kept, reused)")
    parser.add_argument("--corpus", action="store_true", help="also compare on the whole corpus")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    console = Console()
    result = run(args, console)
    show(result, console)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
