"""Relabel the project's corpus copy for the types added to docs/pi-types.md (issue 14/16).

    .venv/bin/python bench/corpus_relabel.py            # rewrite the two CSV files in place
    .venv/bin/python bench/corpus_relabel.py --check    # exit 1 when a file would change

The corpus was labelled before SPECIAL_IDENTITY, DISCIPLINARY and CRIMINAL_RECORD existed. The
conventions section of docs/pi-types.md now says where those columns belong; this script applies
it, by rules over the column's comment (``chinese_name`` for the JY/T elements), so the change is
reproducible and idempotent (a second run changes nothing):

* 是否残疾/残疾证号, 孤儿/事实无人抚养, 低保/特困, 烈士子女/军烈属, 留守儿童, 建档立卡 (the identity,
  not an amount or a locality's 低保线) → SPECIAL_IDENTITY instead of FINANCIAL;
* a sanction and its attributes (处分/违纪/惩处/惩罚, 奖惩: name, reason, content, level, result,
  date, document number, revocation) → EDUCATION_RECORD;DISCIPLINARY — the DISCIPLINARY row of
  the contract names "their reasons, dates and document numbers"; the punished person's name,
  his key and the issuing unit keep their labels;
* 犯罪/违法犯罪/治安处罚 → CRIMINAL_RECORD.

Labels that contradict the contract (a record id or a catalogue table labelled personal) are
fixed one by one in ``FIXES``, each with a ``fixed:`` note. ``sensitive`` is recomputed from the
labels and the contract's sensitive types. Provenance columns (repository, path, commit) are
never touched. Counts are printed and go into the corpus README's provenance section.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "src/eduguard/discovery/data/corpus"
# sensitive per docs/pi-types.md (the "sensitive" column of its table)
SENSITIVE = frozenset(
    {
        "CN_RESIDENT_ID",
        "ETHNICITY",
        "RELIGION",
        "HEALTH",
        "BIOMETRIC",
        "BANK_CARD",
        "FINANCIAL",
        "LOCATION",
        "CREDENTIAL",
        "PHOTO",
        "SPECIAL_IDENTITY",
        "CRIMINAL_RECORD",
    }
)
_SPECIAL = re.compile(r"残疾|孤儿|低保|特困|烈士子女|军烈属|留守儿童|建档立卡|事实无人抚养")
_NOT_SPECIAL = re.compile(r"低保线|低保金|低保标准|金额|补助|就业保障金")
_CRIMINAL = re.compile(r"犯罪|治安处罚|刑事处罚|判刑|服刑")
_DISCIPLINE = re.compile(r"处分|违纪|惩处|惩罚|奖惩|纪律处分")
# a sanction's person, key or issuing unit: not the sanction itself
_NOT_SANCTION = re.compile(r"人名称|人Id|人ID|人id|单位$")

# (source, table, column) → (labels before, labels after, note): labels that contradict the
# contract, whatever the rules above say
FIXES: dict[tuple[str, str, str], tuple[str, str, str]] = {
    ("BerserkerHercules/PolicingEvaluation", "punish", "punishId"): (
        "EDUCATION_RECORD",
        "",
        "fixed: the punishment record's int key (pi-types.md: record ids → none)",
    ),
    **{
        ("shinkxw/DataAnalysisSystem", "EDU_ZZXS_18_A01_WJLX", column): (
            "EDUCATION_RECORD",
            "",
            "fixed: 违纪类型 is a school's catalogue of violation kinds, no student in it "
            "(pi-types.md: code tables → none)",
        )
        for column in ("WJLXMC", "WJNRFW", "BZ")
    },
}


def relabel(labels: list[str], comment: str) -> list[str]:
    """The labels of one column under the new conventions (order: the old order, new ones last)."""
    out = list(labels)
    if _SPECIAL.search(comment) and not _NOT_SPECIAL.search(comment):
        out = [code for code in out if code != "FINANCIAL"]
        if "SPECIAL_IDENTITY" not in out:
            out.append("SPECIAL_IDENTITY")
    if _CRIMINAL.search(comment) and "CRIMINAL_RECORD" not in out:
        out.append("CRIMINAL_RECORD")
    if (
        _DISCIPLINE.search(comment)
        and not _NOT_SANCTION.search(comment)
        and not _CRIMINAL.search(comment)
        and "PERSON_NAME" not in out
    ):
        for code in ("EDUCATION_RECORD", "DISCIPLINARY"):
            if code not in out:
                out.append(code)
    return out


def process(path: Path, source: str, table: str, column: str, comment: str) -> tuple[str, Counter]:
    with path.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = list(reader.fieldnames or [])
    rows = list(reader)
    counts: Counter[str] = Counter()
    for row in rows:
        old = [code for code in row["pi_types"].split(";") if code]
        key = (row[source], row[table], row[column])
        fix = FIXES.get(key)
        if fix is not None:
            before, after, note = fix
            if row["pi_types"] == before:
                new = [code for code in after.split(";") if code]
                counts["fixed"] += 1
            else:
                new = old  # already fixed by an earlier run
            if note not in row["note"]:
                row["note"] = f"{row['note']}; {note}" if row["note"] else note
        else:
            new = relabel(old, row[comment])
        for code in set(new) - set(old):
            counts[f"+{code}"] += 1
        for code in set(old) - set(new):
            counts[f"-{code}"] += 1
        counts["rows changed"] += new != old
        row["pi_types"] = ";".join(new)
        sensitive = "1" if SENSITIVE & set(new) else "0"
        counts["sensitive changed"] += row["sensitive"] != sensitive
        row["sensitive"] = sensitive
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator=_line_end(text))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue(), counts


def _line_end(text: str) -> str:
    return "\r\n" if "\r\n" in text[:10000] else "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    plans = (
        ("real_columns.csv", "source_repo", "table", "column", "comment"),
        ("jyt_elements.csv", "source_repo", "subset_code", "field_code", "chinese_name"),
    )
    stale = False
    for name, *columns in plans:
        path = args.corpus / name
        new_text, counts = process(path, *columns)
        changed = new_text != path.read_bytes().decode("utf-8")
        stale |= changed
        summary = ", ".join(f"{key} {value}" for key, value in sorted(counts.items()) if value)
        print(f"{name}: {summary or 'no change'}{' (rewritten)' if changed else ''}")
        if changed and not args.check:
            path.write_text(new_text, encoding="utf-8", newline="")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
