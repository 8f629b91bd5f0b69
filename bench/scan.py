"""Benchmark: ``eduguard scan`` against Microsoft Presidio on the same synthetic school data.

    .venv/bin/python bench/scan.py                 # 200,000 rows; Presidio on a 20,000-row slice
    .venv/bin/python bench/scan.py --peer-rows 200000   # Presidio on everything (slow)

Generates 200,000 rows × 11 columns with a seeded generator (bench/datagen.py), then measures in
one run, full scan (no sampling):

* structured columns (the 10 that are not the note): eduguard cells/s vs presidio-structured's
  ``PandasAnalysisBuilder.generate_analysis`` over every row of its slice;
* the free-text note column: eduguard MB/s vs Presidio ``BatchAnalyzerEngine`` MB/s;
* on the rows both tools read, which of the names, addresses and phones written into the notes
  each tool finds.

Targets (issue 5): eduguard ≥ 100× presidio-structured and ≥ 1,000,000 cells/s; free text ≥ 50×
Presidio's MB/s. Throughput is measured, not asserted: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
from rich.console import Console
from rich.table import Table

from eduguard.discovery import api
from eduguard.discovery.report import ScanReport
from eduguard.discovery.sources import DataFrameTable
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
        f"presidio-analyzer {version('presidio-analyzer')} · presidio-structured "
        f"{version('presidio-structured')} · spaCy {version('spacy')}"
    )


def column_types(report: ScanReport) -> dict[str, list[str]]:
    return {column.name: column.pi_types for table in report.tables for column in table.columns}


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


def run(rows: int, peer_rows: int, seed: int, console: Console) -> dict[str, Any]:
    from bench.presidio_peer import LANGUAGE, build_analyzer
    from presidio_analyzer import BatchAnalyzerEngine
    from presidio_structured import PandasAnalysisBuilder

    generator = SchoolData(seed)
    console.print(f"generating {rows:,} rows × {len(COLUMNS)} columns (seed {seed}) …")
    data, generate_seconds = timed(lambda: generator.frame(rows))
    structured = data.select(STRUCTURED)
    notes = data["note"]
    note_mb = notes.str.len_bytes().sum() / 1e6
    peer_rows = min(peer_rows, rows)
    console.print(f"  generated in {generate_seconds:.1f} s; note column {note_mb:.1f} MB")

    console.print("eduguard: structured columns, full scan …")
    eg_report, eg_seconds = timed(
        lambda: api.scan(DataFrameTable("students", structured), sample=None)
    )
    console.print("eduguard: note column, full scan …")
    eg_note_report, eg_note_seconds = timed(
        lambda: api.scan(DataFrameTable("notes", data.select("note")), sample=None)
    )

    peer_folder = Path(tempfile.mkdtemp(prefix="eduguard-bench-"))
    analyzer = build_analyzer(peer_folder)
    builder = PandasAnalysisBuilder(analyzer)
    peer_frame = structured.head(peer_rows).to_pandas()
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
    peer_cells = peer_rows * len(STRUCTURED)
    return {
        "machine": machine(),
        "rows": rows,
        "peer_rows": peer_rows,
        "eduguard_cells_per_s": cells / eg_seconds,
        "eduguard_seconds": eg_seconds,
        "presidio_structured_cells_per_s": peer_cells / peer_seconds,
        "presidio_structured_seconds": peer_seconds,
        "eduguard_note_mb_per_s": note_mb / eg_note_seconds,
        "eduguard_note_seconds": eg_note_seconds,
        "note_mb": note_mb,
        "presidio_note_mb_per_s": peer_note_mb / peer_note_seconds,
        "presidio_note_seconds": peer_note_seconds,
        "peer_note_mb": peer_note_mb,
        "eduguard_columns": column_types(eg_report),
        "eduguard_note_types": column_types(eg_note_report).get("note", []),
        "presidio_columns": dict(peer_analysis.entity_mapping),
        "presidio_note_types": sorted({r.entity_type for rs in peer_note_results for r in rs}),
        "findings": findings,
        "examples": examples,
    }


def show(result: dict[str, Any], console: Console) -> None:
    structured_ratio = result["eduguard_cells_per_s"] / result["presidio_structured_cells_per_s"]
    text_ratio = result["eduguard_note_mb_per_s"] / result["presidio_note_mb_per_s"]
    table = Table(title="eduguard scan vs Microsoft Presidio (same data, one run)")
    for header in ("measure", "eduguard", "Presidio", "ratio", "target"):
        table.add_column(header, justify="right")
    table.add_row(
        f"structured cells/s ({len(STRUCTURED)} columns)",
        f"{result['eduguard_cells_per_s']:,.0f}\n({result['rows']:,} rows, {result['eduguard_seconds']:.2f} s)",
        f"{result['presidio_structured_cells_per_s']:,.0f}\n({result['peer_rows']:,} rows, {result['presidio_structured_seconds']:.1f} s)",
        f"{structured_ratio:,.0f}×",
        "≥100× and ≥1,000,000/s",
    )
    table.add_row(
        "note column MB/s",
        f"{result['eduguard_note_mb_per_s']:.2f}\n({result['note_mb']:.1f} MB, {result['eduguard_note_seconds']:.2f} s)",
        f"{result['presidio_note_mb_per_s']:.3f}\n({result['peer_note_mb']:.1f} MB, {result['presidio_note_seconds']:.1f} s)",
        f"{text_ratio:,.0f}×",
        "≥50×",
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
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    console = Console()
    result = run(args.rows, args.peer_rows, args.seed, console)
    show(result, console)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
