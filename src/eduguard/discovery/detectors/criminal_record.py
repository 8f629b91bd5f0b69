"""CRIMINAL_RECORD — 违法犯罪记录 (sensitive: PIPL Art. 28 人格尊严; GB/T 45574-2025; 未成年人
犯罪记录封存, 刑事诉讼法 第二百八十六条).

Spec: offences, convictions, penalties and 治安处罚 of a person — JY/T 1004-2012 未成年学生犯罪
数据子类 (犯罪日期, 犯罪情况描述), staff 违法犯罪记录 checked at hiring (教师法 第十四条). Values are
free text, so only the column name and comment say the type.

>>> DETECTOR.code, "fzqksm" in DETECTOR.name_tokens
('CRIMINAL_RECORD', True)
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector

DETECTOR = Detector(
    code="CRIMINAL_RECORD",
    label="违法犯罪记录",
    name_tokens={
        "fzrq": "犯罪日期",
        "fzqk": "犯罪情况",
        "fzqksm": "犯罪情况描述",
        "wffzjl": "违法犯罪记录",
        "fzjl": "犯罪记录",
        "xsfz": "刑事犯罪",
        "zacf": "治安处罚",
        "criminal": "犯罪",
        "crime": "犯罪",
        "conviction": "定罪",
        "offence": "违法",
        "offense": "违法",
    },
    name_phrases=("criminal", "conviction", "offence", "offense"),
    keywords_zh=("犯罪", "违法记录", "刑事", "治安处罚", "判刑", "服刑", "劳教"),
    name_needs_values=False,
)
