"""Column-level discovery accuracy on real schemas (issue 14), grouped by source repository.

    .venv/bin/python bench/discovery_quality.py              # rules (today's name evidence) + LORO
    .venv/bin/python bench/discovery_quality.py --only rules # the name/comment rules only
    .venv/bin/python bench/discovery_quality.py --json out.json

Corpus: ``src/eduguard/discovery/data/corpus`` (copies of the team's labelled corpus: 6272 real
columns from 32 repositories, 3100 JY/T data elements). Each column is classified from what a scan
knows before reading values — name, comment, SQL type, table and its other columns — once with
its comments and once with comments blanked (a CSV, Parquet or SQLite source).

* ``rules``: the scanner's name/comment rules alone (what ``eduguard scan`` did before issue 14);
  they were never tuned on this corpus, so one pass over it is an honest measurement.
* ``loro``: the column model, leave-one-repository-out: for each repository (sibling copies of
  one code base are one group) a model is trained on the other repositories (and the JY/T
  elements) with the shipped build settings and scored on the held-out one; the rules and the
  model are combined as the scanner combines them. The JY/T elements are scored by a model
  trained on the real columns only.

Printed: micro P/R/F1 over (column, type) pairs, macro F1 over types, recall on sensitive
(column, type) pairs, the share of non-personal columns given any type, and P/R/F1 per type.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from eduguard.discovery.columns import ColumnState
from eduguard.discovery.model.corpus import LabelledColumn, jyt_elements, real_columns
from eduguard.discovery.model.metrics import Scores, leave_one_group_out, score

TODAY = date(2026, 12, 1)


def rules_predict(columns: Sequence[LabelledColumn]) -> list[frozenset[str]]:
    """Types from the detectors' name and comment rules, as a scan without values gives them."""
    predicted = []
    for column in columns:
        state = ColumnState(
            name=column.input.name,
            comment=column.input.comment or None,
            scan_date=TODAY,
            use_model=False,
        )
        state.flush()
        predicted.append(frozenset(answer.code for answer in state.answer()))
    return predicted


def print_scores(console: Console, title: str, runs: dict[str, Scores]) -> None:
    table = Table(title=title)
    table.add_column("run")
    for key in ("columns", "micro P", "micro R", "micro F1", "macro F1", "敏感召回", "非个人误报"):
        table.add_column(key, justify="right")
    for name, result in runs.items():
        table.add_row(
            name,
            str(result.columns),
            f"{result.micro.precision:.3f}",
            f"{result.micro.recall:.3f}",
            f"{result.micro.f1:.3f}",
            f"{result.macro_f1:.3f}",
            f"{result.sensitive_recall:.3f}",
            f"{result.false_positive_rate:.3%}",
        )
    console.print(table)
    per_type = Table(title=f"{title}: per type (P / R / F1, support)")
    per_type.add_column("type")
    for name in runs:
        per_type.add_column(name, justify="right")
    codes = sorted({code for result in runs.values() for code in result.per_type})
    for code in codes:
        cells = []
        for result in runs.values():
            item = result.per_type.get(code)
            cells.append(
                "—"
                if item is None
                else f"{item.precision:.2f} / {item.recall:.2f} / {item.f1:.2f} ({item.support})"
            )
        per_type.add_row(code, *cells)
    console.print(per_type)


def as_json(result: Scores) -> dict[str, object]:
    return {
        **result.summary(),
        "per_type": {
            code: {
                "support": item.support,
                "precision": round(item.precision, 4),
                "recall": round(item.recall, 4),
                "f1": round(item.f1, 4),
            }
            for code, item in result.per_type.items()
        },
    }


def run_rules(real: list[LabelledColumn], jyt: list[LabelledColumn]) -> dict[str, Scores]:
    return {
        "real, comments": score(real, rules_predict(real)),
        "real, no comments": score(real, rules_predict([c.without_comment() for c in real])),
        "jyt, comments": score(jyt, rules_predict(jyt)),
        "jyt, no comments": score(jyt, rules_predict([c.without_comment() for c in jyt])),
    }


def run_loro(real: list[LabelledColumn], jyt: list[LabelledColumn]) -> dict[str, Scores]:
    from eduguard.discovery.model.build import trainer  # scikit-learn: the `model` extra

    train = trainer()
    with_comments, without = leave_one_group_out(real, train, extra=jyt)
    on_real = train(real)
    return {
        "real LORO, comments": score(real, with_comments),
        "real LORO, no comments": score(real, without),
        "jyt ← real, comments": score(jyt, on_real(jyt)),
        "jyt ← real, no comments": score(jyt, on_real([c.without_comment() for c in jyt])),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("rules", "loro"), default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    parser.add_argument("--errors", type=int, default=0, help="print N misclassified columns")
    args = parser.parse_args(argv)
    console = Console(width=160)
    real, jyt = real_columns(), jyt_elements()
    figures: dict[str, dict[str, object]] = {}
    plans = [("rules", run_rules), ("loro", run_loro)]
    for name, run in plans:
        if args.only not in (None, name):
            continue
        started = time.perf_counter()
        runs = run(real, jyt)
        print_scores(console, f"{name} ({time.perf_counter() - started:.0f} s)", runs)
        figures.update({f"{name}: {key}": as_json(value) for key, value in runs.items()})
        if args.errors:
            for column, types in runs[next(iter(runs))].errors[: args.errors]:
                console.print(
                    f"{column.repo} {column.input.table}.{column.input.name} "
                    f"“{column.input.comment}” {column.input.sql_type}: "
                    f"{sorted(column.labels)} ← {sorted(types)}"
                )
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
