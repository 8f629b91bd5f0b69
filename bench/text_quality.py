"""Free-text span quality (issue 14 part 6): exact-span P/R/F1 per type on DEV and HELD-OUT.

    PYTHONPATH=src .venv/bin/python bench/text_quality.py                 # this tree
    PYTHONPATH=src .venv/bin/python bench/text_quality.py --ref b942175   # … beside a git revision
    PYTHONPATH=src .venv/bin/python bench/text_quality.py --errors dev    # DEV mistakes (tuning)
    PYTHONPATH=src .venv/bin/python bench/text_quality.py --json out.json

The sets are ``tests/discovery/data/text/{dev,heldout}.jsonl`` (see its README: HELD-OUT was
written first and is never tuned on). ``--ref`` exports that revision's ``src`` with
``git archive`` into a temporary directory and scores its ``find_spans`` in a subprocess, so the
previous scanner is measured on the same sets by its own code.
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
from typing import Any

from rich.console import Console
from rich.table import Table

from eduguard.discovery import find_spans
from eduguard.discovery.textquality import Counts, LabelledText, load, mistakes, score, total

ROOT = Path(__file__).resolve().parents[1]
SETS = {"dev": ROOT / "tests/discovery/data/text/dev.jsonl",
        "heldout": ROOT / "tests/discovery/data/text/heldout.jsonl"}  # fmt: skip


def finder(text: str) -> list[tuple[int, int, str]]:
    return [(span.start, span.end, span.code) for span in find_spans(text)]


def measure() -> dict[str, Any]:
    """Counts per set and type for this tree's scanner, with the time it took."""
    result: dict[str, Any] = {}
    for name, path in SETS.items():
        items = load(path)
        started = time.perf_counter()
        counts = score(items, finder)
        seconds = time.perf_counter() - started
        result[name] = {
            "texts": len(items),
            "seconds": seconds,
            "types": {code: [c.tp, c.fp, c.fn] for code, c in counts.items()},
        }
    return result


def measure_ref(ref: str) -> dict[str, Any]:
    """The same measurement by revision ``ref``'s own code (its ``src`` exported by git)."""
    with tempfile.TemporaryDirectory() as directory:
        archive = Path(directory) / "src.tar"
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), ref, "src"],
            check=True,
        )
        with tarfile.open(archive) as tar:
            tar.extractall(directory, filter="data")
        for compiled in (ROOT / "src/eduguard/audit").glob("*.so"):  # the built extension
            (Path(directory) / "src/eduguard/audit" / compiled.name).write_bytes(
                compiled.read_bytes()
            )
        # the revision's scanner, scored by this tree's scoring code (textquality has no
        # dependency on the rest of eduguard, and older revisions do not have it)
        code = (
            "import json, sys; sys.path.insert(0, sys.argv[1]); import importlib.util as u\n"
            "def load(name, path):\n"
            "    spec = u.spec_from_file_location(name, path); module = u.module_from_spec(spec)\n"
            "    sys.modules[name] = module; spec.loader.exec_module(module); return module\n"
            "load('eduguard.discovery.textquality', sys.argv[3])\n"
            "print(json.dumps(load('tq', sys.argv[2]).measure()))"
        )
        scoring = ROOT / "src/eduguard/discovery/textquality.py"
        output = subprocess.run(
            [sys.executable, "-c", code, str(Path(directory) / "src"), __file__, str(scoring)],
            check=True,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(Path(directory) / "src"), "PATH": "/usr/bin:/bin"},
        )
        return dict(json.loads(output.stdout.splitlines()[-1]))


def _counts(raw: dict[str, list[int]]) -> dict[str, Counts]:
    return {code: Counts(*values) for code, values in raw.items()}


def print_table(
    console: Console, title: str, now: dict[str, Any], ref: dict[str, Any] | None
) -> None:
    table = Table(title=title)
    for column in ("type", "labelled", "P", "R", "F1"):
        table.add_column(column, justify="left" if column == "type" else "right")
    if ref is not None:
        table.add_column("F1 before", justify="right")
    counts = _counts(now["types"])
    before = _counts(ref["types"]) if ref is not None else {}
    for code, c in [*counts.items(), ("(micro)", total(counts))]:
        row = [code, str(c.tp + c.fn), f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}"]
        if ref is not None:
            old = total(before) if code == "(micro)" else before.get(code)
            row.append("-" if old is None else f"{old.f1:.3f}")
        table.add_row(*row)
    console.print(table)
    rate = now["texts"] / now["seconds"] if now["seconds"] else 0.0
    console.print(f"{now['texts']} texts, {now['seconds']:.2f} s ({rate:,.0f} texts/s, one by one)")


def print_errors(console: Console, items: list[LabelledText]) -> None:
    for wrong in mistakes(items, finder):
        text = wrong.item.text
        console.print(f"[bold]{wrong.item.id}[/] {text}", markup=True, highlight=False)
        for start, end, code in wrong.missed:
            console.print(f"   missed {code} {text[start:end]!r}", highlight=False)
        for start, end, code in wrong.extra:
            console.print(f"   extra  {code} {text[start:end]!r}", highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", help="also score this git revision's scanner")
    parser.add_argument("--errors", choices=sorted(SETS), help="print one set's mistakes")
    parser.add_argument("--json", type=Path, help="write the counts as JSON")
    args = parser.parse_args(argv)
    console = Console()
    if args.errors:
        print_errors(console, load(SETS[args.errors]))
        return 0
    now = measure()
    ref = measure_ref(args.ref) if args.ref else None
    for name in SETS:
        print_table(console, f"{name}: exact-span P/R/F1", now[name], ref[name] if ref else None)
    if args.json:
        args.json.write_text(json.dumps({"now": now, "ref": ref}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
