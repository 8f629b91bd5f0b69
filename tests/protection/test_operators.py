"""Operators: conventions users expect, keyed pseudonyms, generalisation, numbers."""

from __future__ import annotations

import doctest
import importlib

import polars as pl
import pytest
from cryptography.hazmat.primitives import hashes, hmac

from eduguard.protection.operators import REGISTRY, Context, OperatorError, create
from eduguard.protection.operators.pseudonymise import HmacSm3

from .conftest import students

KEY = bytes(range(32))


def masked(
    operator: str, values: list[str | None], pi_type: str | None = None, **params: object
) -> list[str | None]:
    return (
        create(operator, dict(params))
        .apply(pl.Series("c", values), Context(pi_type, KEY, 1))
        .to_list()
    )


def test_every_operator_is_registered_by_name() -> None:
    assert sorted(REGISTRY) == [
        "generalise", "mask", "noise", "pseudonymise", "redact", "shuffle", "suppress",
        "top_bottom_code",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "module",
    [
        "generalise",
        "mask",
        "noise",
        "pseudonymise",
        "redact",
        "shuffle",
        "suppress",
        "top_bottom_code",
    ],
)
def test_docstring_examples(module: str) -> None:
    loaded = importlib.import_module(f"eduguard.protection.operators.{module}")
    result = doctest.testmod(loaded)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("pi_type", "value", "expected"),
    [
        ("PERSON_NAME", "张三", "张*"),
        ("PERSON_NAME", "李小明", "李*明"),
        ("PERSON_NAME", "欧阳娜娜", "欧**娜"),
        ("PERSON_NAME", "王", "*"),
        ("CN_RESIDENT_ID", "110101199003071234", "110101********1234"),
        ("MOBILE_PHONE", "13812345678", "138****5678"),
        ("MOBILE_PHONE", "+86 138 1234 5678", "+86 138****5678"),
        ("BANK_CARD", "6222021234567890123", "***************0123"),
        ("EMAIL", "zhang.san@school.example", "z***@school.example"),
        ("IP_ADDRESS", "10.1.2.3", "10.1.*.*"),
        ("CN_RESIDENT_ID", "1234", "****"),  # too short for the rule: masked whole
        (None, "abcdef", "a****f"),
    ],
)
def test_mask_conventions(pi_type: str | None, value: str, expected: str) -> None:
    assert masked("mask", [value, None], pi_type) == [expected, None]


def test_masked_ids_and_phones_keep_no_original_number() -> None:
    frame = students(500)
    ids = masked("mask", frame["sfzjh"].to_list(), "CN_RESIDENT_ID")
    phones = masked("mask", frame["sjh"].to_list(), "MOBILE_PHONE")
    cards = masked("mask", frame["yhkh"].to_list(), "BANK_CARD")
    assert not set(ids) & set(frame["sfzjh"]) and not set(phones) & set(frame["sjh"])
    assert not set(cards) & set(frame["yhkh"])
    assert all(len(value or "") == 18 and "********" in (value or "") for value in ids)


def test_mask_parameters_override_the_convention() -> None:
    assert masked("mask", ["13812345678"], "MOBILE_PHONE", keep_start=0, keep_end=2, char="#") == [
        "#########78"
    ]


def test_hmac_sm3_is_rfc2104_hmac_over_sm3() -> None:
    for key in (KEY, bytes(80)):  # a key longer than a block is hashed first
        reference = hmac.HMAC(key, hashes.SM3())
        reference.update(b"110101199003071234")
        assert HmacSm3(key).hexdigest(b"110101199003071234") == reference.finalize().hex()


