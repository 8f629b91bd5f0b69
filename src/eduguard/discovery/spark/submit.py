"""The program ``spark-submit`` runs: a scan on the cluster, the report to a file or stdout.

    spark-submit --master spark://host:7077 \\
      "$(python -c 'import eduguard.discovery.spark.submit as s; print(s.__file__)')" \\
      hdfs://namenode/lake/students --sample all --format json --output report.json

Options as ``eduguard scan``: ``--sample N|all``, ``--table`` (JDBC), ``--format json|html|xlsx``
(default json), ``--output PATH``, ``--rules PATH``. The master and every Spark setting come from
``spark-submit``. Exit code 0 when every table was scanned, 1 when one failed, 2 on bad options.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import cast

from eduguard.classification import load_rules
from eduguard.discovery.api import DEFAULT_SAMPLE
from eduguard.discovery.render import ReportFormat, render_bytes


def _sample(value: str) -> int | None:
    if value.strip().lower() in ("all", "全部"):
        return None
    rows = int(value.replace("_", "").replace(",", ""))
    if rows < 1:
        raise argparse.ArgumentTypeError("--sample takes a positive integer or 'all'")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eduguard-spark-scan", description=__doc__)
    parser.add_argument("source", help="Parquet/ORC/CSV path or URL, or a jdbc: URL")
    parser.add_argument("--sample", type=_sample, default=DEFAULT_SAMPLE)
    parser.add_argument("--table", help="one JDBC table (default: every table)")
    parser.add_argument("--format", choices=("json", "html", "xlsx"), default="json")
    parser.add_argument("--output", type=Path, help="write the report here (default: stdout)")
    parser.add_argument("--rules", type=Path, help="classification and grading rules file")
    args = parser.parse_args(argv)
    from eduguard.discovery import spark

    rules = load_rules(args.rules) if args.rules else None
    report = spark.scan(args.source, sample=args.sample, rules=rules, table=args.table)
    data = render_bytes(report, cast(ReportFormat, args.format))
    if args.output is not None:
        args.output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
