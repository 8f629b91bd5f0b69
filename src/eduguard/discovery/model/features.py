"""What the column model sees of a column: named features, the same at build and at scan time.

A column becomes a bag of named features (``dict[str, float]``): its normalised name (camelCase
and snake_case split, whole name, tokens, character n-grams, so pinyin initials such as ``xm``,
``csrq``, ``sfzjh`` and English words are both seen), its comment's character n-grams, its SQL
type and length, its table's name and comment, and the table's other columns (a 金额 in a table
keyed by 学号 is a person's money). Feature names are hashed into a fixed number of buckets
(CRC-32, deterministic across runs and machines); the names themselves are kept for evidence.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

from eduguard.discovery.detectors import DETECTORS
from eduguard.discovery.detectors.base import match_name, normalise_name
from eduguard.discovery.model import lexicon

HASH_BITS = 18
_TYPE = re.compile(r"^\s*([a-zA-Z ]+?)\s*(?:\(\s*(\d+)(?:\s*,\s*(\d+))?\s*\))?(?:\s|$)")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_COMMENT_CHARS = 40  # a comment's first characters carry its meaning; the rest are examples
_SIBLINGS = 60  # the table's other columns taken into account
_INTEGER = frozenset(
    [
        "int",
        "integer",
        "bigint",
        "smallint",
        "tinyint",
        "mediumint",
        "serial",
        "bigserial",
        "smallserial",
        "int2",
        "int4",
        "int8",
        "long",
    ]
)
# a key's comment: 主键/外键, or "id"/"ID" as a word (学生ID, 用户id) — not a 学号/工号
_KEY_COMMENT = re.compile(r"主键|外键|(?<![a-zA-Z])(?:id|ID|Id)(?![a-zA-Z])|自增|编号$")
_NUMBER_COMMENT = re.compile(r"学号|工号|号码|证号|卡号|考号|学籍|身份证")
# table name tokens that say its rows are persons
_PERSON_TABLE = frozenset(
    [
        "student",
        "students",
        "stu",
        "xs",
        "teacher",
        "teachers",
        "js",
        "jzg",
        "user",
        "users",
        "member",
        "members",
        "parent",
        "parents",
        "jz",
        "employee",
        "employees",
        "emp",
        "staff",
        "reader",
        "readers",
        "person",
        "people",
        "ry",
        "xsxx",
        "jbxx",
        "child",
        "children",
        "yh",
        "customer",
        "account",
        "renshi",
        "xueyuan",
        "xueshen",
        "xuesheng",
        "jiaoshi",
        "jzgxx",
    ]
)


@dataclass(frozen=True)
class ColumnInput:
    """A column as the scanner knows it before reading values."""

    name: str
    comment: str = ""
    sql_type: str = ""
    table: str = ""
    table_comment: str = ""
    # the table's other columns: (name, comment)
    siblings: tuple[tuple[str, str], ...] = ()
    position: int = -1  # 0: the table's first column; -1: unknown


def sql_type_parts(sql_type: str) -> tuple[str, int | None]:
    """Base type (lowercase, one word) and declared length of a SQL type.

    >>> sql_type_parts("varchar(32) NOT NULL")
    ('varchar', 32)
    >>> sql_type_parts("INT(11) UNSIGNED")
    ('int', 11)
    >>> sql_type_parts("")
    ('', None)
    """
    match = _TYPE.match(sql_type or "")
    if not match:
        return "", None
    base = match.group(1).strip().lower().split()[0] if match.group(1).strip() else ""
    return base, int(match.group(2)) if match.group(2) else None


def _length_bucket(length: int | None) -> str:
    if length is None:
        return "none"
    for bound in (1, 2, 4, 8, 12, 16, 20, 32, 50, 64, 100, 255, 1000):
        if length <= bound:
            return str(bound)
    return "long"


def _grams(text: str, low: int, high: int) -> list[str]:
    return [text[i : i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)]


def comment_core(comment: str) -> str:
    """A comment without whitespace, cut to its first characters."""
    return re.sub(r"\s+", "", comment or "")[:_COMMENT_CHARS]


@lru_cache(maxsize=1 << 16)
def rule_hits(name: str, comment: str) -> tuple[str, ...]:
    """The types the detectors' name/comment rules give a column (knowledge, not training)."""
    return tuple(d.code for d in DETECTORS if match_name(d, name, comment or None) is not None)


