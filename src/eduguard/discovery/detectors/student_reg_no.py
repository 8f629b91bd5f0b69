"""STUDENT_REG_NO — 全国中小学生学籍号 (教育系统人员个人标识码).

Spec (教育部全国中小学生学籍信息管理系统; 教育系统人员基础信息统一编码): 19 characters = a
type letter + 18 characters:

* ``G`` + the student's 公民身份号码 — MOD 11-2 check as GB 11643;
* ``J`` + a self-assigned 18-character code built like an ID number (6 area + 8 birth date +
  3 sequence + MOD 11-2 check);
* ``L`` + 6 area + 8 birth date + 4 digits — temporary, no check digit.

>>> check(Values(pl.Series(["G11010519491231002X", "g11010519491231002x", "G110105194912310021", "L1101052015010112 34"]))).to_list()
[True, True, False, True]
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

SHAPE = r"[GJL][1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]"


def _valid(values: Values) -> pl.Series:
    """Of the values shaped like one: the check character (G/J numbers) and a real date."""
    compact = values.compact
    body = compact.str.slice(1)
    checked = mod11_2_valid(body) | compact.str.starts_with("L")
    dated = ymd_dates(body.str.slice(6, 8)).is_not_null()
    return checked & dated


SHAPED = Rule(fullmatch(SHAPE), form="compact", refine=_valid)


def check(values: Values) -> pl.Series:
    return SHAPED(values)


def birth_dates(values: Values) -> pl.Series:
    births = ymd_dates(values.compact.str.slice(7, 8))
    return births.set(~check(values), None)


def _text_valid(spans: pl.Series) -> pl.Series:
    upper = spans.str.to_uppercase()
    return mod11_2_valid(upper.str.slice(1)) | upper.str.starts_with("L")


DETECTOR = Detector(
    code="STUDENT_REG_NO",
    label="全国学籍号",
    name_tokens={
        "xjh": "学籍号",
        "qgxjh": "全国学籍号",
        "xjfh": "学籍辅号",
        "grbsm": "个人标识码",
        "studentregno": "学籍号",
        "regno": "学籍号",
        "xueji": "学籍",
        "xujihao": "学籍号",
        "xuejihao": "学籍号",
    },
    name_phrases=("studentreg", "enrollmentno", "xuejihao"),
    keywords_zh=("学籍号", "学籍辅号", "个人标识码"),
    value_check=declare(SHAPED),
    value_label="符合学籍号 G/J/L+18 位格式并通过校验",
    value_alone=0.6,
    hint=r"[GJLgjl]\s?\d{4}",
    birth_dates=birth_dates,
    births_within_check=True,
    text=(
        TextPattern(
            ASCII_BOUNDARY + r"[GJLgjl]\d{17}[\dXx]" + ASCII_BOUNDARY,
            _text_valid,
            requires=("G", "J", "L", "g", "j", "l"),
            group="identifiers",
        ),
    ),
)
