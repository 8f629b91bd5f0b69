"""What every detector is made of: name evidence, a vectorised value check, free-text patterns.

A detector never loops over cells in Python: value checks take a :class:`Values` (one column's
non-empty values as a polars ``Utf8`` Series) and return a boolean Series of the same length.
Value checks that can be data are declared as :class:`Rule` s (a pattern, a word list, length
bounds) gathered by :func:`declare`: the local engine evaluates them with polars, the Spark engine
compiles the same declarations to Spark SQL; only a rule's ``refine`` (check digits, scoring) is
code. Free-text patterns are Rust-regex (polars) patterns; the regex crate has no look-around, so
identifier boundaries are written ``(?-u:\\b)`` (an ASCII word boundary, which also holds between a
digit and a Chinese character) and context-anchored patterns put the span in capture group 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, reduce
from importlib import resources
from string import ascii_lowercase, ascii_uppercase
from typing import Literal

import polars as pl

# Column names are normalised to lowercase tokens: camelCase and snake_case both split.
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
ASCII_BOUNDARY = r"(?-u:\b)"
# what identifiers lose in their compact form: separators, then a leading +86/0086
COMPACT_DROPPED = " -\t\u3000\u00a0"
PHONE_PREFIX = r"^(?:\+86|0086|\(\+86\)|（\+86）)"


class Values:
    """One column's non-empty values as strings, with normalised forms computed once on demand."""

    def __init__(self, raw: pl.Series) -> None:
        self.raw = raw
        self._memo: dict[str, pl.Series] = {}

    def memo(self, key: str, compute: Callable[[], pl.Series]) -> pl.Series:
        """A derived Series computed once per column batch (checks reused by birth dates …)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def __len__(self) -> int:
        return self.raw.len()

    @cached_property
    def compact(self) -> pl.Series:
        """Upper-cased, without spaces, dashes and a leading +86/0086: the form identifiers take."""
        # literal removal (Aho-Corasick) is several times faster than a regex replace_all
        stripped = self.raw.str.replace_many(list(COMPACT_DROPPED), [""] * len(COMPACT_DROPPED))
        # each further pass only when some value needs it (most columns have no +86, no a–z)
        if stripped.str.contains(r"^(?:\+|00|\(|（)").any():
            stripped = stripped.str.replace(PHONE_PREFIX, "")
        if stripped.str.contains(r"[a-z]").any():
            # ASCII letters only, value by value (Spark SQL's ``translate`` does the same)
            stripped = stripped.str.replace_many(list(ascii_lowercase), list(ascii_uppercase))
        return stripped

    @cached_property
    def distinct_ratio(self) -> float:
        return self.raw.n_unique() / max(len(self), 1)


ValueCheck = Callable[[Values], pl.Series]
ValueGuard = Callable[[Values], bool]
BirthDates = Callable[[Values], pl.Series]
Form = Literal["raw", "compact"]


def is_in(series: pl.Series, words: pl.Series) -> pl.Series:
    """Membership in a word list (``implode``: one collection, not element-wise)."""
    return series.is_in(words.implode())


@dataclass(frozen=True)
class Rule:
    """One declared condition on a value: every condition given must hold.

    ``pattern`` is searched (anchor it with :func:`fullmatch` for the whole value) and must mean
    the same in Rust's regex crate and ``java.util.regex``; ``words``: the value is one of them;
    ``contains``: the value contains one of them; lengths count characters. All of it is data, so
    the Spark engine compiles it to SQL. ``refine`` is code (check digits, ranges): it narrows
    the values that pass the data part, and runs as polars wherever the rule is evaluated.
    """

    pattern: str | None = None
    form: Form = "raw"
    words: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    refine: ValueCheck | None = None

    @cached_property
    def vocabulary(self) -> pl.Series:
        return pl.Series(sorted(set(self.words)), dtype=pl.String)

    def declared(self, values: Values) -> pl.Series:
        """Whether each value passes the data part of the rule (not ``refine``)."""
        value = values.compact if self.form == "compact" else values.raw
        masks: list[pl.Series] = []
        if self.min_length is not None or self.max_length is not None:
            lengths = value.str.len_chars()
            if self.min_length is not None:
                masks.append(lengths >= self.min_length)
            if self.max_length is not None:
                masks.append(lengths <= self.max_length)
        if self.words:
            masks.append(is_in(value, self.vocabulary))
        if self.pattern is not None:
            masks.append(value.str.contains(self.pattern))
        if self.contains:
            masks.append(value.str.contains_any(list(self.contains)))
        if not masks:
            return pl.Series(value.name, [True] * value.len(), dtype=pl.Boolean)
        return reduce(lambda left, right: left & right, masks)

    def __call__(self, values: Values) -> pl.Series:
        mask = self.declared(values)
        if self.refine is None or not mask.any():
            return mask
        return mask & self.refine(values)


@dataclass(frozen=True)
class Declared:
    """A value check as data: a value passes when it passes one of ``rules``."""

    rules: tuple[Rule, ...]

    def __call__(self, values: Values) -> pl.Series:
        results = [rule(values) for rule in self.rules]
        return reduce(lambda left, right: left | right, results)


def declare(*rules: Rule) -> Declared:
    """A value check made of rules (one of which a passing value passes)."""
    return Declared(tuple(rules))


@dataclass(frozen=True)
class TextPattern:
    """A free-text pattern: matches are spans (group 1 when the pattern has a group)."""

    regex: str
    validate: Callable[[pl.Series], pl.Series] | None = None
    has_group: bool = False
    # narrows each match to the span proper (e.g. drops the words before an address)
    refine: Callable[[pl.Series], pl.Series] | None = None
    # literals one of which every match contains: a column without any skips the regex
    requires: tuple[str, ...] = ()
    # patterns of one group are scanned as one alternation (one pass over the text), then each
    # match is given to the first member that matches it whole and validates
    group: str | None = None
    # a pure dictionary: matched by Aho-Corasick (``str.extract_many``), ``regex`` unused
    literals: tuple[str, ...] = ()


@dataclass(frozen=True)
class Detector:
    """One personal-information type, as data."""

    code: str
    label: str
    # whole normalised names or single tokens (pinyin abbreviations, English) → their meaning
    name_tokens: Mapping[str, str] = field(default_factory=dict)
    # substrings of the compact lowercase name (long enough to be unambiguous)
    name_phrases: tuple[str, ...] = ()
    # Chinese substrings searched in the name and the comment
    keywords_zh: tuple[str, ...] = ()
    # substrings (of the compact name, the name or the comment) that veto the name evidence
    exclude: tuple[str, ...] = ()
    value_check: ValueCheck | None = None
    value_label: str = "符合格式"
    # a looser check used when the name already says the type (codes, unpunctuated numbers …)
    loose_check: ValueCheck | None = None
    loose_label: str = "符合该类型的取值"
    # values written masked (张*三, 138****1234, 4201**********1234): they hold the type but no
    # check can be computed on them; never part of ``value_check`` (a value with mask characters
    # never passes a check digit), counted apart so the report can say "masked"
    masked_check: ValueCheck | None = None
    # fraction of values that must pass for values alone to label the column; None: never alone
    value_alone: float | None = None
    value_guard: ValueGuard | None = None
    # a regex every value passing ``value_check`` contains (on the stripped value): one pass of
    # all hints over a column's sample decides which checks are worth running
    hint: str | None = None
    # when the name says "this type" but values exist and almost none pass, the values win
    name_needs_values: bool = True
    birth_dates: BirthDates | None = None
    # ``birth_dates`` gives a date only for values that pass ``value_check`` (ID numbers)
    births_within_check: bool = False
    text: tuple[TextPattern, ...] = ()
    personal: bool = True


@dataclass(frozen=True)
class NameHit:
    evidence: str
    confidence: float = 0.6  # of the name evidence alone (the column model's probability)


def normalise_name(name: str) -> tuple[tuple[str, ...], str]:
    """Tokens and compact form of a column name.

    >>> normalise_name("studentIdCard")
    (('student', 'id', 'card'), 'studentidcard')
    >>> normalise_name("XS_SFZJH")
    (('xs', 'sfzjh'), 'xssfzjh')
    """
    split = _CAMEL.sub("_", name)
    tokens = tuple(token for token in _SEPARATORS.split(split.lower()) if token)
    return tokens, "".join(tokens)


def match_name(detector: Detector, name: str, comment: str | None) -> NameHit | None:
    """Whether the column name or comment says the column holds ``detector``'s type."""
    tokens, compact = normalise_name(name)
    lowered = name.lower()
    for veto in detector.exclude:
        if veto in compact or veto in lowered or (comment and veto in comment):
            return None
    if compact in detector.name_tokens:
        return NameHit(f"列名 {name} = {detector.name_tokens[compact]}")
    for token in tokens:
        if token in detector.name_tokens:
            return NameHit(f"列名 {name} 含 {token} = {detector.name_tokens[token]}")
    for phrase in detector.name_phrases:
        if phrase in compact:
            return NameHit(f"列名 {name} 含 “{phrase}”")
    for keyword in detector.keywords_zh:
        if keyword in name:
            return NameHit(f"列名 {name} 含 “{keyword}”")
        if comment and keyword in comment:
            return NameHit(f"列注释 “{comment}” 含 “{keyword}”")
    return None


