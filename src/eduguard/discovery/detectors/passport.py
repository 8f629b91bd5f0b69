"""PASSPORT — 护照号 (Chinese and foreign passports).

Spec (公安部出入境管理局 护照号码规则; any86/any-rule): ordinary electronic passports E + 8
digits or E + letter (not I/O) + 7 digits; older G + 8; diplomatic/service D, S, P, DE, SE, PE;
Hong Kong K + 8, Macau MA + 7. There is no public check digit (the MRZ's ICAO 9303 7-3-1 check is
not part of the number). Foreign passports are 5–17 letters and digits: they need the name.

>>> check(Values(pl.Series(["E12345678", "EA1234567", "G12345678", "MA1234567", "12345678"]))).to_list()
[True, True, True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import (
    ASCII_BOUNDARY,
    Detector,
    Rule,
    TextPattern,
    Values,
    declare,
    fullmatch,
)

CHINESE = r"E[0-9A-HJ-NP-Z]\d{7}|[EGDSPK]\d{8}|(?:SE|DE|PE)\d{7}|MA\d{7}"


check = declare(Rule(fullmatch(CHINESE), form="compact"))
# 5–17 letters and digits, at least one a digit
loose = declare(Rule(r"^[A-Z]*[0-9][A-Z0-9]*$", form="compact", min_length=5, max_length=17))


def guard(values: Values) -> bool:
    return len(values) < 20 or values.distinct_ratio >= 0.5


DETECTOR = Detector(
    code="PASSPORT",
    label="护照号",
    name_tokens={
        "hz": "护照",
        "hzh": "护照号",
        "hzhm": "护照号码",
        "huzhao": "护照",
        "passport": "护照",
        "passportno": "护照号",
        "passportnumber": "护照号",
    },
    name_phrases=("passport", "huzhao"),
    keywords_zh=("护照",),
    value_check=check,
    value_label="符合中国护照号格式",
    loose_check=loose,
    loose_label="为护照号形式",
    value_alone=0.9,
    hint=r"[A-Za-z]\s?\d{4}",
    value_guard=guard,
    text=(
        TextPattern(
            r"护照(?:号|号码)?[：:为是\s]{0,2}([A-Z][A-Z0-9]{6,9})" + ASCII_BOUNDARY,
            has_group=True,
            requires=("护照",),
        ),
    ),
)
