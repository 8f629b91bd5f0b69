"""CREDENTIAL — 口令/凭证: passwords, password hashes, tokens, security answers.

Spec (GB/T 35273-2020 Annex B 个人财产信息 — 鉴别信息（口令）; GB/T 22239 身份鉴别): stored
secrets. Modular-crypt hashes (bcrypt ``$2b$``, ``$argon2id$``, ``pbkdf2_sha256$``, ``$6$``)
label a column on values; bare hex digests and random tokens need the column name.

>>> check(Values(pl.Series(["$2b$12$" + "a" * 53, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "5f4dcc3b5aa765d61d8327deb882cf99"]))).to_list()
[True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, declare

HASH = r"^(?:\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$.+|pbkdf2_sha\d+\$.+|\$[156]\$.+|sm3\$.+)$"


check = declare(Rule(HASH))
loose = declare(Rule(min_length=1))


DETECTOR = Detector(
    code="CREDENTIAL",
    label="口令/凭证",
    name_tokens={
        "mm": "密码",
        "dlmm": "登录密码",
        "mima": "密码",
        "mmda": "密保答案",
        "mbda": "密保答案",
        "mbwt": "密保问题",
        "pwd": "密码",
        "password": "密码",
        "passwd": "密码",
        "passwordhash": "密码散列",
        "pwdhash": "密码散列",
        "salt": "盐值",
        "token": "令牌",
        "accesstoken": "访问令牌",
        "refreshtoken": "刷新令牌",
        "secret": "密钥",
        "apikey": "API 密钥",
        "securityanswer": "密保答案",
    },
    name_phrases=(
        "password",
        "passwd",
        "pwdhash",
        "accesstoken",
        "refreshtoken",
        "apikey",
        "secret",
    ),
    keywords_zh=("密码", "口令", "密保", "令牌", "密钥"),
    value_check=check,
    value_label="为口令散列格式",
    loose_check=loose,
    loose_label="有取值",
    value_alone=0.9,
    hint=r"\$|pbkdf2|sm3",
    name_needs_values=False,
)
