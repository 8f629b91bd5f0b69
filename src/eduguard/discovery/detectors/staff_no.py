"""STAFF_NO — 工号: the number a school gives its staff.

Spec (JY/T 1006-2012 GH 工号; JY/T 0637-2022 教育系统人员基础数据): institution-defined codes of
3–20 letters and digits. The column's name or comment decides (GH, ZGH, JGH, staff_no, 工号).

>>> loose(Values(pl.Series(["T0012", "19980021", "王老师"]))).to_list()
[True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, TextPattern, declare

SHAPE = r"^[A-Za-z0-9][A-Za-z0-9_\-]{2,19}$"


loose = declare(Rule(SHAPE))


DETECTOR = Detector(
    code="STAFF_NO",
    label="工号",
    name_tokens={
        "gh": "工号",
        "zgh": "职工号",
        "jgh": "教工号",
        "jzgh": "教职工号",
        "jsgh": "教师工号",
        "jsbh": "教师编号",
        "gonghao": "工号",
        "staffno": "工号",
        "staffid": "工号",
        "employeeno": "工号",
        "employeeid": "工号",
        "empno": "工号",
        "empid": "工号",
        "teacherno": "教师编号",
        "teacherid": "教师编号",
        "workno": "工号",
        "jobno": "工号",
    },
    name_phrases=(
        "staffno",
        "staffid",
        "employeeno",
        "employeeid",
        "teacherno",
        "teacherid",
        "workno",
    ),
    keywords_zh=("工号", "职工号", "教工号", "员工编号", "教师编号"),
    loose_check=loose,
    loose_label="为编号形式",
    text=(
        TextPattern(
            r"工号[：:为是\s]{0,2}([A-Za-z0-9]{3,20})(?-u:\b)", has_group=True, requires=("工号",)
        ),
    ),
)
