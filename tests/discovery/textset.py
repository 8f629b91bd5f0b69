"""The labelled free-text set: synthetic counsellors' notes, home visits, 公示, 通报, messages.

Run ``python tests/discovery/textset.py`` to (re)write ``data/text/heldout.jsonl`` and
``data/text/dev.jsonl``. Each line is ``{"id", "kind", "text", "spans": [[start, end, code]]}``
with exact character offsets. Texts are made from templates: ``{SLOT}`` is filled by a
generator (names, addresses, numbers …) and labelled with the slot's code, ``[text|CODE]`` is
fixed text labelled with ``CODE``, everything else is unlabelled. The HELD-OUT templates were
written first and are never tuned on (see data/text/README.md); DEV and HELD-OUT share the
generators but not one template, and use different seeds.

Names are random surname + given-name characters from the lists below, never real persons;
places are real division names (GB/T 2260) with invented roads and estates.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

from stdnum.iso7064 import mod_11_2

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from eduguard.discovery.detectors.base import read_table

HERE = Path(__file__).resolve().parent / "data" / "text"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "慕容")
GIVEN = (
    "晓雨静伟芳娜敏强磊军洋勇艳杰娟涛明超秀霞平刚英华玉萍红丽文辉鹏宇浩然子轩梓涵欣怡思彤佳琪一诺雅婷俊博"
    "嘉睿泽宸瑶若萱梦琳凯鑫颖婧昊天皓铭志国建春燕丹莉兰凤海波斌林亮成学家德永福贵宏晨阳光荣雪梅"
)
ROADS = (
    "文三路", "建设路", "人民路", "解放大道", "中山北路", "学院街", "长江路", "和平路", "新华街", "光明路",
    "滨江大道", "育才路", "湖墅南路", "科苑路", "幸福巷", "桂花弄", "工农路", "青年路",
)  # fmt: skip
ESTATES = (
    "阳光花园", "金色家园", "翠苑", "锦绣小区", "东方公寓", "新城名苑", "绿城桂花园", "和谐家园",
    "碧水湾小区", "丽景苑",
)  # fmt: skip
AREAS = ("010", "021", "020", "022", "0571", "0755", "0731", "027", "0591", "0351")
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁苏浙赣鄂桂甘晋陕吉闽贵粤川"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
RELATIONS = (
    "母亲", "父亲", "妈妈", "爸爸", "爷爷", "奶奶", "外公", "外婆", "姐姐", "哥哥", "舅舅", "姑姑",
    "继父", "继母",
)  # fmt: skip
SUBJECTS = ("语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "政治")
PUNISHMENTS = (
    "警告处分", "严重警告处分", "记过处分", "记大过处分", "留校察看处分", "通报批评", "留校察看",
    "记过",
)  # fmt: skip
ILLNESSES = ("哮喘", "抑郁症", "癫痫", "过敏性鼻炎", "先天性心脏病", "糖尿病")

_DIVISIONS = read_table("divisions.tsv")
_PROVINCES = {row[0][:2]: row[1] for row in _DIVISIONS if row[2] == "province"}
_PREFECTURES = {row[0][:4]: row[1] for row in _DIVISIONS if row[2] == "prefecture"}
_COUNTIES = [
    (row[0], row[1])
    for row in _DIVISIONS
    if row[2] == "county" and row[0][:2] not in ("81", "82", "71") and row[1].endswith("区")
]


class Fill:
    """Slot values, reproducible from one seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, items: str | tuple[str, ...]) -> str:
        return self.rng.choice(items)

    def name(self) -> str:
        surname = self.pick(COMPOUND) if self.rng.random() < 0.04 else self.pick(SURNAMES)
        size = 1 if self.rng.random() < 0.3 else 2
        return surname + "".join(self.pick(GIVEN) for _ in range(size))

    def address(self) -> str:
        code, county = self.rng.choice(_COUNTIES)
        province = _PROVINCES.get(code[:2], "")
        prefecture = _PREFECTURES.get(code[:4], "")
        if prefecture == province:
            prefecture = ""
        start = self.rng.random()
        head = [province, prefecture, county] if start < 0.4 else [prefecture or province, county]
        if start > 0.85:
            head = [county]
        parts = [*head, self.pick(ROADS)]
        form = self.rng.random()
        if form < 0.25:
            parts.append(f"{self.rng.randrange(1, 400)}号")
        elif form < 0.5:
            parts += [
                f"{self.rng.randrange(1, 400)}号",
                self.pick(ESTATES),
                f"{self.rng.randrange(1, 30)}{self.pick(('栋', '幢', '号楼'))}",
                f"{self.rng.randrange(1, 6)}单元",
                f"{self.rng.randrange(1, 30)}0{self.rng.randrange(1, 5)}室",
            ]
        elif form < 0.75:
            parts += [
                self.pick(ESTATES),
                f"{self.rng.randrange(1, 30)}栋",
                f"{self.rng.randrange(1, 6)}单元",
                f"{self.rng.randrange(1, 30)}-{self.rng.randrange(1, 5)}",
            ]
        else:
            parts += [
                f"{self.rng.randrange(1, 400)}号院",
                f"{self.rng.randrange(1, 20)}号楼",
                f"{self.rng.randrange(1, 30)}0{self.rng.randrange(1, 5)}",
            ]
        return "".join(parts)

    def landline(self) -> str:
        area = self.pick(AREAS)
        digits = 8 if len(area) == 3 else self.pick((7, 8))  # type: ignore[arg-type]
        local = (
            f"{self.rng.randrange(2, 10)}{self.rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
        )
        form = self.rng.random()
        if form < 0.25:
            number = f"{area}-{local}"
        elif form < 0.45:
            number = f"（{area}）{local}"
        elif form < 0.6:
            number = f"({area}){local[:4]}-{local[4:]}"
        elif form < 0.75:
            number = f"（{area}）{local[:4]}-{local[4:]}"
        else:
            number = f"{area}-{local}"
        if self.rng.random() < 0.35:
            number += self.pick(("转", "-", "转")) + str(self.rng.randrange(100, 9999))
        return number

    def plate(self) -> str:
        head = self.pick(PLATE_PROVINCES) + self.pick(PLATE_LETTERS)
        if self.rng.random() < 0.2:
            tail = self.pick("DF") + "".join(self.pick("0123456789") for _ in range(5))
        else:
            tail = "".join(self.pick("0123456789" * 3 + PLATE_LETTERS) for _ in range(5))
        return head + self.pick(("·", " ", "", "·")) + tail

    def mobile(self) -> str:
        return f"1{self.pick('3456789')}{self.rng.randrange(10**9):09d}"

    def score(self) -> str:
        form = self.rng.random()
        if form < 0.5:
            return f"{self.pick(SUBJECTS)}{self.rng.randrange(40, 101)}分"
        if form < 0.75:
            return f"{self.pick(SUBJECTS)}成绩{self.rng.randrange(40, 101)}分"
        return f"总分{self.rng.randrange(300, 700)}分"

    def rank(self) -> str:
        place = self.rng.randrange(1, 60)
        return self.pick(("年级排名", "班级排名", "年级", "班级")) + f"第{place}名"

    def resident_id(self) -> str:
        code = self.rng.choice(_COUNTIES)[0]
        body = f"{code}20{self.rng.randrange(8, 18):02d}{self.rng.randrange(1, 13):02d}"
        body += f"{self.rng.randrange(1, 29):02d}{self.rng.randrange(1000):03d}"
        return body + mod_11_2.calc_check_digit(body)


