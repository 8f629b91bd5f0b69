"""Detector definitions compiled to Spark SQL expressions, evaluated in the JVM.

What is data in a definition compiles: regular expressions become ``RLIKE`` (the Rust regex
dialect the local engine uses is translated to Java's, and a pattern using anything the two
dialects disagree on is refused, so it stays in the Arrow stage), column names are quoted, and
the text every detector sees (the value cast to a string, stripped of Unicode white space) is
one expression. Value checks written as polars functions (check digits, dictionaries with
context, scoring) run in the Arrow stage instead: :mod:`eduguard.discovery.partials`.

>>> java_regex(r"^初[一1]|^(?:Grade|G)\\s?[1-6]$")
'(?U)^初[一1]|^(?:Grade|G)\\\\s?[1-6]$'
>>> java_regex(r"(?-u:\\b)\\d{6}") is None
True
"""

from __future__ import annotations

import re

from pyspark.sql import Column
from pyspark.sql import functions as sf

# constructs whose meaning differs between Rust's regex crate and java.util.regex
_UNPORTABLE = re.compile(r"\(\?-u|\(\?P<|\\z|\\A|\[\[:|\\p\{(?!Han\}|L\}|N\}|P\})|\(\?x")


def java_regex(pattern: str) -> str | None:
    """A Rust-regex pattern as a Java pattern of the same meaning, or None if not portable.

    ``(?U)`` gives Java Unicode character classes (``\\s``, ``\\d``, ``\\w``) as Rust has them.
    """
    if _UNPORTABLE.search(pattern):
        return None
    translated = pattern.replace(r"\p{Han}", r"\p{IsHan}")
    try:
        re.compile(translated.replace(r"\p{IsHan}", "\u4e00"))
    except re.error:
        return None
    return f"(?U){translated}"


def column(name: str) -> Column:
    """A column by name, quoted (names may hold dots, spaces or backticks)."""
    return sf.col("`" + name.replace("`", "``") + "`")


def text(name: str) -> Column:
    """The value as a detector sees it: a string without leading or trailing white space."""
    return sf.regexp_replace(column(name).cast("string"), r"(?U)^\s+|\s+$", "")


def count_matches(name: str, pattern: str) -> Column | None:
    """1 where the stripped value matches ``pattern`` (a Rust regex), 0 where not, null for null.

    None when the pattern cannot be compiled faithfully.
    """
    java = java_regex(pattern)
    if java is None:
        return None
    return text(name).rlike(java).cast("int")
