"""IP_ADDRESS — IP 地址 (网络身份标识信息, GB/T 35273 Annex A).

Spec: IPv4 dotted quad (each octet 0–255, RFC 791) or IPv6 (RFC 4291 text forms, simplified to
hex groups with ``::`` compression).

>>> check(Values(pl.Series(["192.168.1.20", "256.1.1.1", "2001:db8::1", "fe80::1ff:fe23:4567:890a", "1.2.3"]))).to_list()
[True, False, True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import (
    ASCII_BOUNDARY,
    Detector,
    Rule,
    TextPattern,
    declare,
    fullmatch,
)

OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = rf"{OCTET}(?:\.{OCTET}){{3}}"
IPV6 = r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,7}:|(?:[0-9A-Fa-f]{1,4}:){1,6}(?::[0-9A-Fa-f]{1,4}){1,6}|::(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4}"


check = declare(Rule(fullmatch(f"{IPV4}|{IPV6}")))


DETECTOR = Detector(
    code="IP_ADDRESS",
    label="IP 地址",
    name_tokens={
        "ip": "IP 地址",
        "ipdz": "IP 地址",
        "ipaddr": "IP 地址",
        "ipaddress": "IP 地址",
        "loginip": "登录 IP",
        "clientip": "客户端 IP",
        "remoteip": "远程 IP",
        "dlip": "登录 IP",
    },
    name_phrases=("ipaddr", "loginip", "clientip", "remoteip", "sourceip"),
    keywords_zh=("IP地址", "IP 地址", "登录IP"),
    value_check=check,
    value_label="为 IPv4/IPv6 地址",
    value_alone=0.8,
    hint=r"\d\.\d|:",
    text=(
        TextPattern(ASCII_BOUNDARY + IPV4 + ASCII_BOUNDARY, requires=(".",), group="identifiers"),
    ),
)
