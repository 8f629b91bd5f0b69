"""Detector definitions compiled to Spark SQL expressions, evaluated in the JVM.

What is data in a definition compiles (:mod:`eduguard.discovery.sqlsplit` decides what): a
rule's pattern becomes ``RLIKE`` (the Rust regex dialect translated to Java's; a pattern using
anything the two dialects disagree on is refused and stays in Python), its word list ``IN``
(a hash set), its ``contains`` list an ``RLIKE`` of literals, its length bounds ``LENGTH``.
The two forms every detector sees are expressions too: the value cast to a string and stripped
of Unicode white space (``raw``) and the identifier form (``compact``: separators and a leading
+86 removed, ASCII letters upper-cased). Code in a definition (check digits, ranges, scoring)
runs in the Arrow stage, on the values the SQL half lets through.

>>> java_regex(r"^初[一1]|^(?:Grade|G)\\s?[1-6]$")
'(?Ud)^初[一1]|^(?:Grade|G)\\\\s?[1-6]\\\\z'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from string import ascii_lowercase, ascii_uppercase

from pyspark.sql import Column
from pyspark.sql import functions as sf

from eduguard.discovery.detectors.base import COMPACT_DROPPED, PHONE_PREFIX, Rule
from eduguard.discovery.partials import ColumnPlan, Flag
from eduguard.discovery.sqlsplit import (
    CheckSplit,
    column_work,
    contains_regex,
    data_compiled,
    java_regex,
)

__all__ = ["java_regex"]

# Spark types whose string cast is the text the local engine sees (polars casts them alike)
COMPILABLE_TYPES = frozenset({"string", "tinyint", "smallint", "int", "bigint"})


def column(name: str) -> Column:
    """A column by name, quoted (names may hold dots, spaces or backticks)."""
    return sf.col("`" + name.replace("`", "``") + "`")


def text(name: str) -> Column:
    """The value as a detector sees it: a string without leading or trailing white space."""
    return sf.regexp_replace(column(name).cast("string"), r"(?U)^\s+|\s+$", "")


def _java(pattern: str) -> str:
    java = java_regex(pattern)
    if java is None:  # callers compile only portable rules
        raise ValueError(f"not portable to Java regex: {pattern}")
    return java


def count_matches(name: str, pattern: str) -> Column | None:
    """1 where the stripped value matches ``pattern`` (a Rust regex), 0 where not, null for null.

    None when the pattern cannot be compiled faithfully.
    """
    if java_regex(pattern) is None:
        return None
    return text(name).rlike(_java(pattern)).cast("int")


@dataclass(frozen=True)
class Forms:
    """A column's two forms as SQL: ``raw`` (null when empty) and ``compact``."""

    raw: Column
    compact: Column

    @classmethod
    def of(cls, name: str) -> Forms:
        stripped = text(name)
        raw = sf.when(stripped != "", stripped)
        compact = sf.translate(raw, COMPACT_DROPPED, "")
        compact = sf.regexp_replace(compact, _java(PHONE_PREFIX), "")
        compact = sf.translate(compact, ascii_lowercase, ascii_uppercase)
        return cls(raw, compact)


def data_part(rule: Rule, forms: Forms) -> Column:
    """The data part of a rule (not its ``refine``) as a boolean SQL expression."""
    value = forms.compact if rule.form == "compact" else forms.raw
    conditions: list[Column] = []
    if rule.min_length is not None:
        conditions.append(sf.length(value) >= rule.min_length)
    if rule.max_length is not None:
        conditions.append(sf.length(value) <= rule.max_length)
    if rule.words:
        conditions.append(value.isin(sorted(set(rule.words))))
    if rule.pattern is not None:
        conditions.append(value.rlike(_java(rule.pattern)))
    if rule.contains:
        conditions.append(value.rlike(_java(contains_regex(rule.contains))))
    if not conditions:
        return forms.raw.isNotNull()
    return reduce(lambda left, right: left & right, conditions)


def any_of(rules: tuple[Rule, ...], forms: Forms) -> Column:
    """True where a value passes the data part of one of ``rules`` (never null)."""
    if not rules:
        return sf.lit(False)
    parts = [data_part(rule, forms) for rule in rules]
    return sf.coalesce(reduce(lambda left, right: left | right, parts), sf.lit(False))


def _python_needs(split: CheckSplit, forms: Forms) -> Column:
    """Where Python must see a value for its share of a check."""
    if split.needs_every_value:
        return sf.lit(True)
    if not split.python:
        return sf.lit(False)
    return ~any_of(split.sql, forms) & any_of(split.python, forms)


@dataclass(frozen=True)
class CompiledColumn:
    """A column split between SQL and Python: what is sent, and the flags SQL counts."""

    value: Column  # the stripped value where Python needs it, else null
    flags: list[tuple[Flag, Column]]


def compile_column(plan: ColumnPlan) -> CompiledColumn:
    """The SQL half of a column's checks, and the values the Python half needs."""
    forms = Forms.of(plan.name)
    needs: list[Column] = []
    flags: list[tuple[Flag, Column]] = [((plan.name, "nonnull", ""), forms.raw.isNotNull())]
    for work in column_work(plan.name, plan.comment, plan.codes):
        for kind, split in (("strict", work.strict), ("loose", work.loose)):
            if split is None:
                continue
            if split.sql:
                flags.append(((plan.name, kind, work.code), any_of(split.sql, forms)))
            needs.append(_python_needs(split, forms))
        if work.births:
            within = work.births_within
            if within is None or not all(data_compiled(rule) for rule in within):
                needs.append(sf.lit(True))
            else:
                needs.append(any_of(within, forms))
    send = reduce(lambda left, right: left | right, needs, sf.lit(False))
    return CompiledColumn(sf.when(send, forms.raw), flags)
