"""jieba's word segmentation over jieba's dictionary, loaded fast, for finding names in free text.

jieba (pinned ``>=0.42.1,<0.43``) ships its dictionary (``dict.txt``: word, frequency, part of
speech) inside the wheel: nothing is downloaded. The dictionary is read only the first time free
text is scanned, never when a scan has no free text.

Importing jieba and building its prefix dictionary in Python took about a second of every scan
that met free text (jieba's own marshal cache, written to the shared temp directory, is no
faster). Here the dictionary is parsed by polars in one pass and the segmentation is jieba's
default mode without the HMM (``Tokenizer.tokenize(text, HMM=False)``), written again over that
dictionary: the same blocks (``re_han_default``/``re_skip_default``), the same DAG of dictionary
words, the same maximum-probability route (``log(freq) - log(total)``, ties to the longer word)
and the same runs of ASCII letters and digits, so the words are jieba's own —
``tests/discovery/test_segmenter.py`` compares them with jieba's on the labelled texts. Every
dictionary word is at most as long as the longest word that starts with its first character, and
a look-up stops early when no longer word starts with the first 2 or 3 characters, so the DAG
needs no prefix dictionary of every word. jieba itself is not imported, and nothing is written to disk.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib.util import find_spec
from math import log
from pathlib import Path
from typing import NamedTuple

import polars as pl

_LOCK = threading.Lock()
# jieba 0.42.1's ``re_han_default``, ``re_skip_default`` and ``re_eng``
_HAN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
_SKIP = re.compile("(\r\n|\\s)", re.U)
_ENG = re.compile("[a-zA-Z0-9]", re.U)
CACHED_CLAUSES = 65_536  # distinct clauses whose words are kept (bounded memory)


class Token(NamedTuple):
    word: str
    start: int
    end: int


class Segmenter:
    """Words of a text: jieba's default mode over its dictionary, without the HMM.

    Unknown words (most names) come out as single characters, which is what the name finder
    wants: the HMM would glue a name to its neighbours (时孙敏) and costs four times as much;
    on the labelled set both give the same spans.
    """

    def __init__(
        self,
        log_probability: dict[str, float],
        unknown: float,
        longest: dict[str, int],
        longer: frozenset[str],
        name_words: frozenset[str],
        place_words: frozenset[str],
    ) -> None:
        self._log_probability = log_probability  # log(freq) - log(total) of each word
        self._unknown = unknown  # … of a character that is no word: log(1) - log(total)
        self._longest = longest  # the longest word starting with each character
        self._longer = longer  # the first 2 and 3 characters of the words longer than that
        self.name_words = name_words  # dictionary words tagged nr/nrfg/nrt
        self.place_words = place_words  # … tagged ns (places: also given names, 邹平, 黄海)
        self.tokens = lru_cache(maxsize=CACHED_CLAUSES)(self._tokens)

    @property
    def words(self) -> dict[str, float]:
        """Every dictionary word (a mapping: ``word in segmenter.words``)."""
        return self._log_probability

    def is_word(self, text: str) -> bool:
        return text in self._log_probability

    def _tokens(self, text: str) -> tuple[Token, ...]:
        """jieba's ``tokenize(text, HMM=False)``: (word, start, end) in order."""
        tokens: list[Token] = []
        at = 0
        for block in _HAN.split(text):
            if not block:
                continue
            if _HAN.match(block):
                words = self._cut_block(block)
            else:  # jieba: whitespace runs as they are, every other character alone
                words = [
                    word
                    for piece in _SKIP.split(block)
                    for word in ([piece] if _SKIP.match(piece) else list(piece))
                ]
            for word in words:
                tokens.append(Token(word, at, at + len(word)))
                at += len(word)
        return tuple(tokens)

    def _cut_block(self, block: str) -> list[str]:
        probability, unknown = self._log_probability, self._unknown
        longest, longer = self._longest, self._longer
        size = len(block)
        route: list[tuple[float, int]] = [(0.0, 0)] * (size + 1)
        for start in range(size - 1, -1, -1):
            # jieba's DAG: every dictionary word starting here, else the lone character
            best: tuple[float, int] | None = None
            for end in range(start + 1, min(size, start + longest.get(block[start], 0)) + 1):
                piece = block[start:end]
                value = probability.get(piece)
                if value is not None:
                    candidate = (value + route[end][0], end - 1)
                    if best is None or candidate > best:
                        best = candidate
                if 2 <= end - start <= 3 and piece not in longer:
                    break  # no longer word starts with these characters
            route[start] = best if best is not None else (unknown + route[start + 1][0], start)
        words: list[str] = []
        buffer = ""
        at = 0
        while at < size:
            end = route[at][1] + 1
            word = block[at:end]
            if len(word) == 1 and _ENG.match(word):
                buffer += word
            else:
                if buffer:
                    words.append(buffer)
                    buffer = ""
                words.append(word)
            at = end
        if buffer:
            words.append(buffer)
        return words


def dictionary_path() -> Path:
    """jieba's ``dict.txt``, found without importing jieba (its import alone takes 0.3 s)."""
    spec = find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("jieba is not installed (a dependency of eduguard)")
    return Path(spec.origin).parent / "dict.txt"


_SEGMENTER: Segmenter | None = None


def _load() -> Segmenter:
    entries = pl.read_csv(
        dictionary_path(),
        separator=" ",
        has_header=False,
        quote_char=None,
        new_columns=["word", "freq", "tag"],
        schema_overrides={"word": pl.String, "freq": pl.Int64, "tag": pl.String},
    )
    total = int(entries["freq"].sum())
    # jieba: log(FREQ.get(word) or 1) - log(total); a word of frequency 0 is no word in its DAG
    known = entries.filter(pl.col("freq") > 0)
    log_total = log(total)
    # math.log, as jieba does (polars' log may differ in the last bit, and so change a tie)
    probability = [log(frequency) - log_total for frequency in known["freq"].to_list()]
    names = entries.filter(pl.col("tag").str.starts_with("nr"))["word"]
    places = entries.filter((pl.col("tag") == "ns") & (pl.col("word").str.len_chars() <= 3))
    firsts = known.group_by(first=pl.col("word").str.head(1)).agg(
        pl.col("word").str.len_chars().max()
    )
    longest = dict(zip(firsts["first"].to_list(), firsts["word"].to_list(), strict=True))
    length = pl.col("word").str.len_chars()
    longer = known.select(
        pl.concat(
            [
                pl.col("word").filter(length > 2).str.head(2),
                pl.col("word").filter(length > 3).str.head(3),
            ]
        ).unique()
    ).to_series()
    return Segmenter(
        dict(zip(known["word"].to_list(), probability, strict=True)),
        0.0 - log_total,
        longest,
        frozenset(longer.to_list()),
        frozenset(names.to_list()),
        frozenset(places["word"].to_list()),
    )


def segmenter() -> Segmenter:
    """The process's segmenter, loaded on first use."""
    global _SEGMENTER
    if _SEGMENTER is None:
        with _LOCK:
            if _SEGMENTER is None:
                _SEGMENTER = _load()
    return _SEGMENTER
