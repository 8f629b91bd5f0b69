"""Each detector's value check: valid values, a wrong check digit, and the dirt of real data."""

from __future__ import annotations

import random

import polars as pl
import pytest
from stdnum import imei, luhn
from stdnum.cn import ric, uscc
from stdnum.iso7064 import mod_11_2

from eduguard.discovery.detectors import BY_CODE, DETECTORS, Values, match_name
from eduguard.discovery.detectors.checks import (
    luhn_valid,
    mod11_2_valid,
    mod31_valid,
    parse_dates,
)


def values(*items: str) -> Values:
    """The engine's view of a column: stripped, non-empty strings."""
    return Values(pl.Series(list(items), dtype=pl.String).str.strip_chars())


def strict(code: str, *items: str) -> list[bool]:
    check = BY_CODE[code].value_check
    assert check is not None
    return check(values(*items)).to_list()


def loose(code: str, *items: str) -> list[bool]:
    check = BY_CODE[code].loose_check
    assert check is not None
    return check(values(*items)).to_list()


def with_check(body17: str) -> str:
    return body17 + mod_11_2.calc_check_digit(body17)


# -- check-digit kernels agree with python-stdnum on random input ------------------------------
def test_mod11_2_agrees_with_stdnum() -> None:
    rng = random.Random(1)
    numbers = [
        "".join(rng.choice("0123456789") for _ in range(17)) + rng.choice("0123456789X")
        for _ in range(3000)
    ]
    got = mod11_2_valid(pl.Series(numbers)).to_list()
    assert got == [mod_11_2.is_valid(number) for number in numbers]
    assert sum(got) > 100  # the sample holds valid numbers too


def test_luhn_agrees_with_stdnum() -> None:
    rng = random.Random(2)
    numbers = [str(rng.randrange(10**7, 10**19)) for _ in range(3000)]
    assert luhn_valid(pl.Series(numbers)).to_list() == [luhn.is_valid(n) for n in numbers]


def test_uscc_agrees_with_stdnum() -> None:
    rng = random.Random(3)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    codes = []
    for _ in range(2000):
        # stdnum also demands digits for the two leading codes (GB 32100 allows some letters)
        body = "".join(rng.choice("0123456789") for _ in range(8))
        body += "".join(rng.choice(alphabet) for _ in range(9))
        codes.append(
            body + (uscc.calc_check_digit(body) if rng.random() < 0.5 else rng.choice(alphabet))
        )
    assert mod31_valid(pl.Series(codes)).to_list() == [uscc.is_valid(code) for code in codes]


# -- CN_RESIDENT_ID -----------------------------------------------------------------------------
def test_resident_id_valid_invalid_and_dirty() -> None:
    valid = with_check("11010520150101001")
    wrong = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    assert ric.is_valid(valid)
    assert strict("CN_RESIDENT_ID", valid, wrong, f"  {valid} ", valid[:6] + " " + valid[6:]) == [
        True,
        False,
        True,
        True,
    ]


def test_resident_id_lowercase_x_15_digit_hk_macau_taiwan_and_foreigner() -> None:
    lower_x = "11010519491231002x"
    fifteen = "110105491231002"
    hong_kong = with_check("81000019900101001")
    foreigner_2023 = with_check("93311019900101001")
    assert strict("CN_RESIDENT_ID", lower_x, fifteen, hong_kong, foreigner_2023) == [True] * 4


def test_resident_id_needs_a_real_birth_date() -> None:
    impossible = with_check("11010519991332001")  # month 13
    future = with_check("11010530000101001")
    assert strict("CN_RESIDENT_ID", impossible, future) == [False, False]


