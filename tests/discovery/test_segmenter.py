"""The segmenter gives jieba's own words (default mode, no HMM) without importing jieba."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

import pytest

from eduguard.discovery.prose import find_names
from eduguard.discovery.segmenter import dictionary_path, segmenter

TEXTS = Path(__file__).parent / "data" / "text"
TRICKY = [
    "",
    " ",
    "与王晓雨同学谈话后联系其母亲陈静。",
    "AT&T和c#语言，B超检查正常；x.y_z%-+# 1号楼2单元13-2室",
    "换行\r\n制表\t全角空格\u3000结束",
    "ＡＢＣ全角字母与abc123半角",
    "王\u9fd6字不在jieba的汉字范围内",
    "中华人民共和国教育部办公厅关于印发",
]


@pytest.fixture(scope="module")
def jieba_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    jieba = pytest.importorskip("jieba")
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer(str(dictionary_path()))
    tokenizer.tmp_dir = str(tmp_path_factory.mktemp("jieba"))  # its cache file goes there
    tokenizer.initialize()
    return tokenizer


def _texts() -> list[str]:
    texts = list(TRICKY)
    for path in sorted(TEXTS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    rng = random.Random(20261202)
    alphabet = "王李欧阳同学老师母亲联系谈话中华人民共和国a1Z ,。.-_%#&+\t\n的了是在和与"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(500)]
    return texts


def test_words_are_jiebas_own(jieba_tokenizer: Any) -> None:
    ours = segmenter()
    differing = [
        text
        for text in _texts()
        if [tuple(token) for token in ours.tokens(text)]
        != list(jieba_tokenizer.tokenize(text, HMM=False))
    ]
    assert differing == []


def test_dictionary_tags_names_and_places() -> None:
    words = segmenter()
    assert "王晓雨" not in words.name_words  # not in the dictionary: found by the name rules
    assert words.name_words and words.place_words
    assert words.is_word("周末") and not words.is_word("王晓雨同学")
    assert find_names("请各班高度重视，周末前完成。") == []
