"""SPECIAL_IDENTITY — 特定身份 (sensitive, PIPL Art. 28 特定身份; GB/T 45574-2025).

Spec: the identities a school records to give a pupil support or priority — 残疾 (disability
status and certificate), 孤儿 / 事实无人抚养, 低保 / 特困供养, 烈士子女 / 军烈属, 留守儿童,
建档立卡 — whose disclosure exposes a child to stigma. They are 特定身份, not finance: the aid
*amount* beside them stays FINANCIAL. Values are mostly yes/no flags, so only the column name
and comment say the type.

>>> DETECTOR.code, "sfdb" in DETECTOR.name_tokens
('SPECIAL_IDENTITY', True)
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector

DETECTOR = Detector(
    code="SPECIAL_IDENTITY",
    label="特定身份",
    name_tokens={
        "sfcj": "是否残疾",
        "sfcjr": "是否残疾人",
        "cjzh": "残疾证号",
        "cjrzh": "残疾人证号",
        "sfge": "是否孤儿",
        "sfdb": "是否低保",
        "sftk": "是否特困",
        "sflszn": "是否烈士子女",
        "sflsznm": "是否烈士子女码",
        "lszn": "烈士子女",
        "sflsbz": "是否留守儿童",
        "sfjdlk": "是否建档立卡",
        "orphan": "孤儿",
        "martyr": "烈士",
    },
    # not ``disabled``: in most schemas that is the account's 禁用 flag (RuoYi, jeecg, Django)
    name_phrases=("orphan", "martyr", "disability", "handicap"),
    keywords_zh=(
        "残疾",
        "孤儿",
        "低保",
        "特困",
        "烈士",
        "军烈属",
        "留守儿童",
        "建档立卡",
        "事实无人抚养",
    ),
    exclude=("低保线", "低保金", "低保标准", "补助金额", "残疾人就业保障金"),
    name_needs_values=False,
)
