"""DISCIPLINARY — 处分记录 (JY/T 1002-2012 惩处数据子类: 处分名称码, 处分原因, 处分文号 …).

Spec: a student's or staff member's disciplinary sanctions — 警告, 严重警告, 记过, 留校察看,
开除学籍, 纪律处分 — and their reasons, dates and document numbers. Not PIPL Art. 28 sensitive
by name, but graded 4 by the default rules: disclosure harms a pupil's dignity, further study
and employment. Values (警告/记过 …) are short and shared with conduct grades, so only the
column name and comment say the type.

>>> DETECTOR.code, "cfyy" in DETECTOR.name_tokens
('DISCIPLINARY', True)
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector

DETECTOR = Detector(
    code="DISCIPLINARY",
    label="处分记录",
    name_tokens={
        "cfmc": "处分名称",
        "cfmcm": "处分名称码",
        "cfyy": "处分原因",
        "cfwh": "处分文号",
        "cfrq": "处分日期",
        "jlcf": "纪律处分",
        "jlcfm": "纪律处分码",
        "ccmc": "惩处名称",
        "ccnr": "惩处内容",
        "chufen": "处分",
        "discipline": "处分",
        "disciplinary": "纪律处分",
        "sanction": "处分",
        "punishment": "惩处",
    },
    name_phrases=("disciplin", "sanction", "punish"),
    keywords_zh=("处分", "惩处", "违纪", "留校察看", "开除学籍"),
    name_needs_values=False,
)
