"""Benchmark: the whole ``eduguard scan`` process against Microsoft Presidio, same data, one run.

Presidio is not a dependency of the project; the benchmark runs in a venv of its own:

    python3 -m venv /tmp/benchvenv
    /tmp/benchvenv/bin/pip install -e '.[bench]'     # presidio-analyzer, -structured, spaCy
    /tmp/benchvenv/bin/python bench/scan.py          # 200,000 rows; Presidio on 20,000 of them
    /tmp/benchvenv/bin/python bench/scan.py --peer-rows 200000   # Presidio on every row (slow)

No spaCy model is downloaded: the peer is ``spacy.blank("zh")`` saved to disk
(bench/presidio_peer.py), so Presidio has no NER for names or places on Chinese text.

Generates 200,000 rows × 11 columns with a seeded generator (bench/datagen.py) and writes two
CSV files: the 10 structured columns, and the free-text note column. Then, in one run:

* eduguard is timed as a user runs it: ``eduguard scan FILE --sample all --format json -o …`` in
  a fresh process, start-up (imports, the column model, jieba's dictionary) included, wall
  clock, ``--repeat`` times (the median is the figure; the machine is shared); its peak resident
  memory comes from ``wait4`` of that process. The structured file is also scanned at
  ``--memory-factor`` times the rows (its data lines repeated) to show memory does not grow with
  the file: it is bounded by the batch size;
* presidio-structured's ``PandasAnalysisBuilder.generate_analysis`` over every row of the first
  ``--peer-rows`` rows and the Presidio ``BatchAnalyzerEngine`` over their notes, in this
  process, *without* their start-up (in the peer's favour);
* on those rows, which of the names, addresses and phones written into the notes each tool finds.

Targets (issue 14, part 7): structured ≥ 1,000,000 cells/s and ≥ 100× presidio-structured; free
text ≥ 50× the Presidio analyzer's MB/s, names and addresses included. Measured, not asserted:
this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
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

from eduguard.discovery.textscan import extract_spans

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ as a package
from bench.datagen import COLUMNS, STRUCTURED, SchoolData

T = TypeVar("T")
KINDS = {
    "name": ({"PERSON_NAME"}, {"PERSON"}),
    "address": ({"ADDRESS"}, {"LOCATION", "ADDRESS"}),
    "phone": ({"MOBILE_PHONE"}, {"PHONE_NUMBER"}),
}


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def _version(package: str) -> str:
    try:
        return version(package)
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
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{model or platform.processor()} · {os.cpu_count()} cores · load average {load} · "
        f"{platform.system()} · Python {platform.python_version()} · polars {_version('polars')} "
        f"· jieba {_version('jieba')} · presidio-analyzer {_version('presidio-analyzer')} · "
        f"presidio-structured {_version('presidio-structured')} · spaCy {_version('spacy')}"
    )


def eduguard_command(explicit: str | None) -> list[str]:
    if explicit:
        return explicit.split()
    beside = Path(sys.executable).with_name("eduguard")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("eduguard")
    return [found] if found else [sys.executable, "-m", "eduguard"]


# The scan is started by a small Python process that reports its wall time and peak memory: a
# child forked from this (large) process would count this process's memory as its own peak.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": done.returncode, "seconds": seconds, "rss_kb": usage.ru_maxrss,
                  "cpu": usage.ru_utime + usage.ru_stime}))
"""


