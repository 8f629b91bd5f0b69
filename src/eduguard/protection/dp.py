"""Differentially private counts and means (GB/T 37964-2019 B.3) through OpenDP.

Each release states its ε (and its privacy unit: one row is one person, who contributes at most
one row). Counts use the Laplace mechanism on a count of sensitivity 1; a mean is a noisy
clamped sum divided by a noisy count, ε split evenly between the two (sequential composition),
with the bounds the analyst gives (values outside are clamped; bounds must not be taken from
the data, or the data leaks through them). Counts per category use one ε for all categories
(parallel composition: each person is in one category). The noise scale is found by OpenDP's
``binary_search_chain`` so that the measurement's privacy map gives exactly ε or less.

OpenDP samples its noise without the floating-point weakness of naive Laplace samplers
(Mironov, CCS 2012); its "contrib" features are enabled here, as its documentation asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from eduguard.protection.operators.base import as_number

PRIVACY_UNIT = "每人至多一行（one row per person）"


class OpenDPMissing(ImportError):
    """OpenDP is not installed: differential privacy is unavailable, nothing else is."""


def _opendp() -> Any:
    try:
        import opendp.prelude as dp  # type: ignore[import-not-found,unused-ignore]
    except ImportError as error:
        raise OpenDPMissing("差分隐私统计需要 OpenDP：pip install 'opendp>=0.16,<0.17'") from error

    dp.enable_features("contrib")
    return dp


@dataclass(frozen=True)
class DpRelease:
    statistic: str
    column: str | None
    value: float
    epsilon: float
    bounds: tuple[float, float] | None = None
    by: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "statistic": self.statistic,
            "column": self.column,
            "value": self.value,
            "epsilon": self.epsilon,
            "mechanism": "laplace (OpenDP)",
            "privacy_unit": PRIVACY_UNIT,
        }
        if self.bounds is not None:
            data["bounds"] = list(self.bounds)
        if self.by:
            data["by"] = dict(self.by)
        return data


def _check_epsilon(epsilon: float) -> None:
    if not epsilon > 0:
        raise ValueError("epsilon must be positive")


def _laplace_on(dp: Any, transformation: Any, epsilon: float) -> Any:
    return dp.binary_search_chain(
        lambda scale: transformation >> dp.m.then_laplace(scale=scale), d_in=1, d_out=epsilon
    )


def dp_count(values: pl.Series, epsilon: float) -> DpRelease:
    """The number of rows, with ε-differential privacy."""
    _check_epsilon(epsilon)
    dp = _opendp()
    space = dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance()
    measurement = _laplace_on(dp, dp.t.make_count(*space), epsilon)
    texts = values.cast(pl.String).fill_null("").to_list()
    return DpRelease("count", values.name, float(measurement(texts)), epsilon)


def dp_mean(values: pl.Series, epsilon: float, lower: float, upper: float) -> DpRelease:
    """The mean of the numbers in ``values`` clamped to [lower, upper], with ε-DP in all."""
    _check_epsilon(epsilon)
    if not lower < upper:
        raise ValueError("lower must be below upper")
    dp = _opendp()
    numbers = as_number(values).drop_nulls().drop_nans().to_list()
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.symmetric_distance()
    half = epsilon / 2
    summed = _laplace_on(
        dp, space >> dp.t.then_clamp((float(lower), float(upper))) >> dp.t.then_sum(), half
    )
    counted = _laplace_on(dp, dp.t.make_count(*space), half)
    total, count = float(summed(numbers)), float(counted(numbers))
    mean = min(max(total / max(count, 1.0), lower), upper)
    return DpRelease("mean", values.name, mean, epsilon, (float(lower), float(upper)))


def dp_counts_by(values: pl.Series, categories: list[str], epsilon: float) -> DpRelease:
    """How many rows hold each of ``categories`` (others counted apart), with ε-DP.

    ``categories`` must be given, not read from the data: a category seen once would reveal
    that one person.
    """
    _check_epsilon(epsilon)
    dp = _opendp()
    space = dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance()
    histogram = dp.t.make_count_by_categories(*space, categories=list(categories), TOA=int)
    measurement = dp.binary_search_chain(
        lambda scale: histogram >> dp.m.then_laplace(scale=scale), d_in=1, d_out=epsilon
    )
    texts = values.cast(pl.String).fill_null("").to_list()
    counts = [float(count) for count in measurement(texts)]
    by = dict(zip([*categories, "其他"], counts, strict=True))
    return DpRelease("count_by", values.name, float(sum(counts)), epsilon, by=by)
