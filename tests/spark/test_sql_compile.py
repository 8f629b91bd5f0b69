"""Detector definitions compiled to Spark SQL mean what they mean in polars.

Every rule a detector declares (pattern, word list, ``contains`` list, length bounds) is
evaluated twice on the same values — by polars (Rust regex), as the local engine does, and by
Spark SQL (Java regex, ``IN``, ``LENGTH``), as the Spark engine does — and the two must agree
value for value. The values are the discovery test corpus's (every column's first distinct
values) and a few chosen where the two regex dialects are known to differ (line ends, Unicode
digits and case, ligatures). Then a scan shows which detectors ran as SQL: their columns send
no value to Python, and the plan holds their ``RLIKE``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from corpus import build_corpus

from eduguard.discovery import api
from eduguard.discovery.detectors import DETECTORS
from eduguard.discovery.detectors.base import Declared, Rule, Values
from eduguard.discovery.partials import text_frame
from eduguard.discovery.sqlsplit import data_portable, split_check

pytestmark = pytest.mark.spark

# where Rust's regex crate and java.util.regex are known to part ways, and what the corpus lacks
EDGE_VALUES = [
    "13812345678\n-",  # compact form ends in a line break: Java's $ matches before it
    "１３８１２３４５６７８",  # full-width digits: \d is Unicode in both
    "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits
    "ﬀ12345",  # a ligature that upper-cases to two ASCII letters
    "+86 138 1234 5678",
    "(+86)13812345678",
    "（+86）13812345678",
    "0086-138-1234-5678",
    "138\u00a01234\u30005678",
    "photo.jpg?v=1\rx",  # . matches \r in Rust, not in Java without (?d)
    "photo.jpg?v=1\u2028x",
    "photo.JPG",
    "photo.gİf",  # case-insensitive matching of dotted/dotless i differs between dialects
    "photo.gıf",
    "photo.ＪＰＧ",
    "110105********002X",  # masked ID number
    "[0.12, -0.5, 0.33, 0.9]",  # a feature vector
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "39.9042",
    "116.407396, 39.904211",
    "欧阳娜娜",
    "阿依古丽·买买提",
    "王的",
    "Zhang Wei",
    "ß",
    "ǅ",
    "abc$",
    "a\nb",
]


def sample_values() -> list[str]:
    values: set[str] = set(EDGE_VALUES)
    for item in build_corpus():
        texts = text_frame(item.table.frame)
        for name in texts.columns:
            column = texts.get_column(name).drop_nulls()
            values.update(column.filter(column != "").unique(maintain_order=True).head(60))
    return sorted(values)


def declared_rules() -> list[tuple[str, Rule]]:
    """Every rule every detector declares, named detector.check#index."""
    rules = []
    for detector in DETECTORS:
        for kind in ("value_check", "loose_check"):
            check = getattr(detector, kind)
            if isinstance(check, Declared):
                rules += [
                    (f"{detector.code}.{kind}#{i}", rule) for i, rule in enumerate(check.rules)
                ]
    return rules


def test_every_declared_rule_compiles_and_agrees_with_polars(spark: Any) -> None:
    from eduguard.discovery.spark.compile import Forms, data_part

    values = sample_values()
    rules = declared_rules()
    assert len(rules) >= 50
    # every declared pattern is portable: none silently falls back to Python
    assert [name for name, rule in rules if not data_portable(rule)] == []

    local = Values(pl.Series("v", values, dtype=pl.String))
    frame = spark.createDataFrame(pl.DataFrame({"i": range(len(values)), "v": values}).to_arrow())
    forms = Forms.of("v")
    selected = frame.select(
        "i",
        forms.raw.alias("raw"),
        forms.compact.alias("compact"),
        *[data_part(rule, forms).alias(f"r{index}") for index, (_, rule) in enumerate(rules)],
    )
    remote = pl.from_arrow(selected.toArrow()).sort("i")
    assert isinstance(remote, pl.DataFrame)
    assert remote.get_column("raw").to_list() == values
    assert remote.get_column("compact").to_list() == local.compact.to_list()
    for index, (name, rule) in enumerate(rules):
        ours = rule.declared(local).to_list()
        theirs = remote.get_column(f"r{index}").to_list()
        differing = [value for value, a, b in zip(values, ours, theirs, strict=True) if a != b]
        assert not differing, f"{name}: {differing[:5]}"
        if rule.pattern is not None or rule.words or rule.contains:
            # not vacuous: each pattern and list both matches and rejects values of the sample
            assert 0 < sum(ours) < len(values), name


