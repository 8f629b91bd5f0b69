"""What every masking operator is: a named class that turns one column into its masked copy.

Operators are chosen by name from policy data (``protection/data/default_policy.toml``), so
each is registered in :data:`REGISTRY` under a stable name with the parameters it accepts.
Every operator works on a whole polars ``Series`` at once: no Python loop per cell on the hot
path (the one exception, keyed hashing, loops over *distinct* values and says so).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import polars as pl


@dataclass(frozen=True)
class Context:
    """What an operator may need besides the values: the column's type and the run's secrets."""

    pi_type: str | None = None
    pseudonym_key: bytes | None = None
    seed: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class OperatorError(ValueError):
    """Bad parameters for an operator; the message is Chinese, for the policy author."""


class Operator(ABC):
    """One de-identification technique (GB/T 37964-2019 Annex A).

    ``params`` come from the policy; :attr:`allowed` lists the names an operator accepts, and
    the constructor rejects any other, so a typo in a policy fails before any data is read.
    """

    name: ClassVar[str]
    label: ClassVar[str]  # Chinese name for reports and errors
    allowed: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - self.allowed)
        if unknown:
            accepted = "、".join(sorted(self.allowed)) or "无"
            raise OperatorError(
                f"算子“{self.name}”不接受参数：{'、'.join(unknown)}（可用参数：{accepted}）"
            )
        self.params = dict(params)

    @abstractmethod
    def apply(self, values: pl.Series, context: Context) -> pl.Series:
        """The masked copy of ``values`` (same length, same name, text)."""

    def expression(self, value: pl.Expr, context: Context) -> pl.Expr | None:
        """The operator as one polars expression over a text column, when it can be one.

        Expression operators of one batch run in a single ``select``, so polars masks the
        columns in parallel; ``None`` (the default) means: call :meth:`apply` on the Series.
        """
        return None

    def describe(self) -> dict[str, Any]:
        return {"operator": self.name, "params": dict(self.params)}


OperatorClass = TypeVar("OperatorClass", bound=type[Operator])
REGISTRY: dict[str, type[Operator]] = {}


def register(cls: OperatorClass) -> OperatorClass:
    """Class decorator: make the operator available to policies under ``cls.name``."""
    if cls.name in REGISTRY:
        raise RuntimeError(f"operator {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


def number(value: Any, name: str, operator: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OperatorError(f"算子“{operator}”的参数 {name} 应为数字")
    return float(value)


def choice(value: Any, name: str, operator: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise OperatorError(
            f"算子“{operator}”的参数 {name} 不能是“{value}”（可选：{'、'.join(options)}）"
        )
    return str(value)


def as_text(values: pl.Series) -> pl.Series:
    return values if values.dtype == pl.String else values.cast(pl.String)


def on_text(values: pl.Series, build: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """Run one expression over a text column; nulls stay null."""
    frame = pl.DataFrame({"v": as_text(values)})
    return frame.select(build(pl.col("v")).alias(values.name)).to_series()


def as_number(values: pl.Series) -> pl.Series:
    """Text such as ``"87.5"`` as Float64; anything that is not a number becomes null."""
    if values.dtype.is_numeric():
        return values.cast(pl.Float64)
    return as_text(values).str.strip_chars().cast(pl.Float64, strict=False)


def number_text(values: pl.Series, decimals: int | None) -> pl.Series:
    """Numbers back to text: integers without ``.0``, else rounded to ``decimals``."""
    rounded = values.round(decimals) if decimals is not None else values
    whole = rounded == rounded.round(0)
    frame = pl.DataFrame({"n": rounded, "w": whole})
    text = (
        pl.when(pl.col("w"))
        .then(pl.col("n").cast(pl.Int64, strict=False).cast(pl.String))
        .otherwise(pl.col("n").cast(pl.String))
    )
    return frame.select(text.alias(values.name)).to_series()
