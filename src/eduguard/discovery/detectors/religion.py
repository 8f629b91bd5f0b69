"""RELIGION — 宗教信仰 (sensitive, PIPL Art. 28).

Spec: the values of the JY/T 1001 信仰宗教码 list as school systems use it (data/religions.tsv):
佛教 (incl. 藏传佛教/喇嘛教), 道教, 伊斯兰教, 天主教, 基督教, 东正教, 其他, and "no religion".
Numeric codes differ between systems, so they need the column name.

>>> check(Values(pl.Series(["佛教", "无宗教信仰", "伊斯兰教", "数学"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import (
    Detector,
    Rule,
    declare,
    dictionary,
    low_cardinality,
    read_table,
)

ROWS = read_table("religions.tsv")
NAMES = [row[0] for row in ROWS]
RELIGIONS = [row[0] for row in ROWS if row[1] == "religion"]
check = declare(Rule(words=tuple(NAMES)))
loose = declare(Rule(words=(*NAMES, "无", "其他")), Rule(r"^\d{1,2}$"))


DETECTOR = Detector(
    code="RELIGION",
    label="宗教信仰",
    name_tokens={
        "zjxy": "宗教信仰",
        "zjxym": "宗教信仰码",
        "xyzj": "信仰宗教",
        "xyzjm": "信仰宗教码",
        "zongjiao": "宗教",
        "religion": "宗教信仰",
        "faith": "信仰",
        "belief": "信仰",
    },
    name_phrases=("religion", "zongjiao"),
    keywords_zh=("宗教", "信仰"),
    value_check=check,
    value_label="为宗教信仰取值",
    loose_check=loose,
    loose_label="为宗教信仰取值或代码",
    value_alone=0.8,
    hint=r"教|信仰",
    value_guard=low_cardinality(15),
    text=(dictionary(RELIGIONS),),
)
