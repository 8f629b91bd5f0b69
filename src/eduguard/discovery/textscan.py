"""Free text (notes, messages, remarks) scanned span by span, vectorised over a whole column.

Each detector's text patterns run once over the column with polars ``str.extract_all``; patterns
with a capture group (context-anchored names, 学号 after "学号：") are narrowed to the group;
check digits are verified on the exploded matches. The same text claimed by two types goes to
the earlier detector (a valid ID number is not also a bank card).

>>> [(span.code, span.text) for span in find_spans("家长王小明来电，手机13812345678，住北京市海淀区中关村大街27号")]
[('PERSON_NAME', '王小明'), ('MOBILE_PHONE', '13812345678'), ('ADDRESS', '北京市海淀区中关村大街27号')]
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from eduguard.discovery.detectors import DETECTORS, TextPattern
from eduguard.discovery.detectors.base import share
from eduguard.discovery.prose import BLANK, find_names

# Types whose text spans are certain by shape or check digit: one occurrence is enough.
CERTAIN_TYPES = frozenset(
    {"CN_RESIDENT_ID", "STUDENT_REG_NO", "MOBILE_PHONE", "EMAIL", "BANK_CARD", "IP_ADDRESS",
     "DEVICE_ID", "LICENSE_PLATE", "ORG_CODE", "LANDLINE_PHONE"}
)  # fmt: skip
# names in prose are found by :mod:`.prose` (word boundaries and context), not by a regex
PROSE_NAME = "PERSON_NAME"
# spans that are context for a name (其母亲陈静), not blanked out before names are looked for
CUE_TYPES = ("FAMILY_RELATION", "EDUCATION_RECORD", "HEALTH")
_NAME_PRIORITY = next(i for i, detector in enumerate(DETECTORS) if detector.code == PROSE_NAME)
_PATTERNS = [
    (priority, detector.code, pattern)
    for priority, detector in enumerate(DETECTORS)
    for pattern in detector.text
    if detector.code != PROSE_NAME
]
_LITERALS = sorted({literal for _, _, pattern in _PATTERNS for literal in pattern.requires})
# sentence punctuation (Chinese and Western) marks prose rather than a value
SENTENCE = r"[，。；！？、,;!?]|\p{Han}\s+\p{Han}|[a-z]{2,} [a-z]{2,} [a-z]{2,}"
TEXT_NAME_TOKENS = frozenset(
    {"bz", "beizhu", "remark", "remarks", "note", "notes", "memo", "comment", "comments",
     "message", "msg", "content", "description", "desc", "detail", "details", "text", "summary",
     "ly", "lynr", "nr", "sm", "qksm", "jl", "thjl", "fdjl", "ms", "pj", "pyjy", "jtqk", "xq", "body"}
)  # fmt: skip
TEXT_KEYWORDS = (
    "备注",
    "说明",
    "内容",
    "留言",
    "记录",
    "描述",
    "情况",
    "详情",
    "评语",
    "意见",
    "摘要",
    "正文",
)


@dataclass(frozen=True)
class Span:
    """One piece of personal information in a text: its type code and where it is."""

    code: str
    start: int
    end: int
    text: str


def _present_literals(frame: pl.DataFrame) -> set[str]:
    """Which required literals occur anywhere in the column: one Aho-Corasick pass."""
    if not _LITERALS:
        return set()
    found = frame.select(pl.col("t").str.extract_many(_LITERALS).explode().unique().drop_nulls())
    return set(found.to_series().to_list())


@dataclass(frozen=True)
class _Scan:
    regex: str
    members: tuple[tuple[int, str, TextPattern], ...]  # (priority, code, pattern)


def _scans(present: set[str]) -> list[_Scan]:
    """The regex passes a column needs: grouped patterns share one pass."""
    scans: list[_Scan] = []
    groups: dict[str, list[tuple[int, str, TextPattern]]] = {}
    for priority, code, pattern in _PATTERNS:
        if pattern.requires and not present.intersection(pattern.requires):
            continue
        if pattern.group is None:
            scans.append(_Scan(pattern.regex, ((priority, code, pattern),)))
        else:
            groups.setdefault(pattern.group, []).append((priority, code, pattern))
    for members in groups.values():
        regex = "|".join(f"(?:{pattern.regex})" for _, _, pattern in members)
        scans.append(_Scan(regex, tuple(members)))
    return scans


def _member_spans(
    found: pl.DataFrame, priority: int, code: str, pattern: TextPattern
) -> pl.DataFrame:
    if pattern.has_group:
        found = found.with_columns(pl.col("text").str.extract(pattern.regex, 1)).drop_nulls("text")
    if pattern.refine is not None:
        found = found.with_columns(pattern.refine(found["text"]).alias("text")).drop_nulls("text")
    if pattern.validate is not None and found.height:
        found = found.filter(pattern.validate(found["text"]))
    return found.with_columns(code=pl.lit(code), priority=pl.lit(priority, dtype=pl.Int32)).select(
        "row", "code", "text", "priority"
    )


def _classify(
    found: pl.DataFrame, members: tuple[tuple[int, str, TextPattern], ...]
) -> list[pl.DataFrame]:
    """Give each match of a grouped pass to the first member that matches it whole and validates."""
    parts = []
    for priority, code, pattern in members:
        if found.height == 0:
            break
        whole = found.filter(found["text"].str.contains(f"^(?:{pattern.regex})$"))
        if whole.height == 0:
            continue
        taken = _member_spans(whole, priority, code, pattern)
        if taken.height:
            parts.append(taken)
            found = found.join(taken.select("row", "text"), on=["row", "text"], how="anti")
    return parts


def _scan_expr(scan: _Scan) -> pl.Expr:
    pattern = scan.members[0][2]
    if len(scan.members) == 1 and pattern.literals:
        # leftmost-longest dictionary matching, one Aho-Corasick pass
        return pl.col("t").str.extract_many(list(pattern.literals), leftmost=True)
    return pl.col("t").str.extract_all(scan.regex)


def extract_spans(texts: pl.Series) -> pl.DataFrame:
    """All spans of a column: a frame of ``row`` (index in ``texts``), ``code``, ``text``, ``priority``."""
    frame = pl.DataFrame({"t": texts.cast(pl.String)}).with_row_index("row")
    scans = _scans(_present_literals(frame))
    # one select: polars runs the passes in parallel
    matches = frame.select(
        "row", *[_scan_expr(scan).alias(f"p{index}") for index, scan in enumerate(scans)]
    )
    parts: list[pl.DataFrame] = []
    for index, scan in enumerate(scans):
        found = (
            matches.select("row", pl.col(f"p{index}").alias("text"))
            .explode("text")
            .drop_nulls("text")
        )
        if found.height == 0:
            continue
        if len(scan.members) == 1:
            parts.append(_member_spans(found, *scan.members[0]))
        else:
            parts.extend(_classify(found, scan.members))
    names = _names(frame, parts)
    if names.height:
        parts.append(names)
    if not parts:
        return names
    spans = pl.concat(parts).sort("row", "priority", maintain_order=True)
    # the same characters claimed twice: the earlier (higher-priority) detector keeps them
    return spans.unique(subset=["row", "text"], keep="first", maintain_order=True)


def _names(frame: pl.DataFrame, parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Person names of each row that has Chinese text, the other spans blanked out first."""
    taken: dict[int, list[str]] = {}
    if parts:
        spans = pl.concat(parts).filter(pl.col("code").is_in(CUE_TYPES).not_())
        for row, text in spans.select("row", "text").iter_rows():
            taken.setdefault(row, []).append(text)
    candidates = frame.filter(pl.col("t").str.contains(r"\p{Han}"))
    rows: list[int] = []
    names: list[str] = []
    by_text: dict[str, list[tuple[int, int]]] = {}  # once per distinct text of the batch
    for row, text in candidates.select("row", "t").iter_rows():
        blanked = text
        others = taken.get(row)
        if others:
            for other in sorted(others, key=len, reverse=True):
                blanked = blanked.replace(other, BLANK * len(other))
        located = by_text.get(blanked)
        if located is None:
            located = by_text[blanked] = find_names(blanked)
        for start, end in located:
            rows.append(row)
            names.append(text[start:end])
    return pl.DataFrame(
        {"row": rows, "code": [PROSE_NAME] * len(rows), "text": names,
         "priority": [_NAME_PRIORITY] * len(rows)},
        schema={"row": pl.UInt32, "code": pl.String, "text": pl.String, "priority": pl.Int32},
    )  # fmt: skip


