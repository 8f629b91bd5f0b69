"""ORG_CODE — 统一社会信用代码 and 组织机构代码 (organisations: catalogued, not personal).

Spec: GB 32100-2015 统一社会信用代码: 18 characters from "0123456789ABCDEFGHJKLMNPQRTUWXY"
(1 登记管理部门 + 1 机构类别 + 6 行政区划 + 9 组织机构代码 + 1 check), check =
alphabet[(31 − Σ charvalue·3^i mod 31) mod 31]; 公办学校 usually start 12, 民办学校 52.
GB 11714-1997 组织机构代码: 8 characters + check (weights 3 7 9 10 5 8 4 2, 11 − Σ mod 11, 10 → X).
The vectorised check agrees with ``stdnum.cn.uscc`` (verified in tests).

>>> check(Values(pl.Series(["91110000600037341L", "91230184MA1BUFLT44", "91110000600037341A", "60003734-1"]))).to_list()
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
)
from eduguard.discovery.detectors.checks import mod31_valid, org_code_valid


def _mod31(values: Values) -> pl.Series:
    return mod31_valid(values.compact)


def _gb11714(values: Values) -> pl.Series:
    return org_code_valid(values.compact)


# 统一社会信用代码 (18 characters, GB 32100) or 组织机构代码 (9, GB 11714): shape, then check
check = declare(
    Rule(r"^[0-9A-HJ-NPQRTUWXY]{18}$", form="compact", refine=_mod31),
    Rule(r"^[0-9A-Z]{8}[0-9X]$", form="compact", refine=_gb11714),
)


def _text_valid(spans: pl.Series) -> pl.Series:
    return mod31_valid(spans)


DETECTOR = Detector(
    code="ORG_CODE",
    label="统一社会信用代码/组织机构代码",
    name_tokens={
        "tyshxydm": "统一社会信用代码",
        "shxydm": "社会信用代码",
        "xydm": "信用代码",
        "zzjgdm": "组织机构代码",
        "uscc": "统一社会信用代码",
        "creditcode": "信用代码",
        "socialcreditcode": "统一社会信用代码",
        "orgcode": "组织机构代码",
        "organizationcode": "组织机构代码",
    },
    name_phrases=("creditcode", "orgcode", "organizationcode", "uscc"),
    keywords_zh=("统一社会信用代码", "信用代码", "组织机构代码"),
    value_check=check,
    value_label="通过 GB 32100/GB 11714 校验",
    value_alone=0.8,
    hint=r"^[0-9A-Za-z]{8}-?[0-9A-Za-z]$|^[0-9A-Za-z]{18}$",
    personal=False,
    text=(
        TextPattern(
            ASCII_BOUNDARY + r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}" + ASCII_BOUNDARY,
            _text_valid,
            group="identifiers",
        ),
    ),
)
