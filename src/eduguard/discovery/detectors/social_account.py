"""SOCIAL_ACCOUNT — 社交账号: QQ numbers, WeChat IDs, other instant-messaging accounts.

Spec: QQ numbers are 5–11 digits not starting with 0; user-set WeChat IDs are 6–20 characters
starting with a letter (letters, digits, ``-``, ``_``), system ones ``wxid_…``; open IDs are
opaque strings (any86/any-rule). All of these look like other numbers and codes, so the column
name (QQ, 微信, 即时通讯号 JSTXH) must say so.

>>> loose(Values(pl.Series(["12345678", "wxid_abc123", "zhangsan_88", "0123"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import ASCII_BOUNDARY, Detector, Rule, TextPattern, declare

ACCOUNT = r"^(?:[1-9]\d{4,10}|wxid_[a-z0-9]{4,}|[A-Za-z][-_A-Za-z0-9]{5,19}|o[A-Za-z0-9_-]{20,40})$"


loose = declare(Rule(ACCOUNT))


DETECTOR = Detector(
    code="SOCIAL_ACCOUNT",
    label="社交账号",
    name_tokens={
        "qq": "QQ 号",
        "qqh": "QQ 号",
        "qqhm": "QQ 号码",
        "wx": "微信",
        "wxh": "微信号",
        "weixin": "微信",
        "wechat": "微信",
        "wechatid": "微信号",
        "openid": "微信 OpenID",
        "unionid": "微信 UnionID",
        "jstxh": "即时通讯号",
        "weibo": "微博",
        "dingtalk": "钉钉",
    },
    name_phrases=("wechat", "weixin", "openid", "unionid", "qqnumber", "qqno"),
    keywords_zh=("QQ", "微信", "即时通讯", "微博", "钉钉"),
    loose_check=loose,
    loose_label="为 QQ 号/微信号形式",
    text=(
        TextPattern(
            r"(?:QQ|qq|扣扣)(?:号|号码)?[：:\s]{0,2}([1-9]\d{4,10})" + ASCII_BOUNDARY,
            has_group=True,
            requires=("QQ", "qq", "扣扣"),
        ),
        TextPattern(
            r"(?:微信|微信号|wx)[：:\s]{0,2}([A-Za-z][-_A-Za-z0-9]{5,19})" + ASCII_BOUNDARY,
            has_group=True,
            requires=("微信", "wx"),
        ),
    ),
)
