"""A typed, lazy wrapper of jieba's word segmenter, for finding names in free text.

jieba (pinned ``>=0.42.1,<0.43``) ships its dictionary and HMM inside the wheel: nothing is
downloaded. It is imported and its dictionary loaded only the first time free text is scanned
(about 0.6 s, once per process), never when a scan has no free text.

jieba's own ``initialize`` would write a marshal cache of the dictionary to the temp directory
(a shared, predictable path) and read it back on later runs; loading that cache is no faster than
building the prefix dictionary, so the dictionary is built here in memory in one pass over
jieba's ``dict.txt`` — the same prefix dictionary jieba builds — which also collects the words
the dictionary tags as person names (``nr``). Nothing is written to disk, and jieba's logger
(which prints to stderr at DEBUG) is kept quiet.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Token:
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
        tokenizer: Any,
        name_words: frozenset[str],
        place_words: frozenset[str],
        words: frozenset[str],
    ) -> None:
        self._tokenizer = tokenizer
        self.name_words = name_words  # dictionary words tagged nr/nrfg/nrt
        self.place_words = place_words  # … tagged ns (places: also given names, 邹平, 黄海)
        self.words = words  # every dictionary word

    def tokens(self, text: str) -> list[Token]:
        return [Token(w, s, e) for w, s, e in self._tokenizer.tokenize(text, HMM=False)]

    def is_word(self, text: str) -> bool:
        return text in self.words


_SEGMENTER: Segmenter | None = None


def _load() -> Segmenter:
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    frequencies: dict[str, int] = {}
    names: set[str] = set()
    places: set[str] = set()
    words: set[str] = set()
    total = 0
    with resources.files("jieba").joinpath("dict.txt").open(encoding="utf-8") as lines:
        for line in lines:
            parts = line.rstrip("\n").split(" ")
            if len(parts) < 2:
                continue
            word, frequency = parts[0], int(parts[1])
            frequencies[word] = frequency
            total += frequency
            words.add(word)
            if len(parts) > 2 and parts[2].startswith("nr"):
                names.add(word)
            elif len(parts) > 2 and parts[2] == "ns" and len(word) <= 3:
                places.add(word)
            for end in range(1, len(word)):
                frequencies.setdefault(word[:end], 0)
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = frequencies, total, True
    return Segmenter(tokenizer, frozenset(names), frozenset(places), frozenset(words))


def segmenter() -> Segmenter:
    """The process's segmenter, loaded on first use."""
    global _SEGMENTER
    if _SEGMENTER is None:
        with _LOCK:
            if _SEGMENTER is None:
                _SEGMENTER = _load()
    return _SEGMENTER
