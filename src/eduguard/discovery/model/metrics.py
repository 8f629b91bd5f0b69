"""Column-level accuracy: F1 over (column, type) pairs, sensitive recall, false positives.

``score`` compares predicted types with the labels; ``grouped_folds`` gives the folds of a
leave-one-group-out cross-validation (a group is a repository, or a repository and its sibling
copies): a column is never scored by a model trained on its own repository.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from eduguard.classification import NON_PERSONAL_TYPES, SENSITIVE_TYPES
from eduguard.discovery.model.corpus import LabelledColumn

Predict = Callable[[Sequence[LabelledColumn]], list[frozenset[str]]]
Train = Callable[[Sequence[LabelledColumn]], Predict]


@dataclass(frozen=True)
class TypeScore:
    support: int
    predicted: int
    hits: int

    @property
    def precision(self) -> float:
        return self.hits / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        total = self.predicted + self.support
        return 2 * self.hits / total if total else 0.0


@dataclass(frozen=True)
class Scores:
    columns: int
    micro: TypeScore
    macro_f1: float
    sensitive_recall: float
    sensitive_pairs: int
    false_positive_rate: float  # of the columns labelled [] (no personal information)
    negatives: int
    per_type: dict[str, TypeScore] = field(default_factory=dict)
    errors: list[tuple[LabelledColumn, frozenset[str]]] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {
            "columns": self.columns,
            "micro_precision": round(self.micro.precision, 4),
            "micro_recall": round(self.micro.recall, 4),
            "micro_f1": round(self.micro.f1, 4),
            "macro_f1": round(self.macro_f1, 4),
            "sensitive_recall": round(self.sensitive_recall, 4),
            "false_positive_rate": round(self.false_positive_rate, 4),
        }


def score(columns: Sequence[LabelledColumn], predicted: Sequence[Iterable[str]]) -> Scores:
    """Scores of ``predicted`` (types per column, in the order of ``columns``)."""
    support: dict[str, int] = {}
    guessed: dict[str, int] = {}
    hits: dict[str, int] = {}
    sensitive = found_sensitive = negatives = false_positives = 0
    errors = []
    for column, raw in zip(columns, predicted, strict=True):
        types = frozenset(raw) - NON_PERSONAL_TYPES
        for code in column.labels:
            support[code] = support.get(code, 0) + 1
        for code in types:
            guessed[code] = guessed.get(code, 0) + 1
        for code in types & column.labels:
            hits[code] = hits.get(code, 0) + 1
        wanted = column.labels & SENSITIVE_TYPES
        sensitive += len(wanted)
        found_sensitive += len(wanted & types)
        if not column.labels:
            negatives += 1
            false_positives += bool(types)
        if types != column.labels:
            errors.append((column, types))
    per_type = {
        code: TypeScore(support.get(code, 0), guessed.get(code, 0), hits.get(code, 0))
        for code in sorted(set(support) | set(guessed))
    }
    micro = TypeScore(sum(support.values()), sum(guessed.values()), sum(hits.values()))
    labelled = [item.f1 for code, item in per_type.items() if item.support]
    return Scores(
        columns=len(columns),
        micro=micro,
        macro_f1=sum(labelled) / len(labelled) if labelled else 0.0,
        sensitive_recall=found_sensitive / sensitive if sensitive else 1.0,
        sensitive_pairs=sensitive,
        false_positive_rate=false_positives / negatives if negatives else 0.0,
        negatives=negatives,
        per_type=per_type,
        errors=errors,
    )


def grouped_folds(
    columns: Sequence[LabelledColumn],
) -> Iterator[tuple[str, list[int], list[int]]]:
    """(group, training indexes, held-out indexes) for each group, in name order."""
    for group in sorted({column.group for column in columns}):
        held = [i for i, column in enumerate(columns) if column.group == group]
        rest = [i for i, column in enumerate(columns) if column.group != group]
        yield group, rest, held


def leave_one_group_out(
    columns: Sequence[LabelledColumn],
    train: Train,
    *,
    extra: Sequence[LabelledColumn] = (),
) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
    """Predictions for every column by a model trained without its group: with its comments,
    and as a source without comments shows it (one model per fold scores both).

    ``extra`` columns (e.g. the JY/T standard's elements) are added to every fold's training set,
    except those of the held-out group.
    """
    with_comments: list[frozenset[str]] = [frozenset()] * len(columns)
    without: list[frozenset[str]] = [frozenset()] * len(columns)
    for group, rest, held in grouped_folds(columns):
        training = [columns[i] for i in rest] + [item for item in extra if item.group != group]
        predict = train(training)
        targets = [columns[i] for i in held]
        blank = [item.without_comment() for item in targets]
        for index, full, bare in zip(held, predict(targets), predict(blank), strict=True):
            with_comments[index], without[index] = full, bare
    return with_comments, without
