"""Chinese labels for what a report shows: PI type codes, levels, booleans.

The codes are the contract's (../shared/contracts/pi-types.md); an unknown code (a newer one)
is shown as itself, never dropped.
"""

from __future__ import annotations

PI_TYPE_LABELS: dict[str, str] = {
    "CN_RESIDENT_ID": "居民身份证号",
    "STUDENT_REG_NO": "全国学籍号",
    "PASSPORT": "护照号",
    "TRAVEL_PERMIT": "通行证",
    "MOBILE_PHONE": "手机号",
    "LANDLINE_PHONE": "固定电话",
    "EMAIL": "电子邮箱",
    "PERSON_NAME": "姓名",
    "ADDRESS": "地址",
    "HOUSEHOLD_REGISTRATION": "户籍",
    "BIRTH_DATE": "出生日期",
    "GENDER": "性别",
    "ETHNICITY": "民族",
    "RELIGION": "宗教信仰",
    "POLITICAL_STATUS": "政治面貌",
    "HEALTH": "健康生理",
    "BIOMETRIC": "生物识别",
    "BANK_CARD": "银行卡号",
    "FINANCIAL": "财产/资助",
    "LOCATION": "行踪轨迹",
    "IP_ADDRESS": "IP 地址",
    "DEVICE_ID": "设备标识",
    "LICENSE_PLATE": "车牌号",
    "SOCIAL_ACCOUNT": "社交账号",
    "STUDENT_NO": "学号",
    "STAFF_NO": "工号",
    "TEACHER_CERT_NO": "教师资格证书号",
    "EXAM_REG_NO": "考生号",
    "EDUCATION_RECORD": "学业记录",
    "FAMILY_RELATION": "家庭关系",
    "CREDENTIAL": "口令/凭证",
    "PHOTO": "照片",
    "ORG_CODE": "组织机构代码",
}

LEVEL_LABELS: dict[str, str] = {
    "core": "核心数据",
    "important": "重要数据（待认定）",
    "general-4": "一般数据 4 级",
    "general-3": "一般数据 3 级",
    "general-2": "一般数据 2 级",
    "general-1": "一般数据 1 级",
}


def pi_type_label(code: str) -> str:
    """``姓名 PERSON_NAME`` style: readable and still searchable by code."""
    label = PI_TYPE_LABELS.get(code)
    return f"{label}（{code}）" if label else code


def pi_types_text(codes: list[str]) -> str:
    return "、".join(PI_TYPE_LABELS.get(code, code) for code in codes) or "—"


def level_label(level: str) -> str:
    return LEVEL_LABELS.get(level, level)


def yes_no(value: bool) -> str:
    return "是" if value else "否"
