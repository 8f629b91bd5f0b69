"""POLITICAL_STATUS — 政治面貌.

Spec (GB/T 4762-1984 政治面貌代码): 01 中国共产党党员, 02 中国共产党预备党员, 03 中国共产主义青年团
团员, 04–11 the eight democratic parties, 12 无党派民主人士, 13 群众 (data/political_status.tsv,
with common short forms 中共党员/共青团员/团员). Codes need the column name.

>>> check(Values(pl.Series(["中共党员", "共青团员", "群众", "13", "团支部"]))).to_list()
[True, True, True, False, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, declare, low_cardinality, read_table

ROWS = read_table("political_status.tsv")
NAMES = [row[1] for row in ROWS] + [alias for row in ROWS for alias in row[2].split(",") if alias]
CODES = [row[0] for row in ROWS] + [str(int(row[0])) for row in ROWS]
check = declare(Rule(words=tuple(NAMES)))
loose = declare(Rule(words=tuple(NAMES + CODES)))


DETECTOR = Detector(
    code="POLITICAL_STATUS",
    label="政治面貌",
    name_tokens={
        "zzmm": "政治面貌",
        "zzmmm": "政治面貌码",
        "zzmmdm": "政治面貌代码",
        "zhengzhimianmao": "政治面貌",
        "political": "政治面貌",
        "politicalstatus": "政治面貌",
        "politicsstatus": "政治面貌",
        "partyaffiliation": "党派",
    },
    name_phrases=("political", "politics", "zzmm"),
    keywords_zh=("政治面貌", "党派"),
    value_check=check,
    value_label="为 GB/T 4762 政治面貌",
    loose_check=loose,
    loose_label="为 GB/T 4762 政治面貌或代码",
    value_alone=0.8,
    hint=r"\p{Han}",
    value_guard=low_cardinality(20),
)
