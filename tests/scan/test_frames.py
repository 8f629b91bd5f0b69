"""Value-to-text conversion: what detectors see whatever the source's types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from eduguard.discovery.connectors._frames import rebatch, to_utf8_frame, unique_names, value_text
from eduguard.discovery.sources import SourceError


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (float("nan"), None),
        (13800138000.0, "13800138000"),  # Excel stores phone numbers as floats
        (88.5, "88.5"),
        (True, "true"),
        (Decimal("12.50"), "12.50"),
        (dt.date(2015, 3, 7), "2015-03-07"),
        (dt.datetime(2015, 3, 7, 8, 30), "2015-03-07T08:30:00"),
        (b"\xff\xd8\xff", "/9j/"),
        ({"监护人": "王芳"}, '{"监护人": "王芳"}'),
        ([1, 2], "[1, 2]"),
    ],
)
def test_value_text(value: object, text: str | None) -> None:
    assert value_text(value) == text


def test_unique_names_fill_blanks_and_suffix_duplicates() -> None:
    assert unique_names(["姓名", None, "姓名", " ", "姓名"]) == [
        "姓名",
        "column_2",
        "姓名_2",
        "column_4",
        "姓名_3",
    ]


def test_to_utf8_frame_casts_every_type() -> None:
    frame = pl.DataFrame(
        {
            "n": [1, None],
            "d": [dt.date(2020, 1, 2), None],
            "s": [{"a": 1}, {"a": 2}],
            "l": [[1, 2], []],
            "b": [b"\x89PNG", None],
        }
    )
    text = to_utf8_frame(frame)
    assert all(dtype == pl.Utf8 for dtype in text.dtypes)
    assert text.row(0) == ("1", "2020-01-02", '{"a":1}', "[1, 2]", "iVBORw==")


def test_rebatch_exact_sizes_limit_and_empty() -> None:
    frames = [
        pl.DataFrame({"a": [str(i) for i in range(start, start + 7)]}) for start in (0, 7, 14)
    ]
    sizes = [frame.height for frame in rebatch(iter(frames), 5, None, "t")]
    assert sizes == [5, 5, 5, 5, 1]
    limited = list(rebatch(iter(frames), 5, 12, "t"))
    assert [frame.height for frame in limited] == [5, 5, 2]
    assert limited[-1]["a"].to_list() == ["10", "11"]
    with pytest.raises(SourceError) as caught:
        list(rebatch(iter([pl.DataFrame({"a": []}, schema={"a": pl.Utf8})]), 5, None, "空表"))
    assert caught.value.code == "empty_table"
    assert "空表" in caught.value.message_zh
