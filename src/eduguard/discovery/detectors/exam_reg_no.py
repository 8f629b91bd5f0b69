"""EXAM_REG_NO — 考生号 (高考报名号) and 准考证号.

Spec: the MoE 高考报名号 is 14 digits = 2 year + 6 GB/T 2260 county + 1 exam type + 1 科类 +
4 sequence (some provinces deviate); 准考证号 formats are provincial (e.g. Jiangsu 13 digits).
The column name decides (KSH, ZKZH, 考生号, 准考证).

>>> loose(Values(pl.Series(["23110108101234", "A23-0012", "张三"]))).to_list()
[True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, TextPattern, declare

SHAPE = r"^[A-Z0-9]{6,20}$"


loose = declare(Rule(SHAPE, form="compact"))


DETECTOR = Detector(
    code="EXAM_REG_NO",
    label="考生号/准考证号",
    name_tokens={
        "ksh": "考生号",
        "kaoshenghao": "考生号",
        "gkbmh": "高考报名号",
        "bmh": "报名号",
        "zkzh": "准考证号",
        "zkzhm": "准考证号码",
        "examno": "考号",
        "examregno": "考生号",
        "candidateno": "考生号",
        "admissionticket": "准考证",
        "ticketno": "准考证号",
    },
    name_phrases=("candidateno", "admissionticket", "examno", "examregno", "zkzh"),
    keywords_zh=("考生号", "准考证", "报名号", "考号"),
    loose_check=loose,
    loose_label="为考号形式",
    text=(
        TextPattern(
            r"(?:准考证号|考生号)[：:为是\s]{0,2}([A-Za-z0-9]{6,20})(?-u:\b)",
            has_group=True,
            requires=("准考证号", "考生号"),
        ),
    ),
)
