"""Mondrian k-anonymity with l-diversity, cross-checked with pycanon on the same output."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from eduguard.protection import kanonymity
from eduguard.protection.kanonymity import anonymise, equivalence_classes

from .conftest import students

# the cross-check needs pycanon (test extra); without it the module is skipped, not failed
anonymity = pytest.importorskip("pycanon.anonymity")

QUASI = ["csrq", "bj", "cj", "jtzz"]


def census(count: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "age": rng.integers(6, 19, count).astype(str),
            "zip": rng.integers(100000, 100400, count).astype(str),
            "gender": rng.choice(["男", "女"], count),
            "birth": [f"20{y:02d}-{m:02d}-{d:02d}" for y, m, d in zip(
                rng.integers(5, 16, count), rng.integers(1, 13, count), rng.integers(1, 29, count),
                strict=True)],
            "disease": rng.choice(["哮喘", "近视", "无", "过敏"], count, p=[0.1, 0.3, 0.5, 0.1]),
        }
    )  # fmt: skip


@pytest.mark.parametrize(
    ("k", "l_diversity", "seed"), [(2, 1, 1), (5, 2, 2), (10, 3, 3), (25, 2, 4)]
)
def test_output_is_k_anonymous_and_l_diverse_per_pycanon(
    k: int, l_diversity: int, seed: int
) -> None:
    data = census(3_000, seed)
    quasi = ["age", "zip", "gender", "birth"]
    result = anonymise(data, quasi, k, l_diversity, "disease")
    table = result.frame.to_pandas()
    assert anonymity.k_anonymity(table, quasi) == result.k_achieved >= k
    assert anonymity.l_diversity(table, quasi, ["disease"]) == result.l_achieved
    assert result.l_achieved is not None and result.l_achieved >= l_diversity
    assert result.frame.height == data.height and result.suppressed == 0
    assert result.frame["disease"].to_list() == data["disease"].to_list()
    assert result.prosecutor_risk == pytest.approx(1 / result.k_achieved)
    assert result.prosecutor_risk_average == pytest.approx(result.classes / data.height)
    assert 0 < result.ncp < 1
    sizes = equivalence_classes(result.frame, quasi, None)["size"].to_numpy()
    assert result.discernibility == int((sizes**2).sum())


def test_generalised_values_contain_the_originals() -> None:
    data = students(500)
    result = anonymise(data, QUASI[:3], 5)
    for original, published in zip(data["cj"].to_list(), result.frame["cj"].to_list(), strict=True):
        low, _, high = published.partition("~")
        assert float(low) <= float(original) <= float(high or low)
    for original, published in zip(data["csrq"], result.frame["csrq"], strict=True):
        low, _, high = published.partition("~")
        assert low <= original <= (high or low)


def test_larger_k_loses_more_information() -> None:
    data = census(2_000, 9)
    quasi = ["age", "zip", "gender", "birth"]
    small, large = anonymise(data, quasi, 3), anonymise(data, quasi, 30)
    assert small.ncp < large.ncp and small.classes > large.classes
    assert small.prosecutor_risk > large.prosecutor_risk


def test_journalist_risk_uses_the_sampling_fraction() -> None:
    data = census(1_000, 5)
    quasi = ["age", "zip"]
    whole = anonymise(data, quasi, 5)
    sample = anonymise(data, quasi, 5, sampling_fraction=0.1)
    assert whole.journalist_risk == whole.prosecutor_risk
    assert sample.journalist_risk == pytest.approx(1 / (sample.k_achieved * 10))


def test_impossible_requests_suppress_everything() -> None:
    data = census(4, 1)
    result = anonymise(data, ["age"], 5)
    assert result.frame.height == 0 and result.suppressed == 4 and result.k_achieved == 0
    single = census(50, 1).with_columns(disease=pl.lit("无"))
    result = anonymise(single, ["age"], 2, 2, "disease")
    assert result.frame.height == 0 and result.suppressed == 50


def test_bad_arguments() -> None:
    data = census(20, 1)
    with pytest.raises(ValueError, match="sensitive"):
        anonymise(data, ["age"], 2, 2)
    with pytest.raises(ValueError, match="sampling"):
        anonymise(data, ["age"], 2, sampling_fraction=0)


def test_heavy_ties_are_cut_by_position_and_stay_k_anonymous(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a median cut on value cannot leave k on both sides: 3 × "1", 100 × "2", 3 × "3"
    data = pl.DataFrame({"age": ["1"] * 3 + ["2"] * 100 + ["3"] * 3, "xb": ["男"] * 106})
    calls: list[int] = []
    original = kanonymity._positional_left

    def spy(*args: np.ndarray) -> np.ndarray:
        calls.append(len(args[2]))
        return original(*args)

    monkeypatch.setattr(kanonymity, "_positional_left", spy)
    result = anonymise(data, ["age", "xb"], 5)
    assert calls  # the positional cut ran
    table = result.frame.to_pandas()
    assert anonymity.k_anonymity(table, ["age", "xb"]) == result.k_achieved >= 5
    assert result.classes >= 2
    for original_age, published in zip(data["age"], result.frame["age"], strict=True):
        low, _, high = published.partition("~")
        assert low <= original_age <= (high or low)
