"""Citations a provincial office can check: each rule's clauses against the texts shipped with
the rules (``data/texts.toml``) — the edition in force, and the articles, paragraphs and items
each text really has.

A citation names one text and one place in it::

    教科信函〔2021〕20号 重点任务第9项
    个人信息保护法 第五十二条第一款、第二款
    个人信息保护法 第四十七条第一款第（一）项、第（二）项
    网络安全法 第二十三条第（三）项
    GB/T 22239-2019 8.1.4.2 d)
    国家网信办个人信息保护负责人信息报送公告（2025）

A citation of a superseded edition ("网络安全法 第二十一条（2016年文本）"), of an article the registry does
not list (a renumbered one says where it went), of a paragraph or item the article does not have,
or of the notice's items as 条 is refused with the reason.

>>> registry = default_registry()
>>> registry.check("网络安全法 第二十三条第（三）项").subject[:10]
'网络安全等级保护制度'
>>> registry.problem("网络安全法 第二十一条")
'网络安全法 2025 年修正后，原第二十一条为第二十三条'
>>> cn_number("五十二"), cn_number("十"), cn_number("一百三十二")
(52, 10, 132)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_TEXTS = Path(__file__).parent / "data" / "texts.toml"

_DIGITS = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERAL = "[零一二三四五六七八九十百]+"
_ITEM = re.compile(r"^重点任务第(\d{1,2})项$")
_ARTICLE = re.compile(
    rf"^第(?P<article>{_NUMERAL})条"
    rf"(?P<paragraphs>第{_NUMERAL}款(?:、第{_NUMERAL}款)*)?"
    rf"(?P<items>第（{_NUMERAL}）项(?:、第（{_NUMERAL}）项)*)?$"
)


def cn_number(text: str) -> int:
    """A Chinese numeral below 1,000 as written in article numbers (二十三, 一百零二)."""
    if not text or any(ch not in _DIGITS and ch not in "十百" for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGITS[ch]
    return total + current


def _numbers(part: str | None) -> list[int]:
    return [cn_number(n) for n in re.findall(_NUMERAL, part or "")]


@dataclass(frozen=True)
class Article:
    subject: str
    paragraphs: int | None = None
    items: int | None = None


@dataclass(frozen=True)
class Text:
    name: str
    title: str
    edition: str
    unit: str  # item | article | clause | whole
    count: int | None
    articles: dict[int, Article]
    clauses: tuple[str, ...]
    superseded: tuple[str, ...]
    renumbered: dict[int, int]


@dataclass(frozen=True)
class Checked:
    """A citation that holds: the text, where in it, and what that place is about."""

    text: Text
    place: str
    subject: str


class CitationError(ValueError):
    pass


@dataclass(frozen=True)
class Registry:
    texts: dict[str, Text]
    source: str

    def check(self, citation: str) -> Checked:
        """The checked citation; raises :class:`CitationError` with the reason in Chinese."""
        citation = citation.strip()
        for known in self.texts.values():
            for tag in known.superseded:  # an edition tag: 网络安全法 第二十一条（2016年文本）
                if citation.startswith(known.name) and tag in citation:
                    raise CitationError(
                        f"“{known.name}{tag}”已被修正（{known.edition}），请按现行条文编号引用"
                    )
        name, _, place = citation.partition(" ")
        text = self.texts.get(name)
        if text is None and citation in self.texts:
            text, place = self.texts[citation], ""
        if text is None:  # a name with a space of its own (GB/T 22239-2019 8.1.5)
            for candidate in self.texts.values():
                if citation.startswith(candidate.name + " ") or citation == candidate.name:
                    text, place = candidate, citation[len(candidate.name) :].strip()
                    break
        if text is None:
            raise CitationError(f"“{citation}”引用的文本未登记（{self.source}）")
        return _check_place(text, place.strip())

    def problem(self, citation: str) -> str | None:
        try:
            self.check(citation)
        except CitationError as error:
            return str(error)
        return None


def _check_place(text: Text, place: str) -> Checked:
    if text.unit == "whole":
        if place:
            raise CitationError(f"“{text.name}”只能整体引用")
        return Checked(text, "", text.title)
    if text.unit == "clause":
        if place not in text.clauses:
            raise CitationError(f"{text.name} 中没有登记的条款“{place}”")
        return Checked(text, place, text.title)
    if text.unit == "item":
        match = _ITEM.match(place)
        if match is None:
            raise CitationError(
                f"{text.name} 的要求是“重点任务第N项”，不是“{place}”（通知只有项，没有条）"
            )
        number = int(match.group(1))
        subject = text.articles.get(number)
        if subject is None or (text.count is not None and number > text.count):
            raise CitationError(f"{text.name} 没有重点任务第{number}项")
        return Checked(text, place, subject.subject)
    match = _ARTICLE.match(place)
    if match is None:
        raise CitationError(f"“{text.name} {place}”不是“第X条[第Y款][第（Z）项]”的形式")
    number = cn_number(match.group("article"))
    article = text.articles.get(number)
    if article is None:
        moved = text.renumbered.get(number)
        if moved is not None:
            raise CitationError(f"{text.name} 2025 年修正后，原第{_cn(number)}条为第{_cn(moved)}条")
        if text.count is not None and number > text.count:
            raise CitationError(f"{text.name}（{text.edition}）只有 {text.count} 条")
        raise CitationError(f"{text.name} 第{_cn(number)}条未登记其内容（{DEFAULT_TEXTS.name}）")
    for paragraph in _numbers(match.group("paragraphs")):
        if paragraph > (article.paragraphs or 1):
            raise CitationError(f"{text.name} 第{_cn(number)}条没有第{_cn(paragraph)}款")
    for item in _numbers(match.group("items")):
        if item > (article.items or 0):
            raise CitationError(f"{text.name} 第{_cn(number)}条没有第（{_cn(item)}）项")
    return Checked(text, place, article.subject)


def _cn(number: int) -> str:
    digits = "零一二三四五六七八九"
    hundreds, rest = divmod(number, 100)
    tens, ones = divmod(rest, 10)
    out = f"{digits[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else digits[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (digits[ones] if ones else "")


def _text(name: str, raw: dict[str, Any]) -> Text:
    unit = raw.get("unit")
    if unit not in ("item", "article", "clause", "whole"):
        raise CitationError(f"texts.{name}.unit 须为 item、article、clause 或 whole")
    entries: dict[int, Article] = {}
    table = raw.get("items" if unit == "item" else "articles", {})
    for key, value in table.items():
        if isinstance(value, str):
            entries[int(key)] = Article(value)
        else:
            entries[int(key)] = Article(
                str(value["subject"]), value.get("paragraphs"), value.get("items")
            )
    return Text(
        name=name,
        title=str(raw.get("title", name)),
        edition=str(raw.get("edition", "")),
        unit=unit,
        count=raw.get("count"),
        articles=entries,
        clauses=tuple(raw.get("clauses", ())),
        superseded=tuple(raw.get("superseded", ())),
        renumbered={int(k): int(v) for k, v in raw.get("renumbered", {}).items()},
    )


def load_registry(path: Path = DEFAULT_TEXTS) -> Registry:
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    texts = {name: _text(name, raw) for name, raw in document.get("texts", {}).items()}
    return Registry(texts, path.name)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    return load_registry(DEFAULT_TEXTS)


# ---------------------------------------------------------------- display

NOTICE = "教科信函〔2021〕20号"
_SHORT_NAMES = {
    NOTICE: "通知",
    "个人信息保护法": "个保法",
    "数据安全法": "数安法",
    "网络安全法": "网安法",
    "网络数据安全管理条例": "网数条例",
    "未成年人网络保护条例": "未网条例",
    "未成年人保护法": "未保法",
    "居民身份证法": "身份证法",
    "国家网信办个人信息保护负责人信息报送公告（2025）": "网信办公告（2025）",
}


@dataclass(frozen=True)
class Shown:
    """A citation as a page shows it: a short label, and the full text for hover/expand."""

    citation: str
    short: str
    full: str
    item: int | None = None  # the notice's 重点任务 number, for the notice's own citations


def shown(citation: str, registry: Registry | None = None) -> Shown:
    """``个人信息保护法 第五十一条第（三）项`` → short ``个保法 第五十一条第（三）项`` and, in full,
    the text's title, edition and what that article is about. A citation the registry refuses
    is shown as written.

    >>> s = shown("教科信函〔2021〕20号 重点任务第5项")
    >>> s.short, s.item, s.full.endswith("重点任务第5项：规范数据存储传输工作")
    ('通知 重点任务第5项', 5, True)
    >>> shown("GB/T 22239-2019 8.1.5").short
    'GB/T 22239 8.1.5'
    """
    registry = registry or default_registry()
    try:
        checked = registry.check(citation)
    except CitationError:
        return Shown(citation, citation, citation)
    text, place = checked.text, checked.place
    name = _SHORT_NAMES.get(text.name) or re.sub(r"^(GB/T \d+)-\d{4}$", r"\1", text.name)
    short = f"{name} {place}".strip()
    where = f" {place}" if place else ""
    subject = f"：{checked.subject}" if checked.subject != text.title else ""
    named = "" if text.name in text.title else text.name
    full = f"{named}《{text.title}》（{text.edition}）{where}{subject}"
    item = int(m.group(1)) if text.unit == "item" and (m := _ITEM.match(place)) else None
    return Shown(citation, short, full, item)


def notice_item(citations: list[str]) -> int | None:
    """The first notice item (重点任务第N项) among ``citations``, or None."""
    for citation in citations:
        if citation.startswith(NOTICE):
            found = shown(citation).item
            if found is not None:
                return found
    return None


def notice_item_title(item: int) -> str:
    """``5`` → ``重点任务第5项 规范数据存储传输工作``."""
    text = default_registry().texts.get(NOTICE)
    subject = text.articles.get(item) if text is not None else None
    return f"重点任务第{item}项" + (f" {subject.subject}" if subject else "")
