"""EMAIL — 电子邮箱.

Spec: ``local@domain.tld`` (RFC 5322 simplified, as any86/any-rule): a local part of letters,
digits and ``._%+-``, a dotted domain and a 2+ letter top-level label.

>>> check(Values(pl.Series(["zhang.san@school.example", "li@edu.example.cn", "not-an-email", "a@b"]))).to_list()
[True, True, False, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, TextPattern, declare, fullmatch

SHAPE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"


check = declare(Rule(fullmatch(SHAPE)))


DETECTOR = Detector(
    code="EMAIL",
    label="电子邮箱",
    name_tokens={
        "dzyx": "电子邮箱",
        "dzxx": "电子信箱",
        "yx": "邮箱",
        "email": "电子邮箱",
        "mail": "邮件",
        "emailaddress": "电子邮箱",
        "youxiang": "邮箱",
    },
    name_phrases=("email", "mailbox", "mailaddr"),
    keywords_zh=("邮箱", "电子信箱", "电子邮件", "邮件地址"),
    value_check=check,
    value_label="为电子邮箱地址",
    value_alone=0.8,
    hint=r"@",
    text=(TextPattern(SHAPE, requires=("@",), group="identifiers"),),
)
