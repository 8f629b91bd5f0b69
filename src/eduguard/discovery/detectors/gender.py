"""GENDER — 性别.

Spec (GB/T 2261.1-2003 人的性别代码): 0 未知的性别, 1 男性, 2 女性, 9 未说明的性别; written
also as 男/女, M/F, male/female. Digit codes need the column name; words alone suffice when
nearly all values are one of them.

>>> check(Values(pl.Series(["男", "女", "女性", "M", "1", "未知"]))).to_list()
[True, True, True, True, False, True]
>>> loose(Values(pl.Series(["1", "2", "9", "3"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, declare, low_cardinality

WORDS = [
    "男",
    "女",
    "男性",
    "女性",
    "M",
    "F",
    "MALE",
    "FEMALE",
    "未知",
    "未说明",
    "未知的性别",
    "未说明的性别",
]
CODES = ["0", "1", "2", "9"]
check = declare(Rule(words=tuple(WORDS), form="compact"))
loose = declare(Rule(words=tuple(WORDS + CODES), form="compact"))


DETECTOR = Detector(
    code="GENDER",
    label="性别",
    name_tokens={
        "xb": "性别",
        "xbm": "性别码",
        "xbdm": "性别代码",
        "xingbie": "性别",
        "gender": "性别",
        "sex": "性别",
    },
    name_phrases=("gender",),
    keywords_zh=("性别",),
    value_check=check,
    value_label="为性别取值（男/女）",
    loose_check=loose,
    loose_label="为性别或 GB/T 2261.1 性别码",
    value_alone=0.9,
    hint=r"[男女MFmf未]",
    value_guard=low_cardinality(6),
)