def test_resident_id_masked_values_count_as_masked_never_as_checked() -> None:
    # a masked ID holds an ID but no check digit can be computed on it (issue 17)
    items = ("110105********002X", "110105*****", "4201**********1234", "6222********1234")
    assert strict("CN_RESIDENT_ID", *items) == [False, False, False, False]
    masked = BY_CODE["CN_RESIDENT_ID"].masked_check
    assert masked is not None
    assert masked(values(*items)).to_list() == [True, False, True, False]  # a card is no ID
    card = BY_CODE["BANK_CARD"].masked_check
    assert card is not None
    assert card(values("6222 **** **** 1234", "4201**********1234")).to_list() == [True, False]


def test_order_numbers_of_18_digits_mostly_fail() -> None:
    rng = random.Random(4)
    orders = [f"2023{rng.randrange(10**13, 10**14)}" for _ in range(1000)]
    assert sum(strict("CN_RESIDENT_ID", *orders)) < 100


# -- other identifiers ---------------------------------------------------------------------------
def test_student_reg_no_forms() -> None:
    g = "G" + with_check("11010520150101001")
    j = "J" + with_check("11010520150101002")
    bad = g[:-1] + ("0" if g[-1] != "0" else "1")
    assert strict("STUDENT_REG_NO", g, j, g.lower(), bad, "L1101052015010112 34") == [
        True,
        True,
        True,
        False,
        True,
    ]


def test_bank_card_luhn_and_spacing() -> None:
    card = "622202123456789" + luhn.calc_check_digit("622202123456789")
    wrong = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert strict(
        "BANK_CARD", card, " ".join([card[:4], card[4:8], card[8:12], card[12:]]), wrong
    ) == [
        True,
        True,
        False,
    ]
    assert loose("BANK_CARD", "62220212345678901234", "6222********7894") == [True, True]


def test_imei_and_mac() -> None:
    number = "35417803685978" + luhn.calc_check_digit("35417803685978")
    assert imei.is_valid(number)
    assert strict("DEVICE_ID", number, number[:-1] + "0", "00:1a:2B:3c:4D:5e") == [
        True,
        False,
        True,
    ]


def test_org_code_matches_stdnum() -> None:
    assert strict("ORG_CODE", "91110000600037341L", "91110000600037341l", "12100000400000624D") == [
        uscc.is_valid("91110000600037341L"),
        True,
        uscc.is_valid("12100000400000624D"),
    ]


# -- contact -------------------------------------------------------------------------------------
def test_mobile_dirt() -> None:
    assert (
        strict(
            "MOBILE_PHONE",
            "13812345678",
            "+86 138 1234 5678",
            "+86-13812345678",
            "0086 13812345678",
            "138-1234-5678",
            "12345678901",
            "23812345678",
            "1381234567",
        )
        == [True] * 5 + [False] * 3
    )
    assert loose("MOBILE_PHONE", "138****5678") == [True]


def test_landline_and_email() -> None:
    assert strict("LANDLINE_PHONE", "010-62345678", "0571-8765432", "13812345678") == [
        True,
        True,
        False,
    ]
    assert strict("EMAIL", "wang.li@school.example", "wang.li@", "@school.example") == [
        True,
        False,
        False,
    ]


def test_ip_plate_passport_permit() -> None:
    assert strict("IP_ADDRESS", "10.0.0.1", "10.0.0.256", "::1") == [True, False, True]
    assert strict("LICENSE_PLATE", "京A12345", "粤BD12345", "京I12345") == [True, True, False]
    assert strict("PASSPORT", "E12345678", "e12345678", "X12345678") == [True, True, False]
    assert strict("TRAVEL_PERMIT", "H12345678", "C12345678", "W12345678") == [True, True, False]
    assert loose("TRAVEL_PERMIT", "W12345678") == [True]


