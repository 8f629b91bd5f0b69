"""HEALTH — 健康生理信息 (sensitive, PIPL Art. 28 医疗健康).

Spec: GB/T 2261.3-2003 健康状况 (10 健康或良好, 20 一般或较弱, 30 有慢性病 …, 60 残疾 …),
GB/T 26341 disability categories, and the school-health terms of GB/T 35273 Annex B (diseases,
allergies, medical exams, psychological assessments, blood type; data/health_terms.tsv). Generic
words (健康, 良好, 一般) are also used for grades of conduct, so values alone label a column
only when at least some values are specific health terms.

>>> check(Values(pl.Series(["健康", "有轻微哮喘", "青霉素过敏", "优秀"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

import polars as pl

from eduguard.discovery.detectors.base import (
    Detector,
    Rule,
    Values,
    declare,
    dictionary,
    read_table,
    share,
)

ROWS = read_table("health_terms.tsv")
SPECIFIC = [row[0] for row in ROWS if row[1] == "specific"]
GENERIC = [row[0] for row in ROWS if row[1] == "generic"]
_CODES = r"^(?:10|20|30|3[1-9]|4[19]|60|6[1-79]|A|B|AB|O|RH[+-]?|A型|B型|AB型|O型|不详)$"


SPECIFIC_TERM = Rule(contains=tuple(SPECIFIC))
GENERIC_WORD = Rule(words=tuple(GENERIC))


def specific(values: Values) -> pl.Series:
    return SPECIFIC_TERM(values)


check = declare(GENERIC_WORD, SPECIFIC_TERM)
loose = declare(GENERIC_WORD, SPECIFIC_TERM, Rule(_CODES, form="compact"))


def guard(values: Values) -> bool:
    """Generic words only (健康/良好/一般) are not enough: some values must be specific terms."""
    return share(specific(values)) >= 0.05


DETECTOR = Detector(
    code="HEALTH",
    label="健康生理",
    name_tokens={
        "jkzk": "健康状况",
        "jkzkm": "健康状况码",
        "jkqk": "健康情况",
        "jbs": "疾病史",
        "jws": "既往史",
        "gms": "过敏史",
        "gmy": "过敏源",
        "tjjg": "体检结果",
        "tjqk": "体检情况",
        "cjlx": "残疾类型",
        "cjlxm": "残疾类型码",
        "cjqk": "残疾情况",
        "xxm": "血型码",
        "xljk": "心理健康",
        "shengao": "身高",
        "tizhong": "体重",
        "health": "健康",
        "healthstatus": "健康状况",
        "disease": "疾病",
        "diseases": "疾病",
        "allergy": "过敏",
        "allergies": "过敏",
        "medical": "医疗",
        "medicalhistory": "病史",
        "disability": "残疾",
        "bloodtype": "血型",
        "diagnosis": "诊断",
        "height": "身高",
        "weight": "体重",
        "vision": "视力",
    },
    name_phrases=(
        "health",
        "disease",
        "allerg",
        "medical",
        "disabilit",
        "bloodtype",
        "diagnos",
        "psycholog",
    ),
    keywords_zh=(
        "健康",
        "病",
        "过敏",
        "残疾",
        "体检",
        "血型",
        "心理",
        "视力",
        "身高",
        "体重",
        "诊断",
        "伤残",
        "医疗",
    ),
    exclude=("医疗保险", "病假条号"),
    value_check=check,
    value_label="为健康/疾病/残疾用语",
    loose_check=loose,
    loose_label="为健康状况用语或 GB/T 2261.3 代码",
    value_alone=0.7,
    hint=r"\p{Han}",
    value_guard=guard,
    name_needs_values=False,
    text=(dictionary(SPECIFIC),),
)
