"""ETHNICITY — 民族 (sensitive: 特定身份, PIPL Art. 28).

Spec (GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码): the 56 ethnic groups with 2-digit
codes 01 汉族 … 56 基诺族, plus 97 其他 and 98 外国血统中国籍人士 (data/ethnic_groups.tsv,
including former names 毛难族/崩龙族 and short forms without 族). Full names label a column on
values alone; short forms and codes need the column name (白, 水, 京 are ordinary words).

>>> check(Values(pl.Series(["汉族", "维吾尔族", "汉", "01", "学生"]))).to_list()
[True, True, False, False, False]
>>> loose(Values(pl.Series(["汉", "01", "56", "57"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

import polars as pl

from eduguard.discovery.detectors.base import (
    Detector,
    Rule,
    TextPattern,
    alternation,
    declare,
    read_table,
)

GROUPS = read_table("ethnic_groups.tsv")
CODES = [row[0] for row in GROUPS] + [str(int(row[0])) for row in GROUPS]
NAMES = [row[1] for row in GROUPS if row[1].endswith("族")]
ALIASES = [alias for row in GROUPS for alias in row[2].split(",") if alias] + [
    row[1] for row in GROUPS
]
_FULL = tuple(NAMES + [alias for alias in ALIASES if alias.endswith("族")])
_ANY = tuple(sorted(set(ALIASES) | set(CODES)))


_TEXT_NAMES = [name for name in NAMES if name != "汉族"]


def _not_a_place(spans: pl.Series) -> pl.Series:
    """宁夏回族自治区 names a place, not a person's ethnicity."""
    return ~spans.str.contains("自治")


check = declare(Rule(words=_FULL))
loose = declare(Rule(words=_ANY))


DETECTOR = Detector(
    code="ETHNICITY",
    label="民族",
    name_tokens={
        "mz": "民族",
        "mzm": "民族码",
        "mzdm": "民族代码",
        "minzu": "民族",
        "ethnic": "民族",
        "ethnicity": "民族",
        "ethnicgroup": "民族",
        "nationality": "民族",
    },
    name_phrases=("ethnic", "minzu"),
    keywords_zh=("民族",),
    value_check=check,
    value_label="为 GB/T 3304 民族名称",
    loose_check=loose,
    loose_label="为 GB/T 3304 民族名称或代码",
    value_alone=0.8,
    hint=r"族",
    text=(
        TextPattern(
            f"(?:{alternation(_TEXT_NAMES)})+(?:自治[区州县旗])?", _not_a_place, requires=("族",)
        ),
    ),
)
