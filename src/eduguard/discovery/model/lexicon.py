"""Knowledge as data: the education data standards' elements and vendors' words (``data/lexicon.csv``).

Each entry says what a term in a column's name, comment or table means: a JY/T 1001/1006 data
element's pinyin code (``XMPY`` 姓名拼音 → PERSON_NAME, ``HYZKM`` 婚姻状况码 → FAMILY_RELATION),
an English or Chinese word of a vendor schema (一卡通 余额, 体检 视力/肺活量, 心理 预警等级, 资助
贫困等级), or a table domain (a 体检 table, a 一卡通 flow). An entry with no types marks a column
as not personal (``SFZJLXM`` 身份证件类型码, 价格). The column model reads the hits as features
and the scanner gives them as evidence (:mod:`.decide`); the file is written from the standards
and vendor vocabularies, not from the corpus.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Literal

from eduguard.discovery.detectors.base import normalise_name

LEXICON_FILE = "lexicon.csv"
Match = Literal["code", "name", "zh", "table", "exam"]
_MATCHES: tuple[Match, ...] = ("code", "name", "zh", "table", "exam")
# a column of an examination table that is not a measurement: keys, people, times, codes, notes
_NOT_MEASURED = frozenset(
    [
        "id",
        "uid",
        "pk",
        "no",
        "code",
        "dm",
        "bh",
        "status",
        "state",
        "zt",
        "type",
        "lx",
        "name",
        "mc",
        "school",
        "class",
        "bj",
        "nj",
        "xq",
        "grade",
        "remark",
        "remarks",
        "bz",
        "memo",
        "note",
        "time",
        "date",
        "at",
        "rq",
        "sj",
        "created",
        "updated",
        "create",
        "update",
        "record",
        "doctor",
        "ys",
        "operator",
        "czr",
        "djr",
        "user",
        "student",
        "teacher",
        "year",
        "term",
    ]
)
# the same in Chinese, read in the column's name and its comment: who was examined, where, when —
# a 体检 table's 序号, 姓名, 身份证号, 班级 or 联系电话 are not examination results
_NOT_MEASURED_ZH = (
    "序号", "编号", "主键", "外键", "日期", "时间", "备注", "姓名", "学校", "班级", "年级",
    "学号", "工号", "性别", "身份证", "证件", "电话", "手机", "地址", "民族", "出生", "学年",
    "学期", "医生", "操作人", "登记人", "录入",
)  # fmt: skip
_TIME_TYPES = frozenset({"date", "datetime", "timestamp", "time", "timestamptz", "smalldatetime"})


@dataclass(frozen=True)
class Entry:
    term: str
    match: Match
    types: tuple[str, ...]  # () = the term marks a column as not personal
    meaning: str
    source: str

    @property
    def evidence(self) -> str:
        """E.g. ``数据元 XMPY（姓名拼音，JY/T 1006）``."""
        what = {
            "code": "数据元",
            "name": "列名词",
            "zh": "用语",
            "table": "表的领域",
            "exam": "体检类表",
        }[self.match]
        term = self.term.upper() if self.match == "code" and self.term.isascii() else self.term
        return f"{what} {term}（{self.meaning}，{self.source}）"


def parse(text: str, known: frozenset[str] | None = None) -> tuple[Entry, ...]:
    """The entries of a lexicon file; ``known``: the type codes allowed (all when None)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    entries = []
    for number, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=2):
        match = row.get("match") or ""
        types = tuple(code for code in (row.get("pi_types") or "").split(";") if code)
        unknown = [code for code in types if known is not None and code not in known]
        term = (row.get("term") or "").strip()
        if match not in _MATCHES or not term or unknown:
            from eduguard.discovery.model.infer import ModelError

            raise ModelError(
                "lexicon_invalid",
                f"词表 {LEXICON_FILE} 第 {number} 条无效：{row}",
                f"{LEXICON_FILE}: invalid entry {number}: {row}",
            )
        entries.append(
            Entry(
                term=term.lower() if term.isascii() else term,
                match=match,
                types=types,
                meaning=row.get("meaning") or "",
                source=row.get("source") or "",
            )
        )
    return tuple(entries)


@cache
def entries() -> tuple[Entry, ...]:
    from eduguard.discovery.detectors import BY_CODE

    path = resources.files("eduguard.discovery").joinpath("data", LEXICON_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        from eduguard.discovery.model.infer import ModelError

        raise ModelError(
            "lexicon_missing",
            f"词表文件不存在或不可读：{path}；请重新安装 eduguard",
            f"lexicon file unreadable: {path}: {error}",
        ) from error
    return parse(text, frozenset(BY_CODE))


@cache
def _index() -> dict[Match, list[Entry]]:
    index: dict[Match, list[Entry]] = {match: [] for match in _MATCHES}
    for entry in entries():
        index[entry.match].append(entry)
    return index


@lru_cache(maxsize=1 << 16)
def column_hits(name: str, comment: str) -> tuple[Entry, ...]:
    """The entries a column's name and comment hit (whole code first, then tokens, words)."""
    tokens, compact = normalise_name(name)
    index = _index()
    found: list[Entry] = []
    for entry in index["code"]:
        if entry.term == compact or entry.term in tokens:
            found.append(entry)
    for entry in index["name"]:
        if entry.term in compact:
            found.append(entry)
    for entry in index["zh"]:
        if entry.term in name or entry.term in comment:
            found.append(entry)
    return tuple(found)


@lru_cache(maxsize=1 << 12)
def table_hits(table: str, table_comment: str, match: Match = "table") -> tuple[Entry, ...]:
    """The domains a table's name and comment say (a 体检 table, a 一卡通 flow …)."""
    tokens, compact = normalise_name(table)
    found = []
    for entry in _index()[match]:
        if entry.term.isascii():
            # pinyin initials (tjxx) only as a whole token: tj is 体检 but also 统计
            hit = entry.term in tokens or (len(entry.term) >= 6 and entry.term in compact)
        else:
            hit = entry.term in table or entry.term in table_comment
        if hit:
            found.append(entry)
    return tuple(found)


def examination(
    name: str, comment: str, sql_type_base: str, table: str, table_comment: str
) -> Entry | None:
    """The entry saying the column is a measurement of a health-examination table, or None.

    A 体检/晨检/视力筛查 table's columns are health data (pi-types.md: medical exam, vision),
    except its keys, people, times, codes and notes.
    """
    hits = table_hits(table, table_comment, "exam")
    if not hits or sql_type_base in _TIME_TYPES:
        return None
    tokens, compact = normalise_name(name)
    if not tokens or set(tokens) & _NOT_MEASURED or compact.endswith("id"):
        return None
    if any(word in name or word in comment for word in _NOT_MEASURED_ZH):
        return None
    return hits[0]
