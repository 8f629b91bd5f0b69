"""LANDLINE_PHONE — 固定电话 (area code + local number).

Spec (国内长途区号 + 7/8-digit local numbers, any86/any-rule): ``0`` + 2–3 digit area code
(010, 02x are 3 digits, the rest 4), then a local number starting 2–9, optionally an extension;
400/800 service numbers. Values alone are trusted only with the area code written apart
(``010-62345678``, ``(0755)23456789``) — an unpunctuated 11–12 digit number could be anything.

>>> check(Values(pl.Series(["010-62345678", "(0755)2345678", "0755 23456789-123", "01062345678"]))).to_list()
[True, True, True, False]
>>> loose(Values(pl.Series(["01062345678", "62345678", "400-810-8888", "13812345678"]))).to_list()
[True, True, True, False]
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

STRICT = r"(?:0\d{2,3}[- ]|[(（]0\d{2,3}[)）]\s?)[2-9]\d{6,7}(?:[-转]\d{1,6})?"
LOOSE = r"0\d{2,3}[2-9]\d{6,7}|[2-9]\d{6,7}|[48]00\d{7}|0\d{2,3}[2-9]\d{6,7}\d{1,6}"


WITH_AREA_CODE = Rule(fullmatch(STRICT))
# In free text: the area code apart (010-, (0571), （0571）), the local number whole or split
# (8888-1234), an extension (转123, -123, 分机123) kept with it.
_LOCAL = r"(?:[2-9]\d{2,3}-?\d{4}|[2-9]\d{3}-\d{3})"
_EXTENSION = r"(?:(?:转|-|分机|ext\.?\s?)\d{1,5})?"
TEXT_WITH_AREA = (
    rf"(?:{ASCII_BOUNDARY}0\d{{2,3}}-|[(（]0\d{{2,3}}[)）]\s?){_LOCAL}{_EXTENSION}{ASCII_BOUNDARY}"
)
# a local number without its area code, known by the word before it
TEXT_CUES = ("座机", "固话", "固定电话", "办公电话", "家庭电话", "家中电话", "电话")
TEXT_AFTER_CUE = (
    rf"(?:{'|'.join(TEXT_CUES)})(?:号码)?[：:为是\s]{{0,2}}({_LOCAL}{_EXTENSION}){ASCII_BOUNDARY}"
)


def _digits_match(values: Values) -> pl.Series:
    digits = values.compact.str.replace_all(r"[()（）转]", "")
    return digits.str.contains(fullmatch(LOOSE))


check = declare(WITH_AREA_CODE)
# LOOSE is digits only: values of digits and brackets, checked without the brackets
loose = declare(WITH_AREA_CODE, Rule(r"^[\d()（）转]+$", form="compact", refine=_digits_match))


DETECTOR = Detector(
    code="LANDLINE_PHONE",
    label="固定电话",
    name_tokens={
        "gddh": "固定电话",
        "zuoji": "座机",
        "bgdh": "办公电话",
        "jtdh": "家庭电话",
        "czdh": "传真电话",
        "cz": "传真",
        "lxdh": "联系电话",
        "dh": "电话",
        "landline": "固定电话",
        "officephone": "办公电话",
        "homephone": "家庭电话",
        "fax": "传真",
        "tel": "电话",
        "telephone": "电话",
        "phone": "电话",
    },
    name_phrases=("landline", "officephone", "homephone", "officetel", "telephone"),
    keywords_zh=("固定电话", "座机", "办公电话", "家庭电话", "传真", "电话"),
    exclude=("手机", "mobile", "移动电话", "cellphone", "sjh"),
    value_check=check,
    value_label="为带区号的固定电话",
    loose_check=loose,
    loose_label="为固定电话号码",
    value_alone=0.8,
    hint=r"0\d{2}",
    text=(
        TextPattern(TEXT_WITH_AREA, requires=("-", "(", "（"), group="identifiers"),
        TextPattern(TEXT_AFTER_CUE, has_group=True, requires=TEXT_CUES),
    ),
)
