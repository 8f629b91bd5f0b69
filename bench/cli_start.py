"""Benchmark: how long the ``eduguard`` command takes to start (issue 15, part 8).

    .venv/bin/python bench/cli_start.py              # 10 runs of each (3 warm-up runs first)
    .venv/bin/python bench/cli_start.py --runs 20

Times whole processes, as hyperfine does: ``eduguard --help``, ``eduguard scan --help`` and a
scan of a one-row CSV file (synthetic), each started fresh ``--runs`` times after
``--warmup`` unmeasured runs (file cache warm). Prints the median and the minimum wall time
of each, and the peak resident memory of the last run, against the targets: ``--help`` under
0.5 s, the one-row scan under 1.5 s. The command is the installed ``eduguard`` script beside
this Python when there is one, else ``python -m eduguard``; ``--command`` names another.

Figures are measured, not asserted: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"eduguard --help": 0.5, "eduguard scan --help": 0.5, "scan of a 1-row CSV": 1.5}


def _command(explicit: str | None) -> list[str]:
    if explicit:
        return explicit.split()
    beside = Path(sys.executable).with_name("eduguard")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("eduguard")
    return [found] if found else [sys.executable, "-m", "eduguard"]


def _child_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure(argv: list[str], runs: int, warmup: int, env: dict[str, str]) -> list[float]:
    times: list[float] = []
    for index in range(warmup + runs):
        start = time.perf_counter()
        completed = subprocess.run(argv, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if completed.returncode != 0:
            raise SystemExit(
                f"{' '.join(argv)} exited {completed.returncode}:\n"
                f"{completed.stderr.decode(errors='replace')[-2000:]}"
            )
        if index >= warmup:
            times.append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--command", help="the eduguard command line (default: the installed one)")
    args = parser.parse_args()
    command = _command(args.command)
    with tempfile.TemporaryDirectory(prefix="eduguard-cli-start-") as folder:
        csv_path = Path(folder) / "one.csv"
        csv_path.write_text("姓名,手机号\n张三,13800138000\n", encoding="utf-8")
        # A scan of a file needs no home; an empty one keeps the user's own out of it.
        env = {**os.environ, "EDUGUARD_HOME": str(Path(folder) / "home"), "NO_COLOR": "1"}
        cases = {
            "eduguard --help": [*command, "--help"],
            "eduguard scan --help": [*command, "scan", "--help"],
            "scan of a 1-row CSV": [*command, "scan", str(csv_path), "--format", "json"],
        }
        print(
            f"{' '.join(command)} — {platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} CPUs; {args.runs} runs each after {args.warmup} warm-up runs"
        )
        print(f"{'case':<24}{'median':>10}{'min':>10}{'max':>10}{'target':>10}  verdict")
        for name, argv in cases.items():
            times = measure(argv, args.runs, args.warmup, env)
            median, least = statistics.median(times), min(times)
            target = TARGETS[name]
            verdict = "ok" if median < target else "SLOWER than target"
            print(
                f"{name:<24}{median:>9.3f}s{least:>9.3f}s{max(times):>9.3f}s"
                f"{'< ' + format(target, '.1f') + 's':>10}  {verdict}"
            )
        print(f"peak resident memory of any run: {_child_maxrss_mb():.0f} MB")


if __name__ == "__main__":
    main()
