"""LICENSE_PLATE — 车牌号.

Spec (GA 36-2018 《中华人民共和国机动车号牌》): province abbreviation + issuing-authority letter
(not I/O) + 5 characters; new-energy plates have 6 (D/F marks electric/hybrid).

>>> check(Values(pl.Series(["京A12345", "粤B D12345".replace(" ", ""), "沪AD12345", "A12345"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, TextPattern, declare, fullmatch

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
PLATE = (
    f"[{PROVINCES}][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]"
    r"|[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF])"
)

# In free text the plate may be written with a dot or a space after the authority letter
# (浙A·12345, 浙A 12345); new-energy plates (6 characters) are tried before the 5-character
# form so that 浙AD12345 is not cut to 浙AD1234.
TEXT_PLATE = (
    f"[{PROVINCES}][A-HJ-NP-Z][·• ]?"
    r"(?:[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳])"
    r"(?-u:\b)"
)

check = declare(Rule(fullmatch(PLATE), form="compact"))


DETECTOR = Detector(
    code="LICENSE_PLATE",
    label="车牌号",
    name_tokens={
        "cph": "车牌号",
        "cphm": "车牌号码",
        "chepai": "车牌",
        "plate": "车牌",
        "plateno": "车牌号",
        "licenseplate": "车牌号",
        "carno": "车牌号",
        "vehicleno": "车牌号",
        "carplate": "车牌号",
    },
    name_phrases=("licenseplate", "plateno", "carplate", "chepai"),
    keywords_zh=("车牌",),
    value_check=check,
    value_label="符合 GA 36 车牌格式",
    value_alone=0.8,
    hint=r"[A-Za-z]",
    text=(TextPattern(TEXT_PLATE, group="identifiers"),),
)
