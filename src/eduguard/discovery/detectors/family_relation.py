"""FAMILY_RELATION — 家庭关系: guardian relationship and family members.

Spec (JY/T 1001 / GB/T 4761-2008 家庭关系代码: 1 本人, 2 配偶, 3 子, 51 父亲, 52 母亲 …, 8 其他):
the relationship words of data/family_relations.txt label a column on values; GB/T 4761 codes
need the column's name (GX, JTGXM, 与本人关系).

>>> check(Values(pl.Series(["父亲", "母亲", "外婆", "班长"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import (
    Detector,
    Rule,
    TextPattern,
    declare,
    dictionary,
    low_cardinality,
    read_lines,
)

RELATIONS = read_lines("family_relations.txt")
# In free text: kin words (not the roles 本人, 监护人, nor 阿姨 and 叔叔, which address anyone),
# the parents/grandparents as a pair, and family situations (是否独生子女, 婚姻状况 in prose).
TEXT_RELATIONS = sorted(
    {word for word in RELATIONS if word not in ("本人", "监护人", "其他监护人", "阿姨", "叔叔")}
    | {"父母", "祖父母", "外祖父母", "爷爷奶奶", "外公外婆"}
    | {"父母离异", "单亲家庭", "留守儿童", "独生子女", "孤儿", "父母双亡"}
)
RELATION = Rule(words=tuple(RELATIONS))
check = declare(RELATION)
loose = declare(RELATION, Rule(r"^\d{1,2}$"))


DETECTOR = Detector(
    code="FAMILY_RELATION",
    label="家庭关系",
    name_tokens={
        "gx": "关系",
        "gxm": "关系码",
        "jtgx": "家庭关系",
        "jtgxm": "家庭关系码",
        "ybrgx": "与本人关系",
        "ysgx": "与学生关系",
        "ystgx": "与学生关系",
        "jhrgx": "监护人关系",
        "jtcy": "家庭成员",
        "relation": "关系",
        "relationship": "关系",
        "guardianrelation": "监护人关系",
        "kinship": "亲属关系",
    },
    name_phrases=("relationship", "guardianrelation", "kinship"),
    keywords_zh=("关系", "家庭成员", "亲属"),
    exclude=("关系型", "关联", "recordrelation"),
    value_check=check,
    value_label="为家庭关系称谓",
    loose_check=loose,
    loose_label="为家庭关系称谓或代码",
    value_alone=0.8,
    hint=r"\p{Han}",
    value_guard=low_cardinality(40),
    text=(
        dictionary(TEXT_RELATIONS),
        # 王某之父, 系…之母: the relation written as one character after 之
        TextPattern(r"之([父母子女])", has_group=True, requires=("之",)),
    ),
)
