"""CN_RESIDENT_ID — 居民身份证号 (公民身份号码) and the numbers built like it.

Spec (GB 11643-1999 《公民身份号码》): 18 characters = 6-digit address code (GB/T 2260) +
8-digit birth date YYYYMMDD + 3-digit sequence (17th digit odd = male, even = female) + 1 check
character, ISO 7064 MOD 11-2: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
check = "10X98765432"[Σ mod 11]. Also recognised:

* old 15-digit numbers (GB 11643-1989): 6 address + YYMMDD (19xx) + 3 sequence, no check;
* 港澳台居民居住证 (2018): the same 18-character form with address codes 810000 (Hong Kong),
  820000 (Macau), 830000 (Taiwan) — python-stdnum rejects these, so the check is our own;
* 外国人永久居留身份证 (2023 version, issued from 2023-12-01, NIA 机读信息规则): 18 characters
  starting with 9, with the same MOD 11-2 check.

社会保障号码 = 公民身份号码 (《社会保险法》第五十八条), so 社保号 columns are caught here too.

>>> is_valid("11010519491231002X")
True
>>> is_valid("11010519491231002x")
True
>>> is_valid("110105194912310021")
False
>>> is_valid("110105491231002")
True
>>> check(Values(pl.Series(["11010519491231002X", "110105194912310021", " 360426199101010071"]))).to_list()
[True, False, True]
>>> masked(Values(pl.Series(["4201**********1234", "110105********002X", "6222********1234"]))).to_list()
[True, True, False]
>>> check(Values(pl.Series(["4201**********1234"]))).to_list()  # no check digit to compute
[False]
>>> birth_dates(Values(pl.Series(["11010519491231002X", "110105491231002"]))).to_list()
[datetime.date(1949, 12, 31), datetime.date(1949, 12, 31)]
"""

from __future__ import annotations

import polars as pl

from eduguard.discovery.detectors.base import (
    ASCII_BOUNDARY,
    Detector,
    Rule,
    TextPattern,
    Values,
    declare,
    fullmatch,
)
from eduguard.discovery.detectors.checks import mod11_2_valid, ymd_dates

SHAPE_18 = r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]"
SHAPE_15 = r"[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
# masked forms still hold (part of) an ID number: 110105********002X
MASKED = r"[1-9]\d{1,5}\*{6,12}\d{0,4}[\dX]"


def _birth_strings(compact: pl.Series) -> pl.Series:
    """YYYYMMDD from an 18-digit number, 19YYMMDD from a 15-digit one, else null."""
    frame = pl.DataFrame({"v": compact})
    length = pl.col("v").str.len_chars()
    ymd = (
        pl.when(length == 18)
        .then(pl.col("v").str.slice(6, 8))
        .when(length == 15)
        .then(pl.lit("19") + pl.col("v").str.slice(6, 6))
    )
    return frame.select(ymd).to_series()


def _valid(values: Values) -> pl.Series:
    """Of the values shaped like an ID: 18 characters pass MOD 11-2, both lengths a real date."""
    compact = values.compact
    length = compact.str.len_bytes()
    dated = ymd_dates(_birth_strings(compact)).is_not_null()
    return ((length == 18) & mod11_2_valid(compact) | (length == 15)) & dated


# the shape is data (compiled to Spark SQL); the check digit and the date are code
SHAPED = Rule(fullmatch(f"{SHAPE_18}|{SHAPE_15}"), form="compact", refine=_valid)
# a masked ID keeps the length of the number it hides: 18 (or 15) characters in all, so a
# masked bank card (6222********1234, 16 characters) is not taken for one
MASKED_RULES = (
    Rule(fullmatch(MASKED), form="compact", min_length=18, max_length=18),
    Rule(fullmatch(MASKED), form="compact", min_length=15, max_length=15),
)


def check(values: Values) -> pl.Series:
    """Vectorised: 18-character numbers pass MOD 11-2 and a real date; 15-digit ones a real date."""
    return values.memo("cn_resident_id", lambda: SHAPED(values))


masked = declare(*MASKED_RULES)


def birth_dates(values: Values) -> pl.Series:
    """Birth dates carried by valid numbers (null elsewhere)."""
    births = ymd_dates(_birth_strings(values.compact))
    return births.set(~check(values), None)


def is_valid(number: str) -> bool:
    """One value (for callers outside the hot path)."""
    return bool(check(Values(pl.Series([number], dtype=pl.String))).item())


def _text_valid(spans: pl.Series) -> pl.Series:
    return mod11_2_valid(spans.str.to_uppercase())


DETECTOR = Detector(
    code="CN_RESIDENT_ID",
    label="居民身份证号",
    name_tokens={
        "sfzjh": "身份证件号",
        "sfzjhm": "身份证件号码",
        "sfzh": "身份证号",
        "sfzhm": "身份证号码",
        "sfz": "身份证",
        "sfzhao": "身份证号",
        "gmsfhm": "公民身份号码",
        "zjhm": "证件号码",
        "zjh": "证件号",
        "shbzh": "社会保障号",
        "idcard": "身份证",
        "idno": "证件号",
        "idnumber": "证件号",
        "citizenid": "公民身份号码",
        "nationalid": "身份证",
        "residentid": "居民身份证",
        "identitycard": "身份证",
        "identityno": "身份证号",
        "identitynumber": "身份证号",
        "certno": "证件号",
        "certificateno": "证件号",
        "ssn": "社保号",
    },
    name_phrases=("idcard", "identitycard", "idnumber", "citizenid", "residentid", "nationalid"),
    keywords_zh=(
        "身份证",
        "证件号",
        "公民身份号码",
        "身份号码",
        "居住证号",
        "永居证",
        "社会保障号",
        "社保号",
    ),
    exclude=("sfzjlx", "证件类型", "有效期", "yxq", "zjlx"),
    value_check=declare(SHAPED),
    value_label="通过 GB 11643 校验位",
    masked_check=masked,
    value_alone=0.6,
    hint=r"\d{6}[\s-]?\d{8}|\d{2,6}\*{4,}",
    birth_dates=birth_dates,
    births_within_check=True,
    text=(
        TextPattern(
            ASCII_BOUNDARY + SHAPE_18.replace(r"[\dX]", r"[\dXx]") + ASCII_BOUNDARY,
            _text_valid,
            group="identifiers",
        ),
    ),
)