SLOTS = {
    "NAME": ("PERSON_NAME", Fill.name),
    "ADDR": ("ADDRESS", Fill.address),
    "TEL": ("LANDLINE_PHONE", Fill.landline),
    "PLATE": ("LICENSE_PLATE", Fill.plate),
    "MOBILE": ("MOBILE_PHONE", Fill.mobile),
    "REL": ("FAMILY_RELATION", lambda fill: fill.pick(RELATIONS)),
    "SCORE": ("EDUCATION_RECORD", Fill.score),
    "RANK": ("EDUCATION_RECORD", Fill.rank),
    "PUNISH": ("EDUCATION_RECORD", lambda fill: fill.pick(PUNISHMENTS)),
    "ID": ("CN_RESIDENT_ID", Fill.resident_id),
    "ILL": ("HEALTH", lambda fill: fill.pick(ILLNESSES)),
}
_TOKEN = re.compile(r"\{([A-Z]+)\}|\[([^|\]]+)\|([A-Z_]+)\]")


def render(template: str, fill: Fill) -> tuple[str, list[list[object]]]:
    """One text and its spans from a template."""
    text, spans, cursor = "", [], 0
    for match in _TOKEN.finditer(template):
        text += template[cursor : match.start()]
        if match.group(1):
            code, make = SLOTS[match.group(1)]
            value = make(fill)  # type: ignore[operator]
        else:
            value, code = match.group(2), match.group(3)
        spans.append([len(text), len(text) + len(value), code])
        text += value
        cursor = match.end()
    return text + template[cursor:], spans


def write(path: Path, templates: list[tuple[str, str]], seed: int, per_template: int) -> int:
    fill = Fill(seed)
    lines = []
    for number, (kind, template) in enumerate(templates):
        for copy in range(per_template):
            text, spans = render(template, fill)
            item = {"id": f"{path.stem}-{number:03d}-{copy}", "kind": kind, "text": text}
            lines.append(json.dumps({**item, "spans": spans}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def main() -> None:
    from textset_templates import DEV, HELDOUT  # type: ignore[import-not-found]

    print("held-out:", write(HERE / "heldout.jsonl", HELDOUT, seed=20261201, per_template=6))
    print("dev:", write(HERE / "dev.jsonl", DEV, seed=7, per_template=10))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