MASK_CHARS = "*＊●•×"
"""Characters a masked value is written with (公示 conventions use ``*``)."""


def share(mask: pl.Series) -> float:
    """The fraction of True in a boolean Series (0.0 when empty)."""
    return int(mask.sum()) / mask.len() if mask.len() else 0.0


def read_lines(filename: str) -> list[str]:
    """Non-comment, non-blank lines of a file in ``detectors/data``."""
    data = resources.files("eduguard.discovery.detectors").joinpath("data", filename)
    lines = data.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def read_table(filename: str) -> list[list[str]]:
    """Tab-separated rows of a file in ``detectors/data``."""
    return [line.split("\t") for line in read_lines(filename)]


def fullmatch(pattern: str) -> str:
    """Anchor a pattern for a whole value."""
    return f"^(?:{pattern})$"


def dictionary(words: list[str], **options: object) -> TextPattern:
    """A free-text pattern for a word list, longest words first (过敏性鼻炎 before 过敏)."""
    ordered = tuple(sorted(set(words), key=lambda word: (-len(word), word)))
    return TextPattern(alternation(list(ordered)), literals=ordered, **options)  # type: ignore[arg-type]


def any_case(word: str) -> str:
    """A regex for ``word`` in any ASCII letter case (``jpg``, ``JPG``, ``Jpg`` …).

    Written out rather than ``(?i)``: case-insensitive matching beyond ASCII (İ, ı, ſ, K) differs
    between Rust's regex crate and Java's, and these patterns are compiled to Spark SQL too.

    >>> any_case("gif")
    '[gG][iI][fF]'
    """
    return "".join(
        f"[{c.lower()}{c.upper()}]" if c.isascii() and c.isalpha() else re.escape(c) for c in word
    )


def alternation(words: list[str]) -> str:
    """A regex alternation of literal words, longest first so that 欧阳 wins over 欧."""
    unique = sorted(set(words), key=lambda word: (-len(word), word))
    return "|".join(re.escape(word) for word in unique)


def low_cardinality(max_distinct: int) -> ValueGuard:
    """A guard for code-like columns: few distinct values."""

    def guard(values: Values) -> bool:
        return values.raw.n_unique() <= max_distinct

    return guard
