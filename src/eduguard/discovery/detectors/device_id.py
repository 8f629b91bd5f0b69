"""DEVICE_ID — 设备标识: MAC addresses, IMEI, device serials (GB/T 35273 Annex A 常用设备信息).

Spec: MAC-48 (IEEE 802, six hex pairs separated by ``:`` or ``-``); IMEI (3GPP TS 23.003:
14 digits + Luhn check digit, 15 in all; IMEISV 16 digits without check). Other serials
(IDFA/OAID/Android ID) are opaque and need the column name.

>>> check(Values(pl.Series(["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "354178036859789", "354178036859788"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

import polars as pl

from eduguard.discovery.detectors.base import (
    Detector,
    Rule,
    TextPattern,
    Values,
    declare,
    fullmatch,
)
from eduguard.discovery.detectors.checks import luhn_valid

MAC = r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}"


def _luhn(values: Values) -> pl.Series:
    return luhn_valid(values.compact)


IS_MAC = Rule(fullmatch(MAC))
IS_IMEI = Rule(r"^\d{15}$", form="compact", refine=_luhn)
check = declare(IS_MAC, IS_IMEI)
loose = declare(IS_MAC, IS_IMEI, Rule(r"^[0-9A-Z:_]{8,64}$", form="compact"))


DETECTOR = Detector(
    code="DEVICE_ID",
    label="设备标识",
    name_tokens={
        "mac": "MAC 地址",
        "macdz": "MAC 地址",
        "macaddr": "MAC 地址",
        "macaddress": "MAC 地址",
        "imei": "IMEI",
        "imsi": "IMSI",
        "meid": "MEID",
        "sbh": "设备号",
        "sbbs": "设备标识",
        "sbxlh": "设备序列号",
        "deviceid": "设备标识",
        "deviceno": "设备号",
        "udid": "设备标识",
        "idfa": "广告标识",
        "oaid": "设备标识",
        "androidid": "安卓标识",
    },
    name_phrases=("macaddr", "deviceid", "imei", "androidid"),
    keywords_zh=("设备号", "设备标识", "设备序列号", "MAC地址", "IMEI"),
    value_check=check,
    value_label="为 MAC 地址或 IMEI（Luhn 校验）",
    loose_check=loose,
    loose_label="为设备标识",
    value_alone=0.8,
    hint=r"[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-]|\d{15}",
    text=(TextPattern(r"(?-u:\b)" + MAC + r"(?-u:\b)", requires=(":", "-"), group="identifiers"),),
)