def test_checks_split_as_documented() -> None:
    """Pure data checks go to SQL whole; check digits keep a Python half with a SQL prefilter."""
    by_code = {detector.code: detector for detector in DETECTORS}
    for code in ("MOBILE_PHONE", "EMAIL", "GENDER", "ETHNICITY", "PASSPORT", "IP_ADDRESS"):
        split = split_check(by_code[code].value_check)
        assert split is not None and split.sql and not split.python and split.whole is None, code
    for code in ("CN_RESIDENT_ID", "STUDENT_REG_NO", "ORG_CODE", "BANK_CARD", "DEVICE_ID"):
        split = split_check(by_code[code].value_check)
        assert split is not None and split.python and not split.needs_every_value, code
    # a surname alternation is far slower in Java's regex engine: names stay with polars
    name = split_check(by_code["PERSON_NAME"].value_check)
    assert name is not None and not name.sql and name.needs_every_value
    birth = split_check(by_code["BIRTH_DATE"].loose_check)
    assert birth is not None and birth.whole is not None and birth.needs_every_value


def luhn_number(body: str) -> str:
    """``body`` followed by its Luhn check digit."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return body + str((10 - total % 10) % 10)


def test_scan_counts_pure_detectors_in_sql(spark: Any, tmp_path: Path) -> None:
    """Columns of pure-pattern detectors send no value to Python; card numbers only their shapes.

    Fails if the compile were skipped: every value of every column would cross to Python.
    """
    from eduguard.discovery.partials import decide
    from eduguard.discovery.spark.engine import (
        compiled_source,
        head_batches,
        scan_spark_table,
        split_plans,
    )
    from eduguard.discovery.spark.sources import SparkTable, open_paths

    rows = 400
    cards = [luhn_number(f"622202{n:09d}") for n in range(rows)]
    frame = pl.DataFrame(
        {
            "sfzjh": [f"11010519491231{n % 1000:03d}X" for n in range(rows)],
            "xh": [f"S{n:06d}" for n in range(rows)],
            "sjh": [f"138{n:08d}" for n in range(rows)],
            "xb": ["男", "女"] * (rows // 2),
            "dzyx": [f"u{n}@example.edu.cn" for n in range(rows)],
            # one in four shaped like a card number (Luhn decides), the rest account numbers
            "yhkh": [cards[n] if n % 4 == 0 else f"0{n:011d}" for n in range(rows)],
            # every value shaped like a card: all need the Luhn check, so the column is not split
            "yhzh": cards,
        }
    )
    frame.write_parquet(tmp_path / "xs.parquet")
    (table,) = open_paths(spark, str(tmp_path / "xs.parquet"))
    assert isinstance(table, SparkTable)
    loaded = table.load(spark)

    sent: dict[str, int] = {}
    today = date.today()
    report = scan_spark_table(table, loaded, sample=None, rules=None, today=today, sent=sent)
    local = api.scan(tmp_path, sample=None).tables[0]
    assert report.to_dict() == local.to_dict()
    types = {column.name: column.pi_types for column in report.columns}
    assert types["sjh"] == ["MOBILE_PHONE"]
    assert types["yhkh"] == types["yhzh"] == ["BANK_CARD"]
    # mobile numbers, genders and e-mail addresses were counted in SQL: no value crossed
    assert sent["sjh"] == sent["xb"] == sent["dzyx"] == 0
    # of the card column, only the values shaped like a card number reached the Luhn check
    assert sent["yhkh"] == rows // 4
    assert "yhzh" not in sent
    # the two columns that count people are counted whole by the local engine's code
    assert "sfzjh" not in sent and "xh" not in sent

    columns = [(name, None) for name in loaded.columns]
    head = list(head_batches(loaded, 50_000, None))
    plans = split_plans(loaded, decide(columns, iter(head), today), head)
    source, flags, _ = compiled_source(loaded, plans)
    physical = source._jdf.queryExecution().executedPlan().toString()
    assert "RLIKE" in physical.upper()
    assert ("sjh", "strict", "MOBILE_PHONE") in flags
    assert ("xb", "strict", "GENDER") in flags
    assert ("yhkh", "loose", "BANK_CARD") in flags
    assert ("yhkh", "strict", "BANK_CARD") not in flags  # the Luhn check is code
