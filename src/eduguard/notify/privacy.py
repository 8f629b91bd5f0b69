"""Least personal information: a message names the object (事件 #12, 申请 #40) and links to
the console, where access is checked; it never carries an identifier of a person.

:func:`check_text` refuses subjects and bodies that contain what looks like a resident ID
number, a mobile phone number, a bank card number or an e-mail address.
"""

from __future__ import annotations

import re

from eduguard.errors import ValidationFailed

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("居民身份证号", re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])")),
    ("手机号", re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")),
    ("银行卡号", re.compile(r"(?<!\d)\d{16,19}(?!\d)")),
    ("电子邮箱", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
)


def personal_values(text: str) -> list[str]:
    """The kinds of personal identifiers found in ``text`` (names, never the values)."""
    return [name for name, pattern in PATTERNS if pattern.search(text)]


def check_text(*texts: str) -> None:
    found = sorted({name for text in texts for name in personal_values(text)})
    if found:
        raise ValidationFailed(
            "message_personal_value",
            f"消息中不得包含个人信息（发现疑似{'、'.join(found)}）；"
            "请只写对象编号并附控制台链接，收件人登录后查看详情",
            "a message must not carry personal identifiers; name the object and link to it",
            details={"found": found},
        )
