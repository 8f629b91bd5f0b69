"""Seeded synthetic school data for the scan benchmarks (no real person's data).

Every value is made up: names from common surnames and given-name characters, resident IDs with
a valid GB 11643 check digit, bank cards with a valid Luhn digit, e-mail under ``.example``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import polars as pl

SURNAMES = [
    *"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢",
    "欧阳",
    "司马",
    "诸葛",
]
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红梅鑫宇浩然子涵欣怡梓轩一诺思远嘉懿"
)
PROVINCES = [
    ("110105", "北京市朝阳区"),
    ("310115", "上海市浦东新区"),
    ("440305", "广东省深圳市南山区"),
    ("330106", "浙江省杭州市西湖区"),
    ("510107", "四川省成都市武侯区"),
    ("420111", "湖北省武汉市洪山区"),
    ("320102", "江苏省南京市玄武区"),
    ("610113", "陕西省西安市雁塔区"),
]
STREETS = ["建国路", "人民路", "解放大道", "中山路", "学府街", "科技园路", "文化路", "长江路"]
CLASSES = ["高一(3)班", "初二(1)班", "三年级2班", "高三(10)班", "七年级(5)班", "五年级1班"]
MOBILE_PREFIXES = ["138", "139", "150", "151", "158", "186", "187", "135", "177", "199"]
CARD_BINS = ["622202", "621700", "622848", "623668", "622588"]
NOTE_TEMPLATES = [
    "家长{guardian}来电，住{address}，联系电话{phone}，学生{name}今日请假。",
    "{name}同学本周表现良好，已通知其母亲{guardian}。",
    "请{guardian}于周五前到校，地址：{address}。",
    "学生{name}的紧急联系人{guardian}，电话{phone}。",
    "班会记录：讨论期中考试安排，无特殊情况。",
    "{name}因感冒缺课两天，家长电话 {phone}，家住{address}。",
]
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

COLUMNS = [
    "name",
    "id_card",
    "mobile",
    "email",
    "address",
    "bank_card",
    "birth_date",
    "note",
    "score",
    "class_name",
    "seq",
]
STRUCTURED = [column for column in COLUMNS if column != "note"]


def id_check_digit(body17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(body17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def luhn_complete(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return partial + str((10 - total % 10) % 10)


class SchoolData:
    """A seeded generator of rows; the same seed gives the same data."""

    def __init__(self, seed: int = 20261127) -> None:
        self.random = random.Random(seed)
        # what was written into each note: (row, kind, text) with kind name/address/phone
        self.note_truth: list[tuple[int, str, str]] = []

    def name(self) -> str:
        choice = self.random.choice
        return choice(SURNAMES) + "".join(choice(GIVEN) for _ in range(self.random.randint(1, 2)))

    def birth(self) -> dt.date:
        return dt.date(2008, 1, 1) + dt.timedelta(days=self.random.randrange(0, 365 * 12))

    def resident_id(self, region: str, birth: dt.date) -> str:
        body = f"{region}{birth:%Y%m%d}{self.random.randrange(0, 1000):03d}"
        return body + id_check_digit(body)

    def mobile(self) -> str:
        return self.random.choice(MOBILE_PREFIXES) + f"{self.random.randrange(0, 10**8):08d}"

    def address(self, district: str) -> str:
        street = self.random.choice(STREETS)
        return f"{district}{street}{self.random.randint(1, 999)}号{self.random.randint(1, 30)}栋"

    def card(self) -> str:
        partial = self.random.choice(CARD_BINS) + f"{self.random.randrange(0, 10**12):012d}"
        return luhn_complete(partial)

    def note(self, seq: int, name: str) -> str:
        region = self.random.choice(PROVINCES)[1]
        template = self.random.choice(NOTE_TEMPLATES)
        values = {
            "name": name,
            "guardian": self.name(),
            "address": self.address(region),
            "phone": self.mobile(),
        }
        kinds = {"name": "name", "guardian": "name", "address": "address", "phone": "phone"}
        for key, kind in kinds.items():
            if "{" + key + "}" in template:
                self.note_truth.append((seq, kind, values[key]))
        return template.format(**values)

    def row(self, seq: int) -> tuple[str, ...]:
        region, district = self.random.choice(PROVINCES)
        birth = self.birth()
        name = self.name()
        return (
            name,
            self.resident_id(region, birth),
            self.mobile(),
            f"s{seq}@school{self.random.randint(1, 50)}.example",
            self.address(district),
            self.card(),
            birth.isoformat(),
            self.note(seq, name),
            f"{self.random.randint(300, 1500) / 10:.1f}",
            self.random.choice(CLASSES),
            str(self.random.randint(1, 10**6)),
        )

    def rows(self, count: int, start: int = 0) -> Iterator[tuple[str, ...]]:
        for seq in range(start, start + count):
            yield self.row(seq)

    def frame(self, count: int) -> pl.DataFrame:
        columns = list(zip(*self.rows(count), strict=True))
        return pl.DataFrame(
            {
                name: pl.Series(name, values, dtype=pl.Utf8)
                for name, values in zip(COLUMNS, columns, strict=True)
            }
        )
