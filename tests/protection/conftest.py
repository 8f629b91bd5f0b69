"""Synthetic school data for the protection tests (no real person's data)."""

from __future__ import annotations

import random

import polars as pl
import pytest

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚"
DISTRICTS = [
    ("110108", "北京市海淀区"),
    ("440305", "广东省深圳市南山区"),
    ("330106", "浙江省杭州市西湖区"),
]


def resident_id(body17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(body17, _WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


def luhn(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return partial + str((10 - total % 10) % 10)


def students(count: int, seed: int = 7) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        code, district = rng.choice(DISTRICTS)
        year = rng.randint(2008, 2016)
        birth = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        guardian = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        mobile = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        rows.append(
            {
                "xm": name,
                "sfzjh": resident_id(f"{code}{birth.replace('-', '')}{rng.randrange(1000):03d}"),
                "sjh": mobile,
                "yx": f"s{index}@school.example",
                "jtzz": f"{district}学府路{rng.randint(1, 99)}号",
                "yhkh": luhn(f"622202{rng.randrange(10**12):012d}"),
                "csrq": birth,
                "bz": f"家长{guardian}来电，电话{mobile}，学生{name}请假。",
                "cj": f"{rng.randint(300, 1000) / 10:.1f}",
                "bj": rng.choice(["初一(1)班", "初二(3)班", "高一(2)班"]),
            }
        )
    return pl.DataFrame(rows)


@pytest.fixture
def student_frame() -> pl.DataFrame:
    return students(300)
