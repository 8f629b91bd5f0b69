"""BIRTH_DATE — 出生日期.

Spec: a calendar date between 1900 and today, as 2010-05-01, 2010/5/1, 2010.05.01, 20100501 or
2010年5月1日 (JY/T 1002 CSRQ: YYYYMMDD). Dates are everywhere in school data (入学日期, exam
dates, timestamps), so values alone never label a column: its name or comment must say 出生/生日.
Birth dates also decide minors: subjects under 14 on the scan date (PIPL Art. 28, 31).

>>> check(Values(pl.Series(["2010-05-01", "2010年5月1日", "20100501", "2010-02-30", "n/a"]))).to_list()
[True, True, True, False, False]
"""

from __future__ import annotations

import polars as pl

from eduguard.discovery.detectors.base import Detector, TextPattern, Values
from eduguard.discovery.detectors.checks import parse_dates


def birth_dates(values: Values) -> pl.Series:
    return parse_dates(values.raw)


def check(values: Values) -> pl.Series:
    return birth_dates(values).is_not_null()


DETECTOR = Detector(
    code="BIRTH_DATE",
    label="出生日期",
    name_tokens={
        "csrq": "出生日期",
        "csny": "出生年月",
        "chusheng": "出生",
        "shengri": "生日",
        "birthday": "生日",
        "birthdate": "出生日期",
        "dateofbirth": "出生日期",
        "dob": "出生日期",
        "birth": "出生",
        "born": "出生",
    },
    name_phrases=("birthday", "birthdate", "dateofbirth"),
    keywords_zh=("出生日期", "出生年月", "生日", "出生"),
    exclude=("出生地", "csd", "birthplace", "placeofbirth", "csdm"),
    value_check=None,
    loose_check=check,
    loose_label="为 1900 年至今的日期",
    birth_dates=birth_dates,
    text=(
        TextPattern(
            r"(?:出生于|出生日期[：:]?|生日[：:是为]?|生于)\s?((?:19|20)\d{2}(?:年\d{1,2}月\d{1,2}日|-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2}|\d{4}))",
            has_group=True,
            requires=("出生", "生日", "生于"),
        ),
    ),
)
