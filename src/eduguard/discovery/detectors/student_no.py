"""STUDENT_NO — 学号: the number a school gives its students.

Spec (JY/T 1006-2012 XH 学号): institution-defined, typically 入学年 + 院系/专业 + 班级 + 序号,
4–20 letters and digits. No national format, so the column's name or comment decides
(XH, xsh, student_no, 学号); values of identifier shape confirm it.

>>> loose(Values(pl.Series(["2023010101", "S2023-001", "张三"]))).to_list()
[True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, TextPattern, declare

SHAPE = r"^[A-Za-z0-9][A-Za-z0-9_\-]{2,19}$"


loose = declare(Rule(SHAPE))


DETECTOR = Detector(
    code="STUDENT_NO",
    label="学号",
    name_tokens={
        "xh": "学号",
        "xsh": "学生号",
        "xsxh": "学生学号",
        "xuehao": "学号",
        "studentno": "学号",
        "studentid": "学号",
        "studentnumber": "学号",
        "studentcode": "学号",
        "stuno": "学号",
        "stuid": "学号",
        "sno": "学号",
    },
    name_phrases=("studentno", "studentid", "studentnumber", "studentcode", "stuno", "xuehao"),
    keywords_zh=("学号",),
    exclude=("序号", "xuhao", "顺序号"),
    loose_check=loose,
    loose_label="为编号形式",
    text=(
        TextPattern(
            r"学号[：:为是\s]{0,2}([A-Za-z0-9]{4,20})(?-u:\b)", has_group=True, requires=("学号",)
        ),
    ),
)