def find_spans(text: str) -> list[Span]:
    """Every span of personal information in one text, in reading order, without overlaps."""
    spans = extract_spans(pl.Series([text], dtype=pl.String))
    located: list[tuple[int, int, Span]] = []
    cursor: dict[str, int] = {}
    for code, span_text, priority in spans.select("code", "text", "priority").iter_rows():
        start = text.find(span_text, cursor.get(f"{code}\x00{span_text}", 0))
        if start < 0:
            continue
        cursor[f"{code}\x00{span_text}"] = start + len(span_text)
        located.append((priority, start, Span(code, start, start + len(span_text), span_text)))
    chosen: list[Span] = []
    for _, _, span in sorted(located, key=lambda item: (item[0], item[1])):
        if all(span.end <= other.start or span.start >= other.end for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda span: span.start)


def looks_like_text(texts: pl.Series) -> bool:
    """Prose rather than values: long on average and mostly written as sentences."""
    if texts.len() == 0:
        return False
    mean_length = int(texts.str.len_chars().sum()) / texts.len()
    sentence_share = share(texts.str.contains(SENTENCE))
    return mean_length >= 12 and sentence_share >= 0.3


def named_as_text(tokens: tuple[str, ...], name: str, comment: str | None) -> bool:
    """The column's name or comment says notes/remarks/messages."""
    if any(token in TEXT_NAME_TOKENS for token in tokens):
        return True
    return any(
        keyword in name or (comment is not None and keyword in comment) for keyword in TEXT_KEYWORDS
    )
