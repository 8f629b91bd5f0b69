"""Which part of each value check a SQL engine evaluates, and which part stays Python.

A detector's value check declared as rules (:class:`~eduguard.discovery.detectors.base.Rule`)
splits in two: the rules without code whose pattern means the same in Java's regex dialect are
counted in SQL (``RLIKE``, ``IN``, ``LENGTH``) unless they are large alternations, which Java's
regex engine runs far slower than Rust's (``JAVA_MAX_ALTERNATIVES``); the rules with code (check digits, ranges) are
counted in Python, on the values that pass their data part and none of the SQL rules, so that no
value is counted twice. A check written as code only is counted in Python on every value.
Both sides of the Spark engine derive the same split from the same definitions: the driver
compiles the SQL half (:mod:`eduguard.discovery.spark.compile`), the executors count the rest
(:mod:`eduguard.discovery.partials`).

>>> from eduguard.discovery.detectors import BY_CODE
>>> mobile = split_check(BY_CODE["MOBILE_PHONE"].value_check)
>>> len(mobile.sql), len(mobile.python), mobile.whole is None
(1, 0, True)
>>> resident_id = split_check(BY_CODE["CN_RESIDENT_ID"].value_check)  # check digit: Python
>>> len(resident_id.sql), len(resident_id.python)
(0, 1)
>>> java_regex(r"^初[一1]|^(?:Grade|G)\\s?[1-6]$")
'(?Ud)^初[一1]|^(?:Grade|G)\\\\s?[1-6]\\\\z'
>>> java_regex(r"^[\\p{Han}--[的是]]$")
'(?Ud)^[\\\\p{IsHan}&&[^的是]]\\\\z'
>>> java_regex(r"(?-u:\\b)\\d{6}") is None
True
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import polars as pl

from eduguard.discovery.detectors import BY_CODE
from eduguard.discovery.detectors.base import Declared, Rule, ValueCheck, Values, match_name

# constructs whose meaning differs between Rust's regex crate and java.util.regex
# (case-insensitive matching differs beyond ASCII: patterns spell cases out, see ``any_case``)
_UNPORTABLE = re.compile(
    r"\(\?i|\(\?-u|\(\?P<|\\z|\\A|\[\[:|\\p\{(?!Han\}|L\}|N\}|P\})|\(\?x|~~|\\b|\\B"
)


def java_regex(pattern: str) -> str | None:
    """A Rust-regex pattern as a Java pattern of the same meaning, or None if not portable.

    ``(?U)`` gives Java Unicode character classes (``\\s``, ``\\d``, ``\\w``) as Rust has them,
    ``(?d)`` makes ``\\n`` the only line end (Rust's ``.`` matches ``\\r``, Java's does not),
    ``$`` becomes ``\\z`` (Java's ``$`` also matches before a final line break), ``\\p{Han}``
    is spelt ``\\p{IsHan}`` and a class difference ``[A--[B]]`` is spelt ``[A&&[^B]]``.
    """
    if _UNPORTABLE.search(pattern):
        return None
    out: list[str] = []
    depth = 0  # inside how many character classes
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            if pattern.startswith(r"\p{Han}", index):
                out.append(r"\p{IsHan}")
                index += len(r"\p{Han}")
            else:
                out.append(pattern[index : index + 2])
                index += 2
            continue
        if depth and pattern.startswith("--[", index):
            out.append("&&[^")
            depth += 1
            index += 3
            continue
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        elif char == "$" and not depth:
            char = r"\z"
        out.append(char)
        index += 1
    translated = "".join(out)
    plain = translated.replace(r"\p{IsHan}", "\u4e00").replace(r"\z", "$").replace("&&", "")
    try:  # what Python's re cannot parse is not trusted to mean the same in Java either
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nested sets: fine in both dialects
            re.compile(plain)
    except re.error:
        return None
    return f"(?Ud){translated}"


def contains_regex(words: tuple[str, ...]) -> str:
    """A regex alternation of literal words (a rule's ``contains``), longest first."""
    ordered = sorted(set(words), key=lambda word: (-len(word), word))
    return "|".join(re.escape(word) for word in ordered)


# Java's regex engine tries the alternatives of an alternation one by one, where Rust's compiles
# them into one automaton: a rule with more (a surname list) is faster left to polars
JAVA_MAX_ALTERNATIVES = 50


def data_portable(rule: Rule) -> bool:
    """Whether the data part of a rule (not ``refine``) means the same in Spark SQL."""
    return rule.pattern is None or java_regex(rule.pattern) is not None


def data_compiled(rule: Rule) -> bool:
    """Whether the Spark engine compiles the data part of a rule: portable, and cheap in Java."""
    patterns = [rule.pattern or "", contains_regex(rule.contains) if rule.contains else ""]
    return data_portable(rule) and all(
        pattern.count("|") < JAVA_MAX_ALTERNATIVES for pattern in patterns
    )


def sql_countable(rule: Rule) -> bool:
    """Whether a rule is counted in SQL: data only, compiled."""
    return rule.refine is None and data_compiled(rule)


@dataclass(frozen=True)
class CheckSplit:
    """One value check, split: ``sql`` rules counted in SQL, the rest in Python.

    Python counts the values that pass one of ``python`` and none of ``sql``; or, for a check
    written as code (``whole``), every value's result.
    """

    sql: tuple[Rule, ...] = ()
    python: tuple[Rule, ...] = ()
    whole: ValueCheck | None = None

    @property
    def needs_every_value(self) -> bool:
        """Whether Python needs every value, not only those a SQL prefilter lets through."""
        return self.whole is not None or any(not data_compiled(rule) for rule in self.python)

    def python_hits(self, values: Values) -> pl.Series | None:
        """Python's share of the check on values (None: Python has nothing to count)."""
        if self.whole is not None:
            return self.whole(values)
        if not self.python:
            return None
        hits = Declared(self.python)(values)
        if self.sql and hits.any():
            hits = hits & ~Declared(self.sql)(values)
        return hits


def split_check(check: ValueCheck | None) -> CheckSplit | None:
    """The SQL and Python parts of a value check (None when there is no check)."""
    if check is None:
        return None
    if not isinstance(check, Declared):
        return CheckSplit(whole=check)
    return CheckSplit(
        sql=tuple(rule for rule in check.rules if sql_countable(rule)),
        python=tuple(rule for rule in check.rules if not sql_countable(rule)),
    )


@dataclass(frozen=True)
class TypeWork:
    """One detector on one column: its checks split, and whether birth dates are counted."""

    code: str
    strict: CheckSplit | None
    # None: the loose count is the strict count (no name evidence, or no looser check)
    loose: CheckSplit | None
    births: bool
    # the rules whose data part a value with a birth date passes; None: any value may have one
    births_within: tuple[Rule, ...] | None


def column_work(name: str, comment: str | None, codes: tuple[str, ...]) -> list[TypeWork]:
    """The split work of a column's detectors (as ``ColumnState._count`` counts them)."""
    work = []
    for code in codes:
        detector = BY_CODE[code]
        named = match_name(detector, name, comment) is not None
        loose = detector.loose_check if named and detector.loose_check is not None else None
        within = None
        if (
            detector.births_within_check
            and isinstance(detector.value_check, Declared)
            and all(data_compiled(rule) for rule in detector.value_check.rules)
        ):
            within = detector.value_check.rules
        work.append(
            TypeWork(
                code=code,
                strict=split_check(detector.value_check),
                loose=split_check(loose) if loose is not None else None,
                births=detector.birth_dates is not None,
                births_within=within,
            )
        )
    return work


def _any_data(rules: tuple[Rule, ...], values: Values) -> pl.Series:
    masks = [rule.declared(values) for rule in rules]
    if not masks:
        return pl.Series("v", [False] * len(values), dtype=pl.Boolean)
    return pl.select(pl.any_horizontal(masks)).to_series()


def sent_share(work: list[TypeWork], values: Values) -> float:
    """The share of ``values`` the SQL half would send on to Python (what compile sends).

    The driver measures it on the table's first values: a column whose values nearly all need
    Python anyway is better not split (the SQL prefilter would only add work).
    """
    if len(values) == 0:
        return 0.0
    needs: list[pl.Series] = []
    for item in work:
        for split in (item.strict, item.loose):
            if split is None or (not split.python and split.whole is None):
                continue
            if split.needs_every_value:
                return 1.0
            needs.append(~_any_data(split.sql, values) & _any_data(split.python, values))
        if item.births:
            if item.births_within is None:
                return 1.0
            needs.append(_any_data(item.births_within, values))
    if not needs:
        return 0.0
    return float(pl.select(pl.any_horizontal(needs).mean()).item())
