"""Free-text scanning throughput: ``extract_spans`` over a column of notes, in batches.

    PYTHONPATH=src .venv/bin/python bench/text_speed.py                   # 20,000 notes
    PYTHONPATH=src .venv/bin/python bench/text_speed.py --rows 50000 --ref b942175
    PYTHONPATH=src .venv/bin/python bench/text_speed.py --presidio        # beside the analyzer

The notes are the labelled set's texts (DEV and HELD-OUT) repeated to ``--rows``, scanned in
batches of ``--batch`` rows as masking and the column scan do. Printed: the first-use cost (jieba's
dictionary, once per process), then texts/s and MB/s of the scan proper. ``--ref`` times a git
revision's scanner on the same notes in a subprocess (its ``src`` exported by git). ``--presidio``
times the Presidio analyzer configured as in bench/presidio_peer.py on ``--peer-rows`` notes, when
presidio is installed (it is not a dependency of the project: ``pip install -e '.[bench]'`` in a
venv of its own, see bench/scan.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
SETS = [
    ROOT / "tests/discovery/data/text/dev.jsonl",
    ROOT / "tests/discovery/data/text/heldout.jsonl",
]


def notes(rows: int) -> list[str]:
    texts = [
        json.loads(line)["text"]
        for path in SETS
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [texts[i % len(texts)] for i in range(rows)]


def measure(rows: int, batch: int) -> dict[str, float]:
    """Seconds for the first tiny call (start-up) and for all batches, and the spans found."""
    from eduguard.discovery.textscan import extract_spans

    texts = notes(rows)
    started = time.perf_counter()
    extract_spans(pl.Series(["与王晓雨同学谈话后联系其母亲陈静"]))
    first = time.perf_counter() - started
    started = time.perf_counter()
    found = 0
    for at in range(0, rows, batch):
        found += extract_spans(pl.Series(texts[at : at + batch], dtype=pl.String)).height
    seconds = time.perf_counter() - started
    size = sum(len(text.encode("utf-8")) for text in texts)
    return {"first": first, "seconds": seconds, "rows": rows, "bytes": size, "spans": found}


def measure_ref(ref: str, rows: int, batch: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        archive = Path(directory) / "src.tar"
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), ref, "src"],
            check=True,
        )
        with tarfile.open(archive) as tar:
            tar.extractall(directory, filter="data")
        code = (
            "import json, sys; sys.path.insert(0, sys.argv[1]); "
            "import importlib.util as u; spec = u.spec_from_file_location('ts', sys.argv[2]); "
            "ts = u.module_from_spec(spec); spec.loader.exec_module(ts); "
            "print(json.dumps(ts.measure(int(sys.argv[3]), int(sys.argv[4]))))"
        )
        src = str(Path(directory) / "src")
        output = subprocess.run(
            [sys.executable, "-c", code, src, __file__, str(rows), str(batch)],
            check=True,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
        )
        return dict(json.loads(output.stdout.splitlines()[-1]))


def measure_presidio(rows: int) -> dict[str, float] | None:
    sys.path.insert(0, str(ROOT))  # bench/ as a package
    try:
        from bench.presidio_peer import LANGUAGE, build_analyzer
    except ImportError:
        return None
    texts = notes(rows)
    analyzer = build_analyzer(Path(tempfile.mkdtemp(prefix="eduguard-text-speed-")))
    started = time.perf_counter()
    for text in texts:
        analyzer.analyze(text=text, language=LANGUAGE)
    seconds = time.perf_counter() - started
    size = sum(len(text.encode("utf-8")) for text in texts)
    return {"first": 0.0, "seconds": seconds, "rows": rows, "bytes": size, "spans": 0}


def line(label: str, result: dict[str, float]) -> str:
    rate = result["rows"] / result["seconds"]
    megabytes = result["bytes"] / result["seconds"] / 1e6
    return (
        f"{label:<10} first call {result['first']:.2f} s; {int(result['rows']):,} notes in "
        f"{result['seconds']:.2f} s = {rate:,.0f} notes/s, {megabytes:.2f} MB/s, "
        f"{int(result['spans']):,} spans"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--ref", help="also time this git revision's scanner")
    parser.add_argument("--presidio", action="store_true")
    parser.add_argument("--peer-rows", type=int, default=2_000)
    args = parser.parse_args(argv)
    now = measure(args.rows, args.batch)
    print(line("this tree", now))
    if args.ref:
        print(line(args.ref[:10], measure_ref(args.ref, args.rows, args.batch)))
    if args.presidio:
        peer = measure_presidio(args.peer_rows)
        if peer is None:
            print("presidio is not installed: the analyzer was not timed")
        else:
            print(line("presidio", peer))
            ratio = (now["rows"] / now["seconds"]) / (peer["rows"] / peer["seconds"])
            print(f"this tree / presidio: {ratio:.1f}× notes/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
