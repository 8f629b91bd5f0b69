"""The labelled development corpus (``discovery/data/corpus``) as column records.

The CSV files are verbatim copies of the team's shared corpus (provenance and label conventions
in ``data/corpus/README.md``): the project builds, trains and tests without anything outside it.
``real_columns.csv`` holds real column definitions from 32 public repositories of Chinese
education systems; ``jyt_elements.csv`` the data elements of JY/T 1002/1004/1005.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from eduguard.discovery.model.features import ColumnInput

CORPUS_FILES = ("real_columns.csv", "jyt_elements.csv")
# two repositories share more than this part of their columns: one group in cross-validation
SIBLING_SHARE = 0.2


@dataclass(frozen=True)
class LabelledColumn:
    """One corpus column: what the scanner sees (``input``), its truth, where it comes from."""

    input: ColumnInput
    labels: frozenset[str]
    repo: str
    group: str  # the cross-validation group: the repository, or its group of sibling copies
    ambiguous: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.repo, self.input.table, self.input.name)

    def without_comment(self) -> LabelledColumn:
        """The same column as a source without comments (CSV, Parquet, SQLite) shows it."""
        blank = replace(
            self.input,
            comment="",
            table_comment="",
            siblings=tuple((name, "") for name, _ in self.input.siblings),
        )
        return replace(self, input=blank)


def corpus_path(filename: str) -> Path:
    path = resources.files("eduguard.discovery").joinpath("data", "corpus", filename)
    return Path(str(path))


def _labels(cell: str) -> frozenset[str]:
    return frozenset(code for code in cell.split(";") if code)


def _with_siblings(rows: list[dict[str, str]], make: dict[str, str]) -> list[ColumnInput]:
    """ColumnInputs with each table's other columns (same table = same repo + table name)."""
    tables: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        tables[(row[make["repo"]], row[make["table"]])].append(index)
    inputs: list[ColumnInput | None] = [None] * len(rows)
    for members in tables.values():
        everyone = tuple((rows[i][make["name"]], rows[i][make["comment"]]) for i in members)
        for position, index in enumerate(members):
            row = rows[index]
            inputs[index] = ColumnInput(
                name=row[make["name"]],
                comment=row[make["comment"]],
                sql_type=row[make["sql_type"]],
                table=row[make["table"]],
                table_comment=row.get(make.get("table_comment", ""), ""),
                siblings=everyone[:position] + everyone[position + 1 :],
                position=position,
            )
    return [item for item in inputs if item is not None]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _groups(rows: list[dict[str, str]]) -> dict[str, str]:
    """Repository → group: repositories sharing many (table, column) pairs are one group."""
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in rows:
        pairs[row["source_repo"]].add((row["table"].lower(), row["column"].lower()))
    group = {repo: repo for repo in pairs}
    repos = sorted(pairs)
    for i, first in enumerate(repos):
        for second in repos[i + 1 :]:
            shared = len(pairs[first] & pairs[second])
            if shared > SIBLING_SHARE * min(len(pairs[first]), len(pairs[second])):
                old, new = group[second], group[first]
                group = {repo: new if value == old else value for repo, value in group.items()}
    return group


def real_columns(path: Path | None = None) -> list[LabelledColumn]:
    """``real_columns.csv``: one LabelledColumn per row, grouped by repository."""
    rows = _read(path or corpus_path("real_columns.csv"))
    make = {"repo": "source_repo", "table": "table", "name": "column", "comment": "comment"}
    make["sql_type"] = "sql_type"
    inputs = _with_siblings(rows, make)
    groups = _groups(rows)
    return [
        LabelledColumn(
            input=item,
            labels=_labels(row["pi_types"]),
            repo=row["source_repo"],
            group=groups[row["source_repo"]],
            ambiguous=row.get("note", "").startswith("AMBIG"),
        )
        for row, item in zip(rows, inputs, strict=True)
    ]


def jyt_elements(path: Path | None = None) -> list[LabelledColumn]:
    """``jyt_elements.csv``: the standard's field code as the column name, its 中文名 as comment."""
    rows = _read(path or corpus_path("jyt_elements.csv"))
    for row in rows:
        row["repo"] = f"JY/T:{row['standard'].split()[0]} {row['standard'].split()[1]}"
        row["table_full"] = row["subset_code"]
    make = {
        "repo": "repo",
        "table": "table_full",
        "name": "field_code",
        "comment": "chinese_name",
        "sql_type": "data_type",
        "table_comment": "subset_name",
    }
    inputs = _with_siblings(rows, make)
    return [
        LabelledColumn(
            input=item,
            labels=_labels(row["pi_types"]),
            repo=row["repo"],
            group=row["repo"],
            ambiguous=row.get("note", "").startswith("AMBIG"),
        )
        for row, item in zip(rows, inputs, strict=True)
    ]
