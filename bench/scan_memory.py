"""Peak memory of a full ``eduguard scan`` of one large CSV: it must not grow with the file.

    .venv/bin/python bench/scan_memory.py               # 0.5 GB CSV (quick)
    .venv/bin/python bench/scan_memory.py --size-gb 5   # the issue's target: < 1 GB peak RSS

Writes a CSV of the requested size (a seeded block of 50,000 synthetic rows, repeated; GBK with
``--encoding gbk`` to exercise the transcoding path), then scans it with ``--sample all`` in a
child process and reports that process's peak resident set size (``ru_maxrss``), rows scanned
and MB/s. The file is deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ as a package
from bench.datagen import SchoolData

BLOCK_ROWS = 50_000
CHILD = """
import json, sys, time
from eduguard.discovery import api
start = time.perf_counter()
report = api.scan(sys.argv[1], sample=None)
seconds = time.perf_counter() - start
table = report.tables[0]
print(json.dumps({"seconds": seconds, "rows": table.rows_sampled, "error": table.error,
                  "pi_columns": sum(bool(c.pi_types) for c in table.columns)}))
"""


def write_csv(path: Path, size_bytes: int, encoding: str, seed: int) -> int:
    """Write at least ``size_bytes`` of CSV; return the number of data rows."""
    block = SchoolData(seed).frame(BLOCK_ROWS)
    header, _, body = block.write_csv().partition("\n")
    header_bytes = (header + "\n").encode(encoding)
    body_bytes = body.encode(encoding)
    rows = 0
    with path.open("wb") as handle:
        handle.write(header_bytes)
        written = len(header_bytes)
        while written < size_bytes:
            handle.write(body_bytes)
            written += len(body_bytes)
            rows += BLOCK_ROWS
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-gb", type=float, default=0.5, help="CSV size in GB (default 0.5)")
    parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "gbk"])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    args = parser.parse_args(argv)

    path = args.dir / f"eduguard-memory-{args.size_gb:g}gb-{args.encoding}.csv"
    start = time.perf_counter()
    rows = write_csv(path, int(args.size_gb * 1e9), args.encoding, args.seed)
    size_gb = path.stat().st_size / 1e9
    print(f"wrote {path} ({size_gb:.2f} GB, {rows:,} rows) in {time.perf_counter() - start:.0f} s")
    try:
        completed = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], check=False, capture_output=True, text=True
        )
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)
    if completed.returncode != 0:
        print(completed.stderr, file=sys.stderr)
        return 1
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: kilobytes
    peak_mb = peak_kb / 1024
    print(
        json.dumps(
            {
                "csv_gb": round(size_gb, 3),
                "encoding": args.encoding,
                "rows_scanned": result["rows"],
                "error": result["error"],
                "scan_seconds": round(result["seconds"], 1),
                "csv_mb_per_s": round(size_gb * 1000 / result["seconds"], 1),
                "peak_rss_mb": round(peak_mb),
                "target_peak_rss_mb": 1024,
                "within_target": peak_mb < 1024,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
