"""TEACHER_CERT_NO — 教师资格证书号码.

Spec (《教师资格条例》实施办法; 教师资格证书编号规则): 17 digits = 4 认定年度 + 2 省级代码 +
3 认定机构 + 1 资格种类 (1 幼儿园 … 7 高校) + 1 性别 + 6 序号; older certificates 15 digits.
No check digit and no letters, so the column name must say 教师资格.

>>> loose(Values(pl.Series(["20151100141012345", "198611001410123", "2015"]))).to_list()
[True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, declare

SHAPE = r"^(?:(?:19|20)\d{2}[1-8]\d\d{3}[1-7][0-2]\d{6}|\d{15})$"


loose = declare(Rule(SHAPE, form="compact"))


DETECTOR = Detector(
    code="TEACHER_CERT_NO",
    label="教师资格证书号",
    name_tokens={
        "jszgzsh": "教师资格证书号",
        "jszgzh": "教师资格证号",
        "jszgzbh": "教师资格证编号",
        "zgzsh": "资格证书号",
        "zgzh": "资格证号",
        "teachercert": "教师资格证",
        "teachercertno": "教师资格证号",
        "teachercertificate": "教师资格证",
        "teachingcertificate": "教师资格证",
    },
    name_phrases=("teachercert", "teachingcert", "jszgz", "qualificationcert"),
    keywords_zh=("教师资格", "资格证书号", "资格证号"),
    loose_check=loose,
    loose_label="为 17 位教师资格证书号",
)
