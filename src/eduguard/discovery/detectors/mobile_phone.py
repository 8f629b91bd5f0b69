"""MOBILE_PHONE — 手机号 (mainland China mobile numbers).

Spec: 11 digits ``1[3-9]`` + 9 digits (工业和信息化部 numbering plan, E.164 country code 86),
optionally written with ``+86``/``0086`` and spaces or dashes. No check digit, so a column is
trusted on values alone only when nearly all of them have this shape; masked numbers such as
``138****5678`` count as mobile numbers when the name says so.

>>> check(Values(pl.Series(["13812345678", "+86 138 1234 5678", "0086-13812345678", "12812345678", "1381234567"]))).to_list()
[True, True, True, False, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import (
    ASCII_BOUNDARY,
    Detector,
    Rule,
    TextPattern,
    declare,
    fullmatch,
)

SHAPE = r"1[3-9]\d{9}"
MASKED = r"1[3-9]\d\*{4}\d{4}"


check = declare(Rule(fullmatch(SHAPE), form="compact"))
loose = declare(Rule(fullmatch(f"{SHAPE}|{MASKED}"), form="compact"))
masked = declare(Rule(fullmatch(MASKED), form="compact"))


DETECTOR = Detector(
    code="MOBILE_PHONE",
    label="手机号",
    name_tokens={
        "sjh": "手机号",
        "sjhm": "手机号码",
        "shouji": "手机",
        "yddh": "移动电话",
        "lxdh": "联系电话",
        "lxfs": "联系方式",
        "dh": "电话",
        "jzdh": "家长电话",
        "jzsj": "家长手机",
        "jhrdh": "监护人电话",
        "mobile": "手机",
        "mobilephone": "手机",
        "mobileno": "手机号",
        "cellphone": "手机",
        "cell": "手机",
        "phone": "电话",
        "phoneno": "电话号码",
        "phonenumber": "电话号码",
        "tel": "电话",
        "telephone": "电话",
        "contactphone": "联系电话",
    },
    name_phrases=("mobile", "cellphone", "phone"),
    keywords_zh=("手机", "移动电话", "联系电话", "电话", "联系方式"),
    exclude=("传真", "fax", "固定电话", "座机"),
    value_check=check,
    value_label="为 1[3-9] 开头的 11 位手机号",
    loose_check=loose,
    loose_label="为手机号（含脱敏形式）",
    masked_check=masked,
    value_alone=0.8,
    hint=r"1[3-9]\d",
    text=(
        TextPattern(
            r"(?:(?:\+86|0086)[- ]?|"
            + ASCII_BOUNDARY
            + r")1[3-9]\d(?:\d{8}|[- ]\d{4}[- ]\d{4})"
            + ASCII_BOUNDARY,
            group="identifiers",
        ),
    ),
)
