"""Span-level quality of free-text scanning on a labelled set: exact spans, per type.

A labelled set is JSON lines ``{"text": ..., "spans": [[start, end, code], ...]}`` (offsets in
characters, end exclusive). A found span counts only when its start, end and code all equal a
labelled one; anything else is a false positive, and the labelled span a false negative.

>>> items = [LabelledText("王小明来电", frozenset({(0, 3, "PERSON_NAME")}))]
>>> counts = score(items, lambda text: [(0, 2, "PERSON_NAME")])
>>> counts["PERSON_NAME"].f1
0.0
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

Triple = tuple[int, int, str]
Finder = Callable[[str], Iterable[Triple]]


class LabelledSetError(ValueError):
    """A labelled set that cannot be read: the message says which line and why."""


@dataclass(frozen=True)
class LabelledText:
    text: str
    spans: frozenset[Triple]
    kind: str = ""
    id: str = ""


@dataclass
class Counts:
    """True positives, false positives and false negatives of one type."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else 1.0


@dataclass
class Mistakes:
    """What a finder got wrong in one text."""

    item: LabelledText
    missed: list[Triple] = field(default_factory=list)
    extra: list[Triple] = field(default_factory=list)


def load(path: Path) -> list[LabelledText]:
    """A labelled set from a JSON-lines file; a malformed line is a clear error."""
    items: list[LabelledText] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            text = raw["text"]
            spans = frozenset((int(s), int(e), str(c)) for s, e, c in raw["spans"])
        except (ValueError, KeyError, TypeError) as error:
            raise LabelledSetError(f"{path.name} 第 {number} 行无法读取：{error}") from error
        for start, end, code in spans:
            if not 0 <= start < end <= len(text):
                raise LabelledSetError(
                    f"{path.name} 第 {number} 行的片段 [{start}, {end}) 超出文本范围（{code}）"
                )
        items.append(LabelledText(text, spans, raw.get("kind", ""), raw.get("id", "")))
    return items


def mistakes(items: Iterable[LabelledText], finder: Finder) -> list[Mistakes]:
    """Per text, the labelled spans not found and the found spans not labelled."""
    wrong = []
    for item in items:
        found = set(finder(item.text))
        missed = sorted(item.spans - found)
        extra = sorted(found - item.spans)
        if missed or extra:
            wrong.append(Mistakes(item, missed, extra))
    return wrong


def score(items: Iterable[LabelledText], finder: Finder) -> dict[str, Counts]:
    """Exact-span counts per type code (types labelled or found)."""
    counts: dict[str, Counts] = {}
    for item in items:
        found = set(finder(item.text))
        for _, _, code in found | item.spans:
            counts.setdefault(code, Counts())
        for _, _, code in found & item.spans:
            counts[code].tp += 1
        for _, _, code in found - item.spans:
            counts[code].fp += 1
        for _, _, code in item.spans - found:
            counts[code].fn += 1
    return dict(sorted(counts.items()))


def total(counts: dict[str, Counts]) -> Counts:
    """Micro-averaged counts over all types."""
    return Counts(
        sum(c.tp for c in counts.values()),
        sum(c.fp for c in counts.values()),
        sum(c.fn for c in counts.values()),
    )