def run_process(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall seconds, CPU seconds (user + system, all threads) and peak resident MB of a process."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv], env=env, capture_output=True, text=True
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if measured["rc"] not in (0, 1):  # 1: some table could not be scanned, still a report
        raise SystemExit(f"{' '.join(argv)} exited {measured['rc']}:\n{done.stderr[-2000:]}")
    return {
        "seconds": measured["seconds"],
        "cpu": measured["cpu"],
        "rss_mb": measured["rss_kb"] / 1024,  # Linux: kilobytes
    }


def time_scan(
    command: list[str], path: Path, report: Path, repeat: int, env: dict[str, str]
) -> dict[str, Any]:
    argv = [*command, "scan", str(path), "--sample", "all", "--format", "json", "-o", str(report)]
    runs = [run_process(argv, env) for _ in range(repeat)]
    seconds = [run["seconds"] for run in runs]
    return {
        "seconds": statistics.median(seconds),
        "seconds_min": min(seconds),
        "seconds_all": seconds,
        "cpu_seconds": statistics.median(run["cpu"] for run in runs),
        "peak_rss_mb": max(run["rss_mb"] for run in runs),
        "report": json.loads(report.read_text(encoding="utf-8")),
    }


def repeated_csv(source: Path, target: Path, factor: int) -> None:
    """``source``'s header, then its data lines ``factor`` times."""
    header, _, body = source.read_bytes().partition(b"\n")
    with target.open("wb") as handle:
        handle.write(header + b"\n")
        for _ in range(factor):
            handle.write(body)


def column_types(report: dict[str, Any]) -> dict[str, list[str]]:
    return {
        column["name"]: list(column["pi_types"])
        for table in report["tables"]
        for column in table["columns"]
    }


def _found(
    truth: list[tuple[int, str, str]],
    found: dict[int, list[tuple[str, str]]],
    kind: str,
    codes: set[str],
) -> int:
    hits = 0
    for row, truth_kind, text in truth:
        if truth_kind != kind:
            continue
        spans = found.get(row, [])
        if any(
            code in codes and (text in span or span in text) and len(span) >= 2
            for code, span in spans
        ):
            hits += 1
    return hits


def _examples(
    found: dict[int, list[tuple[str, str]]], codes: set[str], count: int = 4
) -> list[str]:
    texts: list[str] = []
    for row in sorted(found):
        texts += [text for code, text in found[row] if code in codes and text not in texts]
        if len(texts) >= count:
            break
    return texts[:count]


def eduguard_spans(notes: pl.Series) -> dict[int, list[tuple[str, str]]]:
    spans: dict[int, list[tuple[str, str]]] = {}
    for row, code, text in extract_spans(notes).select("row", "code", "text").iter_rows():
        spans.setdefault(int(row), []).append((str(code), str(text)))
    return spans


def presidio_spans(results: list[list[Any]], notes: list[str]) -> dict[int, list[tuple[str, str]]]:
    spans: dict[int, list[tuple[str, str]]] = {}
    for row, row_results in enumerate(results):
        for result in row_results:
            spans.setdefault(row, []).append(
                (result.entity_type, notes[row][result.start : result.end])
            )
    return spans


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    from bench.presidio_peer import LANGUAGE, build_analyzer
    from presidio_analyzer import BatchAnalyzerEngine
    from presidio_structured import PandasAnalysisBuilder

    rows, seed = args.rows, args.seed
    peer_rows = min(args.peer_rows, rows)
    generator = SchoolData(seed)
    console.print(f"generating {rows:,} rows × {len(COLUMNS)} columns (seed {seed}) …")
    data, generate_seconds = timed(lambda: generator.frame(rows))
    folder = Path(tempfile.mkdtemp(prefix="eduguard-bench-"))
    try:
        structured_csv, notes_csv = folder / "students.csv", folder / "notes.csv"
        data.select(STRUCTURED).write_csv(structured_csv)
        data.select("note").write_csv(notes_csv)
        big_csv = folder / f"students_x{args.memory_factor}.csv"
        repeated_csv(structured_csv, big_csv, args.memory_factor)
        notes = data["note"]
        note_mb = notes.str.len_bytes().sum() / 1e6
        console.print(
            f"  generated in {generate_seconds:.1f} s; students.csv "
            f"{structured_csv.stat().st_size / 1e6:.1f} MB, notes.csv "
            f"{notes_csv.stat().st_size / 1e6:.1f} MB (note text {note_mb:.1f} MB)"
        )
        command = eduguard_command(args.command)
        # a file scan needs no platform home: an empty one keeps the user's own out of it
        env = {**os.environ, "EDUGUARD_HOME": str(folder / "home"), "NO_COLOR": "1"}
        scans: dict[str, dict[str, Any]] = {}
        for key, path in (("structured", structured_csv), ("notes", notes_csv)):
            console.print(
                f"eduguard: {' '.join(command)} scan {path.name} --sample all ×{args.repeat} …"
            )
            scans[key] = time_scan(command, path, folder / f"{key}.json", args.repeat, env)
        console.print(f"eduguard: {big_csv.name} ({args.memory_factor}× the rows), once …")
        scans["memory"] = time_scan(command, big_csv, folder / "big.json", 1, env)

        analyzer = build_analyzer(folder)
        builder = PandasAnalysisBuilder(analyzer)
        peer_frame = data.select(STRUCTURED).head(peer_rows).to_pandas()
        console.print(f"presidio-structured: {peer_rows:,} rows …")
        peer_analysis, peer_seconds = timed(
            lambda: builder.generate_analysis(peer_frame, n=len(peer_frame), language=LANGUAGE)
        )
        peer_notes = notes.head(peer_rows).to_list()
        peer_note_mb = sum(len(text.encode()) for text in peer_notes) / 1e6
        console.print(f"presidio-analyzer: {peer_rows:,} notes …")
        batch = BatchAnalyzerEngine(analyzer_engine=analyzer)
        peer_note_results, peer_note_seconds = timed(
            lambda: list(batch.analyze_iterator(peer_notes, language=LANGUAGE, batch_size=256))
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    truth = [item for item in generator.note_truth if item[0] < peer_rows]
    eg_found = eduguard_spans(notes.head(peer_rows))
    peer_found = presidio_spans(peer_note_results, peer_notes)
    findings = {
        kind: {
            "written": sum(1 for _, truth_kind, _ in truth if truth_kind == kind),
            "eduguard": _found(truth, eg_found, kind, eg_codes),
            "presidio": _found(truth, peer_found, kind, peer_codes),
        }
        for kind, (eg_codes, peer_codes) in KINDS.items()
    }
    examples = {
        kind: {
            "eduguard": _examples(eg_found, eg_codes),
            "presidio": _examples(peer_found, peer_codes),
        }
        for kind, (eg_codes, peer_codes) in KINDS.items()
        if kind != "phone"
    }
    cells = rows * len(STRUCTURED)
    structured, text, memory = scans["structured"], scans["notes"], scans["memory"]
    return {
        "machine": machine(),
        "command": " ".join(command),
        "rows": rows,
        "peer_rows": peer_rows,
        "repeat": args.repeat,
        "eduguard_cells_per_s": cells / structured["seconds"],
        "eduguard_seconds": structured["seconds"],
        "eduguard_seconds_all": structured["seconds_all"],
        "eduguard_peak_rss_mb": structured["peak_rss_mb"],
        "eduguard_cpu_seconds": structured["cpu_seconds"],
        "eduguard_mb_per_s": structured_csv_mb(data) / structured["seconds"],
        "memory_factor": args.memory_factor,
        "memory_rows": rows * args.memory_factor,
        "memory_seconds": memory["seconds"],
        "memory_peak_rss_mb": memory["peak_rss_mb"],
        "presidio_structured_cells_per_s": peer_rows * len(STRUCTURED) / peer_seconds,
        "presidio_structured_seconds": peer_seconds,
        "eduguard_note_mb_per_s": note_mb / text["seconds"],
        "eduguard_notes_per_s": rows / text["seconds"],
        "eduguard_note_seconds": text["seconds"],
        "eduguard_note_seconds_all": text["seconds_all"],
        "eduguard_note_peak_rss_mb": text["peak_rss_mb"],
        "eduguard_note_cpu_seconds": text["cpu_seconds"],
        "note_mb": note_mb,
        "presidio_note_mb_per_s": peer_note_mb / peer_note_seconds,
        "presidio_notes_per_s": peer_rows / peer_note_seconds,
        "presidio_note_seconds": peer_note_seconds,
        "peer_note_mb": peer_note_mb,
        "eduguard_columns": column_types(structured["report"]),
        "eduguard_note_types": column_types(text["report"]).get("note", []),
        "presidio_columns": dict(peer_analysis.entity_mapping),
        "presidio_note_types": sorted({r.entity_type for rs in peer_note_results for r in rs}),
        "findings": findings,
        "examples": examples,
    }


def structured_csv_mb(data: pl.DataFrame) -> float:
    """Megabytes of the structured columns' text (what the scan reads, without separators)."""
    return float(
        data.select(pl.col(STRUCTURED).str.len_bytes().sum()).sum_horizontal().item() / 1e6
    )


def show(result: dict[str, Any], console: Console) -> None:
    structured_ratio = result["eduguard_cells_per_s"] / result["presidio_structured_cells_per_s"]
    text_ratio = result["eduguard_note_mb_per_s"] / result["presidio_note_mb_per_s"]
    runs = result["repeat"]
    table = Table(
        title="eduguard scan (whole process, start-up included) vs Microsoft Presidio "
        "(in-process, start-up excluded): same data, one run"
    )
    for header in ("measure", "eduguard", "Presidio", "ratio", "target"):
        table.add_column(header, justify="right")
    seconds = " / ".join(f"{value:.2f}" for value in result["eduguard_seconds_all"])
    table.add_row(
        f"structured cells/s ({len(STRUCTURED)} columns)",
        f"{result['eduguard_cells_per_s']:,.0f}\n({result['rows']:,} rows; median of {runs}: "
        f"{seconds} s)\n{result['eduguard_mb_per_s']:.1f} MB/s of values; "
        f"CPU {result['eduguard_cpu_seconds']:.2f} s",
        f"{result['presidio_structured_cells_per_s']:,.0f}\n({result['peer_rows']:,} rows, "
        f"{result['presidio_structured_seconds']:.1f} s)",
        f"{structured_ratio:,.0f}×",
        "≥100× and ≥1,000,000/s",
    )
    seconds = " / ".join(f"{value:.2f}" for value in result["eduguard_note_seconds_all"])
    table.add_row(
        "note column MB/s",
        f"{result['eduguard_note_mb_per_s']:.2f}\n({result['note_mb']:.1f} MB; median of {runs}: "
        f"{seconds} s)\n{result['eduguard_notes_per_s']:,.0f} notes/s; "
        f"CPU {result['eduguard_note_cpu_seconds']:.2f} s",
        f"{result['presidio_note_mb_per_s']:.3f}\n({result['peer_note_mb']:.1f} MB, "
        f"{result['presidio_note_seconds']:.1f} s)\n{result['presidio_notes_per_s']:,.0f} notes/s",
        f"{text_ratio:,.1f}×",
        "≥50×",
    )
    table.add_row(
        "peak RSS, MB",
        f"structured {result['eduguard_peak_rss_mb']:,.0f} · notes "
        f"{result['eduguard_note_peak_rss_mb']:,.0f}\n{result['memory_rows']:,} structured rows "
        f"({result['memory_factor']}×): {result['memory_peak_rss_mb']:,.0f} "
        f"in {result['memory_seconds']:.1f} s",
        "(in this process)",
        "",
        "bounded by batch size",
    )
    console.print(table)
    found = Table(title=f"in the notes of the first {result['peer_rows']:,} rows: found / written")
    for header in ("kind", "written", "eduguard", "Presidio"):
        found.add_column(header, justify="right")
    for kind, counts in result["findings"].items():
        written = max(counts["written"], 1)
        found.add_row(
            kind,
            f"{counts['written']:,}",
            f"{counts['eduguard']:,} ({counts['eduguard'] / written:.1%})",
            f"{counts['presidio']:,} ({counts['presidio'] / written:.1%})",
        )
    console.print(found)
    for kind, by_tool in result["examples"].items():
        for tool, texts in by_tool.items():
            console.print(f"  {kind} found by {tool}: {'、'.join(texts) or '(none)'}")
    columns = Table(title="column answers")
    for header in ("column", "eduguard", "presidio-structured"):
        columns.add_column(header)
    for name in STRUCTURED:
        columns.add_row(
            name,
            ", ".join(result["eduguard_columns"].get(name, [])) or "—",
            result["presidio_columns"].get(name, "—"),
        )
    columns.add_row(
        "note (free text)",
        ", ".join(result["eduguard_note_types"]) or "—",
        ", ".join(result["presidio_note_types"]) or "—",
    )
    console.print(columns)
    console.print(f"eduguard command: {result['command']}")
    console.print(f"machine: {result['machine']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--peer-rows", type=int, default=20_000, help="rows Presidio reads (it is slow)"
    )
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--repeat", type=int, default=3, help="eduguard runs per file (median)")
    parser.add_argument(
        "--memory-factor", type=int, default=4, help="the larger structured file: × the rows"
    )
    parser.add_argument("--command", help="the eduguard command line (default: the installed one)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    console = Console(width=150)
    result = run(args, console)
    show(result, console)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
