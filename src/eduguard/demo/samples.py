"""The demo's sample file: a GBK-encoded CSV of synthetic students (names, resident ID
numbers with a valid GB 11643 check digit, mobile numbers), to upload as a data source.
Every value is made up; the same seed gives the same file."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

SAMPLE_NAME = "示例学生名单（GBK）.csv"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "子涵欣怡梓轩浩宇雨桐一诺思远佳琪俊杰梦瑶"


def _resident_id(body17: str) -> str:
    total = sum(int(d) * w for d, w in zip(body17, _WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


def students_csv(count: int = 200, seed: int = 2021) -> bytes:
    """学号, 姓名, 性别, 出生日期, 身份证号, 家长手机号, 班级 — GBK, CRLF (as Excel saves it)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, reproducible on purpose
    lines = ["学号,姓名,性别,出生日期,身份证号,家长手机号,班级"]
    for n in range(count):
        year, month, day = rng.randint(2010, 2013), rng.randint(1, 12), rng.randint(1, 28)
        sex = rng.choice("男女")
        order = rng.randint(10, 99) * 10 + (rng.choice((1, 3, 5, 7, 9)) if sex == "男" else 2)
        resident = _resident_id(f"110105{year}{month:02d}{day:02d}{order:03d}")
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
        phone = f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
        grade = f"初{rng.randint(1, 3)}（{rng.randint(1, 8)}）班"
        lines.append(
            f"2021{n:04d},{name},{sex},{year}-{month:02d}-{day:02d},{resident},{phone},{grade}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def fictitious(location: str) -> bool:
    """A database address the demo made up: its host lies under ``.example``, the top-level
    domain reserved so that it names no real server (RFC 2606). Scanning it can only fail."""
    if "://" not in location:
        return False
    try:
        host = urlsplit(location).hostname or ""
    except ValueError:
        return False
    return host == "example" or host.endswith(".example")
