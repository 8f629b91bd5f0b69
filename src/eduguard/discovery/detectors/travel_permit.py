"""TRAVEL_PERMIT — 通行证: 往来港澳通行证, 港澳居民来往内地通行证 (回乡证), 台湾居民来往大陆通行证 (台胞证).

Spec: 回乡证 H (Hong Kong) / M (Macau) + 8-digit lifelong number (+ 2-digit renewal count) —
公安部 2010 号码规则; 往来港澳通行证 (mainland residents, electronic) C + 8 digits, since 2018 C +
letter + 7 digits; old booklets G/W + 8; 大陆居民往来台湾通行证 L + 8; 台胞证 8 digits since 2008
(一人一号), formerly 10 digits with an issue count. The H/M/C forms label a column on values; the
others collide with other codes and need the column name.

>>> check(Values(pl.Series(["H12345678", "M1234567801", "CA1234567", "12345678"]))).to_list()
[True, True, True, False]
>>> loose(Values(pl.Series(["12345678", "1234567890", "L12345678", "ABC"]))).to_list()
[True, True, True, False]
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

STRICT = r"[HM]\d{8}(?:\d{2})?|C[0-9A-HJ-NP-Z]\d{7}"
LOOSE = r"[GWLT]\d{8}|\d{8}|\d{10}(?:\([0-9A-Z]\))?"


check = declare(Rule(fullmatch(STRICT), form="compact"))
loose = declare(Rule(fullmatch(f"{STRICT}|{LOOSE}"), form="compact"))


def guard(values: Values) -> bool:
    return len(values) < 20 or values.distinct_ratio >= 0.5


DETECTOR = Detector(
    code="TRAVEL_PERMIT",
    label="通行证",
    name_tokens={
        "txz": "通行证",
        "txzh": "通行证号",
        "gatxz": "港澳通行证",
        "gatxzh": "港澳通行证号",
        "hxz": "回乡证",
        "hxzh": "回乡证号",
        "tbz": "台胞证",
        "tbzh": "台胞证号",
        "permit": "通行证",
        "permitno": "通行证号",
        "travelpermit": "通行证",
        "homereturnpermit": "回乡证",
        "mtp": "台胞证",
    },
    name_phrases=("travelpermit", "homereturn", "permitno"),
    keywords_zh=("通行证", "回乡证", "台胞证", "往来港澳", "往来台湾", "来往内地", "来往大陆"),
    value_check=check,
    value_label="符合回乡证/港澳通行证号格式",
    loose_check=loose,
    loose_label="为通行证号形式",
    value_alone=0.9,
    hint=r"[HMChmc]",
    value_guard=guard,
    text=(
        TextPattern(
            r"(?:通行证|回乡证|台胞证)(?:号|号码)?[：:为是\s]{0,2}([A-Z]?[A-Z0-9]\d{7,9})"
            + ASCII_BOUNDARY,
            has_group=True,
            requires=("通行证", "回乡证", "台胞证"),
        ),
    ),
)