# -- dictionaries --------------------------------------------------------------------------------
def test_dictionary_types() -> None:
    assert strict("ETHNICITY", "汉族", "毛难族", "汉", "白") == [True, True, False, False]
    assert loose("ETHNICITY", "汉", "01", "99") == [True, True, False]
    assert strict("POLITICAL_STATUS", "中国共产主义青年团团员", "群众", "班长") == [
        True,
        True,
        False,
    ]
    assert strict("RELIGION", "无宗教信仰", "基督教", "语文") == [True, True, False]
    assert strict("GENDER", "男", " 女 ", "m", "1") == [True, True, True, False]
    assert strict("FAMILY_RELATION", "父亲", "外祖母", "同学") == [True, True, False]
    assert strict("HEALTH", "良好", "有过敏性鼻炎", "先天性心脏病", "优秀") == [
        True,
        True,
        True,
        False,
    ]


def test_names_and_non_names() -> None:
    assert strict("PERSON_NAME", "王芳", "欧阳修远", "诸葛亮", "高一(3)班", "2023", "Li Lei") == [
        True,
        True,
        True,
        False,
        False,
        True,
    ]


def test_address_needs_division_and_street() -> None:
    assert strict(
        "ADDRESS",
        "浙江省杭州市西湖区文三路100号",
        "上海市浦东新区张江镇科苑路88弄3号1201室",
        "浙江省杭州市",
        "人民路小学",
    ) == [True, True, False, False]


def test_birth_dates_in_chinese_forms() -> None:
    got = parse_dates(
        pl.Series(["2015-03-04", "2015/3/4", "2015年3月4日", "20150304", "2015.03.04"])
    )
    assert got.n_unique() == 1
    assert got[0] is not None
    assert parse_dates(pl.Series(["1899-01-01", "2999-01-01", "abc"])).null_count() == 3


# -- names of columns ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "comment", "code"),
    [
        ("sfzjh", None, "CN_RESIDENT_ID"),
        ("XS_SFZJH", None, "CN_RESIDENT_ID"),
        ("idCardNo", None, "CN_RESIDENT_ID"),
        ("c3", "身份证件号", "CN_RESIDENT_ID"),
        ("身份证号码", None, "CN_RESIDENT_ID"),
        ("XM", None, "PERSON_NAME"),
        ("studentName", None, "PERSON_NAME"),
        ("MZM", None, "ETHNICITY"),
        ("JTZZ", None, "ADDRESS"),
        ("home_address", None, "ADDRESS"),
        ("LXDH", None, "MOBILE_PHONE"),
        ("XBM", None, "GENDER"),
        ("CSRQ", None, "BIRTH_DATE"),
        ("ZZMMM", None, "POLITICAL_STATUS"),
        ("XJH", None, "STUDENT_REG_NO"),
        ("XH", None, "STUDENT_NO"),
        ("GH", None, "STAFF_NO"),
        ("JKZK", None, "HEALTH"),
        ("ZJXYM", None, "RELIGION"),
        ("YHKH", None, "BANK_CARD"),
        ("bankCardNo", None, "BANK_CARD"),
        ("password_hash", None, "CREDENTIAL"),
        ("zp", None, "PHOTO"),
    ],
)
def test_column_names_are_evidence(name: str, comment: str | None, code: str) -> None:
    hit = match_name(BY_CODE[code], name, comment)
    assert hit is not None
    assert name in hit.evidence or (comment is not None and comment in hit.evidence)


@pytest.mark.parametrize(
    ("name", "comment"),
    [
        ("kcmc", "课程名称"),
        ("class_name", None),
        ("order_no", "订单号"),
        ("xuhao", "序号"),
        ("zfje", "支付金额"),
    ],
)
def test_business_column_names_say_nothing_personal(name: str, comment: str | None) -> None:
    hits = [d.code for d in DETECTORS if match_name(d, name, comment) is not None]
    assert hits == []


def test_excluded_words_veto_a_name_hit() -> None:
    assert match_name(BY_CODE["PERSON_NAME"], "class_name", None) is None
    assert match_name(BY_CODE["ADDRESS"], "email_address", None) is None
    assert match_name(BY_CODE["CN_RESIDENT_ID"], "sfzjlxm", "身份证件类型码") is None