def test_pseudonyms_join_across_tables_and_depend_on_the_key() -> None:
    frame = students(200)
    first = frame.select("sfzjh", "xm")
    second = frame.sample(fraction=1.0, shuffle=True, seed=3).select("sfzjh", "cj")
    operator = create("pseudonymise")
    other_operator = create("pseudonymise")  # a separate instance: no shared cache
    left = operator.apply(first["sfzjh"], Context("CN_RESIDENT_ID", KEY))
    right = other_operator.apply(second["sfzjh"], Context("CN_RESIDENT_ID", KEY))
    joined = first.with_columns(left.alias("p")).join(second.with_columns(right.alias("p")), on="p")
    assert joined.height == 200
    assert (joined["sfzjh"] == joined["sfzjh_right"]).all()
    assert not set(left) & set(frame["sfzjh"])
    other_key = create("pseudonymise").apply(first["sfzjh"], Context("CN_RESIDENT_ID", bytes(32)))
    assert not set(other_key) & set(left)
    assert left.n_unique() == first["sfzjh"].n_unique()  # different inputs, different pseudonyms


def test_pseudonymise_needs_a_key() -> None:
    with pytest.raises(OperatorError, match="密钥"):
        create("pseudonymise").apply(pl.Series(["1"]), Context("CN_RESIDENT_ID"))


def test_generalise_dates_places_and_scores() -> None:
    dates = ["2012-09-02", "2012/9/1", "2012年3月5日", None, "不详"]
    assert masked("generalise", dates, "BIRTH_DATE") == ["2012", "2012", "2012", None, None]
    assert masked("generalise", dates, "BIRTH_DATE", to="month") == [
        "2012-09", "2012-09", "2012-03", None, None,
    ]  # fmt: skip
    ages = masked("generalise", dates, "BIRTH_DATE", to="age_band", width=5, reference="2026-09-01")
    assert ages == ["10-14", "10-14", "10-14", None, None]
    places = ["广东省深圳市南山区桃源街道龙珠大道5号", "北京市海淀区中关村大街27号", "学府路1号"]
    assert masked("generalise", places, "ADDRESS", to="district") == [
        "广东省深圳市南山区", "北京市海淀区", None,
    ]  # fmt: skip
    assert masked("generalise", places, "ADDRESS", to="city") == ["广东省深圳市", "北京市", None]
    assert masked("generalise", places, "ADDRESS", to="province") == ["广东省", "北京市", None]
    assert masked("generalise", ["87.5", "90", "x"], "EDUCATION_RECORD") == [
        "[80,90)", "[90,100)", None,
    ]  # fmt: skip


def test_generalise_without_a_default_asks_for_to() -> None:
    with pytest.raises(OperatorError, match="to"):
        masked("generalise", ["x"], "PERSON_NAME")


def test_numbers_suppress_redact_shuffle() -> None:
    assert masked("top_bottom_code", ["-5", "50", "120", None], bottom=0, top=100) == [
        "0", "50", "100", None,
    ]  # fmt: skip
    quantiles = masked("top_bottom_code", [str(n) for n in range(101)], top_quantile=0.9)
    assert max(float(v or 0) for v in quantiles) == 90
    noisy = masked("noise", ["100"] * 1000, scale=2.0, decimals=1)
    values = [float(v or 0) for v in noisy]
    assert len(set(values)) > 100 and abs(sum(values) / 1000 - 100) < 1
    assert masked("suppress", ["汉族", None], "ETHNICITY") == [None, None]
    assert masked("redact", ["x", None], "HEALTH") == ["[HEALTH]", None]
    assert masked("redact", ["x"], "HEALTH", replacement="已删除") == ["已删除"]
    shuffled = masked("shuffle", [str(n) for n in range(100)])
    assert sorted(shuffled, key=lambda v: int(v or 0)) == [str(n) for n in range(100)]
    assert shuffled != [str(n) for n in range(100)]


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("mask", {"keep_first": 3}, "keep_first"),
        ("mask", {"keep_start": -1}, "非负整数"),
        ("generalise", {"to": "galaxy"}, "galaxy"),
        ("noise", {"scale": 0}, "正数"),
        ("top_bottom_code", {}, "至少"),
        ("pseudonymise", {"length": 4}, "length"),
        ("scramble", {}, "可用"),
    ],
)
def test_bad_parameters_are_refused_with_a_reason(
    name: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(OperatorError, match=message):
        create(name, params)
