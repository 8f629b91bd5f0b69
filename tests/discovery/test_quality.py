"""Detection quality on the labelled synthetic corpus (corpus.py): the bar of issue 5.

Column level: F1 over (column, type) pairs ≥ 0.97, recall on sensitive types ≥ 0.98, no column
of the hard-negative tables labelled personal. Free text: span F1 ≥ 0.90.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import polars as pl
import pytest
from corpus import STYLES, LabelledTable, build_corpus

from eduguard.classification import NON_PERSONAL_TYPES, SENSITIVE_TYPES, Rules
from eduguard.discovery import extract_spans, find_spans, scan_table
from eduguard.discovery.report import TableReport


@dataclass
class Scanned:
    labelled: LabelledTable
    report: TableReport


@pytest.fixture(scope="module")
def corpus() -> list[LabelledTable]:
    return build_corpus()


@pytest.fixture(scope="module")
def scanned(corpus: list[LabelledTable], rules: Rules) -> list[Scanned]:
    return [Scanned(item, scan_table(item.table, sample=None, rules=rules)) for item in corpus]


def pairs(scanned: list[Scanned]) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    predicted, truth = set(), set()
    for item in scanned:
        name = item.report.name
        for column in item.report.columns:
            predicted |= {(name, column.name, code) for code in column.pi_types}
            truth |= {
                (name, column.name, code) for code in item.labelled.labels.get(column.name, set())
            }
    return predicted, truth


def f1(predicted: set[tuple[str, str, str]], truth: set[tuple[str, str, str]]) -> float:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth) if truth else 0.0
    return 2 * precision * recall / (precision + recall) if hits else 0.0


def test_corpus_covers_every_style_and_dirt(corpus: list[LabelledTable]) -> None:
    names = {item.table.name for item in corpus}
    assert len(corpus) >= len(STYLES) * 7
    assert any(name.endswith("_camel") for name in names)
    frame = pl.concat(
        [item.table.frame.select(pl.all().cast(pl.String)).unpivot() for item in corpus]
    )
    values = frame["value"]
    assert values.null_count() > 0
    assert values.str.starts_with("+86").any()
    assert values.str.contains(r"^\d{17}x$").any()
    assert values.str.contains(r"^\d{15}$").any()
    assert values.str.starts_with(" ").any()
    assert all(
        email.endswith(".example")
        for email in values.drop_nulls()
        .filter(values.drop_nulls().str.contains("@"))
        .str.extract(r"@([\w.]+)")
    )


def test_column_f1(scanned: list[Scanned]) -> None:
    predicted, truth = pairs(scanned)
    score = f1(predicted, truth)
    assert score >= 0.97, sorted(predicted ^ truth)[:20]


def test_recall_on_sensitive_types(scanned: list[Scanned]) -> None:
    predicted, truth = pairs(scanned)
    sensitive = {pair for pair in truth if pair[2] in SENSITIVE_TYPES}
    assert len(sensitive) > 50
    recall = len(sensitive & predicted) / len(sensitive)
    assert recall >= 0.98, sorted(sensitive - predicted)


def test_every_style_is_understood(scanned: list[Scanned]) -> None:
    for style in STYLES:
        subset = [item for item in scanned if item.labelled.style == style]
        assert subset, style
        predicted, truth = pairs(subset)
        assert f1(predicted, truth) >= 0.95, (style, sorted(predicted ^ truth))


def test_no_hard_negative_column_is_labelled_personal(scanned: list[Scanned]) -> None:
    negatives = [item for item in scanned if item.labelled.hard_negative]
    assert len(negatives) >= 4
    labelled = [
        (item.report.name, column.name, column.pi_types)
        for item in negatives
        for column in item.report.columns
        if set(column.pi_types) - NON_PERSONAL_TYPES
    ]
    assert labelled == []
    assert all(item.report.level in ("general-2", "general-1") for item in negatives)


def test_sensitive_and_minor_tables_are_general_4(scanned: list[Scanned]) -> None:
    for item in scanned:
        if item.report.name.lower().startswith("xs_jbxx"):
            assert item.report.minors, item.report.name
            assert item.report.level == "general-4"
            assert item.report.subjects is not None and item.report.subjects > 150


def span_counts(
    corpus: list[LabelledTable],
) -> tuple[Counter[tuple[str, int, str, str]], Counter[tuple[str, int, str, str]]]:
    predicted: Counter[tuple[str, int, str, str]] = Counter()
    truth: Counter[tuple[str, int, str, str]] = Counter()
    for item in corpus:
        for column, rows in item.spans.items():
            key = f"{item.table.name}.{column}"
            found = extract_spans(item.table.frame[column])
            predicted.update(
                (key, row, code, text)
                for row, code, text in found.select("row", "code", "text").iter_rows()
            )
            truth.update(
                (key, row, code, text) for row, spans in enumerate(rows) for code, text in spans
            )
    return predicted, truth


def test_free_text_span_f1(corpus: list[LabelledTable]) -> None:
    predicted, truth = span_counts(corpus)
    hits = sum((predicted & truth).values())
    precision = hits / sum(predicted.values())
    recall = hits / sum(truth.values())
    assert sum(truth.values()) > 1000
    assert 2 * precision * recall / (precision + recall) >= 0.90


def test_find_spans_agrees_with_the_column_scan(corpus: list[LabelledTable]) -> None:
    item = next(item for item in corpus if item.spans)
    column, rows = next(iter(item.spans.items()))
    texts = item.table.frame[column].to_list()[:40]
    found_any = 0
    for text, expected in zip(texts, rows[:40], strict=True):
        found = find_spans(text)
        assert all(text[span.start : span.end] == span.text for span in found)
        found_any += len({(span.code, span.text) for span in found} & set(expected))
    assert found_any >= 0.9 * sum(len(expected) for expected in rows[:40])


def test_hints_never_hide_a_value_the_check_accepts(corpus: list[LabelledTable]) -> None:
    """A detector's hint prunes checks on a sample: it must hold for every value that passes."""
    from eduguard.discovery.detectors import DETECTORS, Values

    frames = [item.table.frame.select(pl.all().cast(pl.String)).unpivot() for item in corpus]
    values = pl.concat(frames)["value"].drop_nulls().str.strip_chars().unique()
    view = Values(values)
    checked = 0
    for detector in DETECTORS:
        if detector.hint is None or detector.value_check is None:
            continue
        passing = values.filter(detector.value_check(view))
        checked += passing.len()
        assert passing.str.contains(detector.hint).all(), detector.code
    assert checked > 1000
