"""Training the column model from the corpus (scikit-learn: the ``model`` extra, build time only).

    python -m eduguard.discovery.model build      # writes discovery/data/column_model.npz

Deterministic: fixed seeds, the corpus in file order, CRC-32 feature hashing. Training rows are
every real column and every JY/T element, each also without its comments (what a CSV or SQLite
source shows), and, for commented columns, the pinyin forms of the comment as a column name
(血型 → ``xx``/``xuexing``), as schools write them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from eduguard.discovery.model.corpus import (
    CORPUS_FILES,
    LabelledColumn,
    corpus_path,
    jyt_elements,
    real_columns,
)
from eduguard.discovery.model.decide import name_evidence
from eduguard.discovery.model.features import HASH_BITS, bucket, comment_core, features
from eduguard.discovery.model.infer import ColumnModel
from eduguard.discovery.model.metrics import Predict, Train

SETTINGS: dict[str, object] = {
    "alpha": 1e-5,  # L2 penalty of the SGD logistic regression
    "epochs": 8,
    "threshold": 0.4,
    "pinyin": True,
    "min_support": 1,
    # per-type thresholds chosen by grouped cross-validation inside the training columns
    # (0: one threshold for all types)
    "calibrate": 0,
}
_GRID = tuple(round(0.1 + 0.05 * step, 2) for step in range(15))  # 0.10 … 0.80
SEED = 14
PRUNE = 0.02  # smaller weights are not kept in the model file


@lru_cache(maxsize=1 << 14)
def _pinyin_names(comment: str) -> tuple[str, ...]:
    """Pinyin initials and full pinyin of a short Chinese comment (None when not Chinese)."""
    from pypinyin import Style, lazy_pinyin

    core = "".join(ch for ch in comment_core(comment)[:8] if "\u4e00" <= ch <= "\u9fff")
    if len(core) < 2 or len(core) != len(comment_core(comment)[: len(core)]):
        return ()
    initials = "".join(lazy_pinyin(core, style=Style.FIRST_LETTER))
    full = "".join(lazy_pinyin(core))
    return (initials, full)


def training_rows(columns: Sequence[LabelledColumn], pinyin: bool = True) -> list[LabelledColumn]:
    rows: list[LabelledColumn] = []
    for column in columns:
        rows.append(column)
        if column.input.comment:
            blank = column.without_comment()
            rows.append(blank)
            if pinyin:
                for name in _pinyin_names(column.input.comment):
                    if name.lower() != column.input.name.lower():
                        rows.append(replace(blank, input=replace(blank.input, name=name)))
    return rows


_HASHED: dict[LabelledColumn, tuple[list[int], list[float]]] = {}


def _hashed(column: LabelledColumn) -> tuple[list[int], list[float]]:
    """Hashed features of one row, remembered (cross-validation trains on the same rows often)."""
    cached = _HASHED.get(column)
    if cached is None:
        merged: dict[int, float] = {}
        for name, value in features(column.input).items():
            key = bucket(name)
            merged[key] = merged.get(key, 0.0) + value
        keys = sorted(merged)
        cached = _HASHED[column] = (keys, [merged[key] for key in keys])
    return cached


def matrix(columns: Sequence[LabelledColumn]) -> object:
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for column in columns:
        keys, values = _hashed(column)
        indices += keys
        data += values
        indptr.append(len(indices))
    return csr_matrix(
        (np.array(data), np.array(indices), np.array(indptr)), shape=(len(columns), 1 << HASH_BITS)
    )


def train(
    columns: Sequence[LabelledColumn], settings: dict[str, object] | None = None
) -> ColumnModel:
    """A model trained on ``columns`` (their augmented training rows)."""
    from sklearn.linear_model import SGDClassifier

    options = {**SETTINGS, **(settings or {})}
    rows = training_rows(columns, pinyin=bool(options["pinyin"]))
    x = matrix(rows)
    classes = tuple(
        sorted(
            code
            for code in {code for row in rows for code in row.labels}
            if sum(code in row.labels for row in columns) >= int(str(options["min_support"]))
        )
    )
    used = np.unique(x.indices)  # type: ignore[attr-defined]
    x = x[:, used].tocsr()  # type: ignore[index]
    weights = np.zeros((len(used), len(classes)))
    bias = np.zeros(len(classes))
    for index, code in enumerate(classes):
        y = np.array([code in row.labels for row in rows], dtype=np.int8)
        model = SGDClassifier(
            loss="log_loss",
            alpha=float(str(options["alpha"])),
            max_iter=int(str(options["epochs"])),
            tol=None,
            random_state=SEED,
        )
        model.fit(x, y)
        weights[:, index] = model.coef_[0]
        bias[index] = model.intercept_[0]
    # weights the file would not keep are dropped here too: cross-validation scores the model
    # as shipped (float16, |w| ≥ PRUNE)
    weights = weights.astype(np.float16).astype(np.float64)
    weights[np.abs(weights) < PRUNE] = 0.0
    keep = np.abs(weights).max(axis=1) > 0
    used, weights = used[keep], weights[keep]
    thresholds = np.full(len(classes), float(str(options["threshold"])))
    folds = int(str(options["calibrate"]))
    if folds > 1:
        thresholds = calibrated_thresholds(columns, classes, options, folds)
    return ColumnModel(
        classes=classes,
        bias=bias,
        buckets=used.astype(np.int64),
        weights=weights,
        thresholds=thresholds,
        meta={
            "settings": options,
            "training_rows": len(rows),
            "columns": len(columns),
            "support": {code: sum(code in row.labels for row in columns) for code in classes},
        },
    )


def calibrated_thresholds(
    columns: Sequence[LabelledColumn],
    classes: tuple[str, ...],
    options: dict[str, object],
    folds: int,
) -> npt.NDArray[np.float64]:
    """Per-type thresholds that maximise F1 on held-out groups of ``columns`` (nested CV).

    The groups are dealt into ``folds`` folds (in name order); each fold is scored by a model
    trained on the others, each column with and without its comments. For a type, a column
    is counted as given it when the model's probability reaches the threshold or the rules and
    the lexicon give it anyway (:func:`name_evidence` with the model's own thresholds set out
    of reach), so the threshold is chosen for the decision the scanner makes.
    """
    default = float(str(options["threshold"]))
    groups = sorted({column.group for column in columns})
    fold_of = {group: index % folds for index, group in enumerate(groups)}
    inner = {**options, "calibrate": 0}
    probabilities: list[npt.NDArray[np.float64]] = []
    forced: list[frozenset[str]] = []
    labels: list[frozenset[str]] = []
    for fold in range(folds):
        training = [column for column in columns if fold_of[column.group] != fold]
        held = [column for column in columns if fold_of[column.group] == fold]
        if not training or not held:
            continue
        model = train(training, inner)
        rules_only = replace(model, thresholds=np.full(len(model.classes), 2.0))
        for column in held:
            for variant in (column, column.without_comment()):
                scores, _ = model.scores(variant.input)
                row = np.zeros(len(classes))
                for index, code in enumerate(model.classes):
                    if code in classes:
                        row[classes.index(code)] = scores[index]
                probabilities.append(row)
                forced.append(frozenset(name_evidence(variant.input, rules_only)))
                labels.append(variant.labels)
    thresholds = np.full(len(classes), default)
    if not probabilities:
        return thresholds
    table = np.vstack(probabilities)
    for index, code in enumerate(classes):
        truth = np.array([code in item for item in labels])
        given = np.array([code in item for item in forced])
        if truth.sum() < 5:
            continue
        best, best_f1 = default, -1.0
        for threshold in _GRID:
            predicted = given | (table[:, index] >= threshold)
            hits = int((predicted & truth).sum())
            f1 = 2 * hits / (int(predicted.sum()) + int(truth.sum()))
            if f1 > best_f1 + 1e-9:
                best, best_f1 = threshold, f1
        thresholds[index] = best
    return thresholds


def model_predict(model: ColumnModel | None) -> Predict:
    """Types as the scanner gives them from name evidence: model and rules combined."""

    def predict(columns: Sequence[LabelledColumn]) -> list[frozenset[str]]:
        return [frozenset(name_evidence(column.input, model)) for column in columns]

    return predict


def trainer(settings: dict[str, object] | None = None) -> Train:
    """A training function for cross-validation: columns in, the scanner's predictor out."""

    def run(columns: Sequence[LabelledColumn]) -> Predict:
        return model_predict(train(columns, settings))

    return run


def build_shipped(output: Path) -> ColumnModel:
    """Train on the whole corpus (real columns and JY/T elements) and write the model file."""
    model = train(real_columns() + jyt_elements())
    model.meta["corpus_sha256"] = corpus_digest()
    model.meta["lexicon_sha256"] = lexicon_digest()
    model.meta["weights_sha256"] = weights_digest(model.weights)
    model.save(output)
    return model


def corpus_digest() -> str:
    digest = hashlib.sha256()
    for name in CORPUS_FILES:
        digest.update(corpus_path(name).read_bytes())
    return digest.hexdigest()


def lexicon_digest() -> str:
    """Digest of ``data/lexicon.csv``: the model's features read it, so a change means a rebuild."""
    path = corpus_path("x").parent.parent / "lexicon.csv"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def weights_digest(weights: npt.NDArray[np.float64]) -> str:
    """Digest of the weights as stored (float16): two builds from one corpus give the same."""
    return hashlib.sha256(np.ascontiguousarray(weights.astype(np.float16)).tobytes()).hexdigest()[
        :16
    ]
