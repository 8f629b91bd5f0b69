"""The column model at scan time: plain numpy over the shipped weights, no scikit-learn.

The model file (``discovery/data/column_model.npz``) holds a one-vs-rest logistic regression over
hashed features (:mod:`.features`): for every type a bias and a weight per used hash bucket, with
the build's settings and the corpus digest in its metadata. ``load_model`` reads it once; a
missing or damaged file is a :class:`ModelError` (Chinese message first), never a silent fallback
to the rules alone.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from eduguard.discovery.model.features import HASH_BITS, ColumnInput, bucket, features

MODEL_FILE = "column_model.npz"
MODEL_FORMAT = 2  # 2: lexicon, table-domain and key features (issue 14)


class ModelError(Exception):
    """The column model cannot be used. ``code`` is stable; the message is Chinese first."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh}（{message_en}）")


@dataclass(frozen=True)
class Prediction:
    """One type's probability for a column and the features that pushed it up most."""

    code: str
    probability: float
    reasons: tuple[str, ...]


@dataclass
class ColumnModel:
    classes: tuple[str, ...]
    bias: npt.NDArray[np.float64]
    buckets: npt.NDArray[np.int64]  # sorted hash buckets that carry weights
    weights: npt.NDArray[np.float64]  # (len(buckets), len(classes))
    thresholds: npt.NDArray[np.float64]
    meta: dict[str, object] = field(default_factory=dict)
    _rows: dict[int, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rows = {int(b): i for i, b in enumerate(self.buckets.tolist())}

    def scores(
        self, column: ColumnInput
    ) -> tuple[npt.NDArray[np.float64], list[tuple[str, int, float]]]:
        """Probabilities per class and the (feature, row, value) pairs that matched."""
        matched = []
        for name, value in features(column).items():
            row = self._rows.get(bucket(name))
            if row is not None:
                matched.append((name, row, value))
        logits = self.bias.copy()
        if matched:
            rows = np.fromiter((row for _, row, _ in matched), dtype=np.int64, count=len(matched))
            values = np.fromiter((v for _, _, v in matched), dtype=np.float64, count=len(matched))
            logits += values @ self.weights[rows]
        return 1.0 / (1.0 + np.exp(-logits)), matched

    def predict(
        self, column: ColumnInput, floor: float = 0.05, also: frozenset[str] = frozenset()
    ) -> list[Prediction]:
        """Types with probability ≥ ``floor`` (and those in ``also``), most probable first, each
        with the features that pushed it up most."""
        probabilities, matched = self.scores(column)
        found = []
        for index in np.argsort(-probabilities):
            probability = float(probabilities[index])
            code = self.classes[index]
            if probability < floor and code not in also:
                continue
            pushes = sorted(
                ((value * float(self.weights[row, index]), name) for name, row, value in matched),
                reverse=True,
            )
            reasons = tuple(name for push, name in pushes[:3] if push > 0.3)
            found.append(Prediction(code, probability, reasons))
        return found

    def support(self, code: str) -> int:
        """How many training columns held ``code`` (0 when unknown)."""
        support = self.meta.get("support")
        return int(support.get(code, 0)) if isinstance(support, dict) else 0

    def threshold(self, code: str) -> float:
        return float(self.thresholds[self.classes.index(code)])

    def save(self, path: Path) -> None:
        meta = {**self.meta, "format": MODEL_FORMAT, "hash_bits": HASH_BITS}
        rows, cols = np.nonzero(self.weights)
        np.savez_compressed(
            path,
            classes=np.array(self.classes),
            bias=self.bias.astype(np.float32),
            buckets=self.buckets.astype(np.int32),
            rows=rows.astype(np.int32),
            cols=cols.astype(np.uint8),
            values=self.weights[rows, cols].astype(np.float16),
            thresholds=self.thresholds.astype(np.float32),
            meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
        )


def model_path() -> Path:
    return Path(str(resources.files("eduguard.discovery").joinpath("data", MODEL_FILE)))


def read_model(path: Path) -> ColumnModel:
    """The model in ``path``; :class:`ModelError` when it is missing or not a model file."""
    if not path.is_file():
        raise ModelError(
            "model_missing",
            f"列分类模型文件不存在：{path}；请重新安装 eduguard，或用 "
            "“python -m eduguard.discovery.model build” 重建",
            f"column model file missing: {path}",
        )
    try:
        with path.open("rb") as handle:
            data = np.load(handle, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            meta = json.loads(str(data["meta"]))
            classes = tuple(str(code) for code in data["classes"].tolist())
            buckets = data["buckets"].astype(np.int64)
            weights = np.zeros((len(buckets), len(classes)))
            weights[data["rows"], data["cols"]] = data["values"].astype(np.float64)
            model = ColumnModel(
                classes=classes,
                bias=data["bias"].astype(np.float64),
                buckets=buckets,
                weights=weights,
                thresholds=data["thresholds"].astype(np.float64),
                meta=meta,
            )
    except (OSError, ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile) as error:
        raise ModelError(
            "model_corrupt",
            f"列分类模型文件已损坏或格式不对：{path}；请用 "
            "“python -m eduguard.discovery.model build” 重建",
            f"column model file unreadable: {path}: {error}",
        ) from error
    shape_ok = (
        model.weights.shape == (len(model.buckets), len(model.classes))
        and model.bias.shape == (len(model.classes),)
        and model.thresholds.shape == (len(model.classes),)
    )
    if meta.get("format") != MODEL_FORMAT or meta.get("hash_bits") != HASH_BITS or not shape_ok:
        raise ModelError(
            "model_incompatible",
            f"列分类模型文件与本版本不符：{path}；请用 "
            "“python -m eduguard.discovery.model build” 重建",
            f"column model file does not match this version: {path}",
        )
    if not all(math.isfinite(value) for value in model.bias.tolist()):
        raise ModelError("model_corrupt", f"列分类模型文件已损坏：{path}", f"bad weights: {path}")
    return model


@cache
def load_model() -> ColumnModel:
    """The shipped model (read once per process)."""
    return read_model(model_path())
