"""HOUSEHOLD_REGISTRATION — 户籍/户口所在地 and 户口性质.

Spec (《户口登记条例》; JY/T 1001 户口性质码): the place of household registration, written as
an administrative division (GB/T 2260 name or 6-digit code), and the registration's nature
(农业/非农业 家庭户/集体户, 居民户口). Values alone are not enough — a division name is also a
birthplace or a school's location — so the column's name or comment must say 户籍/户口.

>>> loose(Values(pl.Series(["北京市海淀区", "非农业户口", "110108", "三年级"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

import polars as pl

from eduguard.discovery.detectors.address import DIVISION_WORDS
from eduguard.discovery.detectors.base import Detector, TextPattern, Values

NATURE = r"^(?:非?农业(?:家庭|集体)?户口?|城镇(?:户口)?|农村(?:户口)?|居民户口|家庭户|集体户|非农)$"


def loose(values: Values) -> pl.Series:
    raw = values.raw
    return (
        raw.str.contains_any(DIVISION_WORDS)
        | raw.str.contains(NATURE)
        | raw.str.contains(r"^\d{6}$")
    )


DETECTOR = Detector(
    code="HOUSEHOLD_REGISTRATION",
    label="户籍",
    name_tokens={
        "hkszd": "户口所在地",
        "hkszdm": "户口所在地码",
        "hjszd": "户籍所在地",
        "hjd": "户籍地",
        "hj": "户籍",
        "hjdz": "户籍地址",
        "hkxz": "户口性质",
        "hkxzm": "户口性质码",
        "hklb": "户口类别",
        "hjlx": "户籍类型",
        "huji": "户籍",
        "hukou": "户口",
        "householdregister": "户籍",
        "householdregistration": "户籍",
        "registeredresidence": "户籍",
    },
    name_phrases=("hukou", "huji", "householdregist"),
    keywords_zh=("户籍", "户口"),
    loose_check=loose,
    loose_label="为行政区划或户口性质",
    name_needs_values=True,
    text=(
        TextPattern(
            r"(?:户籍|户口)(?:所在地|地)?[：:在为\s]{0,2}((?:\p{Han}{1,8}?(?:省|自治区|市|州|盟|区|县|旗))+)",
            has_group=True,
            requires=("户籍", "户口"),
        ),
    ),
)