def is_surrogate_key(column: ColumnInput) -> bool:
    """An id column that is a key, not a school-issued number: ``student_id int``, ``user_id``
    “用户id”, ``teacher_id`` char(32) “外键,导师id”. Its comment may not say 学号/工号."""
    tokens, compact = normalise_name(column.name)
    if not tokens or not (tokens[-1] == "id" or (compact.endswith("id") and len(compact) <= 12)):
        return False
    comment = column.comment or ""
    if _NUMBER_COMMENT.search(comment):
        return False
    base, _ = sql_type_parts(column.sql_type)
    return base in _INTEGER or bool(_KEY_COMMENT.search(comment))


def person_table(column: ColumnInput) -> bool:
    """Whether the table's name says its rows are persons (``xs_jbxx``, ``t_student``)."""
    tokens, _ = normalise_name(column.table)
    return bool(set(tokens) & _PERSON_TABLE) or any(
        word in column.table_comment for word in ("学生", "教师", "教职工", "用户", "家长", "人员")
    )


def features(column: ColumnInput, rules: tuple[str, ...] | None = None) -> dict[str, float]:
    """The named features of one column (name → weight); ``rules``: its rule hits if known."""
    found: dict[str, float] = {}

    def add(name: str, weight: float = 1.0) -> None:
        found[name] = found.get(name, 0.0) + weight

    for code in rule_hits(column.name, column.comment) if rules is None else rules:
        add(f"rule={code}", 2.0)
    for code in rule_hits(column.table, column.table_comment):
        add(f"trule={code}")
    others = column.siblings[:_SIBLINGS]
    for name, sibling_comment in others:
        for code in rule_hits(name, sibling_comment):
            add(f"srule={code}", 2.0 / len(others))
    for entry in lexicon.column_hits(column.name, column.comment):
        for code in entry.types or ("none",):
            add(f"lex={code}", 2.0)
    tokens, compact = normalise_name(column.name)
    base, length = sql_type_parts(column.sql_type)
    for entry in lexicon.table_hits(column.table, column.table_comment):
        for code in entry.types:
            add(f"dom={code}")
            add(f"dom×ty={code}:{base}", 0.5)
            if not column.comment:
                add(f"dom×nc={code}", 0.5)
    if (
        lexicon.examination(column.name, column.comment, base, column.table, column.table_comment)
        is not None
    ):
        add("exam", 2.0)
    if is_surrogate_key(column):
        add("key", 2.0)
    persons = person_table(column)
    if persons:
        add("ptab", 0.5)
    add(f"n={compact}")
    for token in tokens:
        add(f"t={token}")
    if tokens:
        add(f"tl={tokens[-1]}")
        if persons:
            add(f"tl×ptab={tokens[-1]}")
    for gram in _grams(f"^{compact}$", 2, 4):
        add(f"g={gram}", 0.5)
    add(f"ty={base}")
    add(f"ty={base}:{_length_bucket(length)}")
    for token in tokens[-1:]:
        add(f"t×ty={token}:{base}")
    if column.position == 0:
        add("first")
    comment = comment_core(column.comment)
    if comment:
        add(f"c={comment[:12]}")
        for gram in _grams(comment, 1, 3):
            add(f"cg={gram}", 0.5)
        if tokens:
            add(f"t×c={tokens[-1]}:{comment[:4]}", 0.5)
    else:
        add("nocomment")
        if not _HAN.search(column.name):
            add(f"n×nc={compact}")
    table_tokens, _ = normalise_name(column.table)
    for token in table_tokens:
        add(f"tt={token}", 0.3)
    for gram in _grams(comment_core(column.table_comment)[:12], 2, 2):
        add(f"tc={gram}", 0.3)
    for name, sibling_comment in column.siblings[:_SIBLINGS]:
        _, sibling = normalise_name(name)
        add(f"sn={sibling}", 0.2)
        core = comment_core(sibling_comment)
        if core:
            add(f"sc={core[:6]}", 0.2)
    return found


def bucket(feature: str) -> int:
    """The hash bucket of a feature name (CRC-32: the same on every machine)."""
    return zlib.crc32(feature.encode("utf-8")) & ((1 << HASH_BITS) - 1)
