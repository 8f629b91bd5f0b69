"""Office-ready exports: fitted widths (CJK counts two), frozen header, filter, file names."""

from __future__ import annotations

import io
from urllib.parse import unquote

from openpyxl import load_workbook

from eduguard import exports


def test_a_chinese_character_counts_two_columns() -> None:
    assert exports.text_width("abc") == 3
    assert exports.text_width("学籍系统") == 8
    assert exports.text_width("（全角）") == 8
    assert exports.text_width("短\n很长的一行") == 10  # the longest line
    assert exports.text_width(None) == 0 and exports.text_width(12345) == 5
    widths = exports.column_widths([["序号", "信息系统"], [1, "x" * 200]], maximum=60)
    assert widths == [6.0, 60.0]


def test_write_table_on_a_write_only_sheet() -> None:
    workbook = exports.write_only_workbook()
    sheet = workbook.create_sheet("表")
    exports.write_table(sheet, ["单位", "note"], [["乙县第一小学", "=1+1"], ["x", None]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = load_workbook(io.BytesIO(buffer.getvalue()))["表"]
    assert read.freeze_panes == "A2" and read.auto_filter.ref == "A1:B3"
    assert read["A1"].font.bold and read["A1"].value == "单位"
    assert read.column_dimensions["A"].width == 2 * len("乙县第一小学") + 2
    assert read["B2"].value == "'=1+1"  # still no formula


def test_file_names_and_the_download_header() -> None:
    name = exports.file_name("乙县/一小\x1b", "数据资源目录", "20261202", suffix="xlsx")
    assert name == "乙县_一小_x1b-数据资源目录-20261202.xlsx"
    header = exports.attachment(name, 'catalog-"20261202".xlsx')
    assert header.isascii()
    kind, *parts = header.split("; ")
    params = dict(part.split("=", 1) for part in parts)
    assert kind == "attachment"
    assert params["filename"] == '"catalog-_20261202_.xlsx"'
    encoded = params["filename*"]
    assert encoded.startswith("UTF-8''") and unquote(encoded[len("UTF-8''") :]) == name


def test_write_table_streams_rows_past_its_width_sample() -> None:
    workbook = exports.write_only_workbook()
    sheet = workbook.create_sheet("流")
    rows = ([i, "短"] if i < 10 else [i, "很长" * 20] for i in range(1500))
    assert exports.write_table(sheet, ["序号", "内容"], rows, sample=10) == 1500
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = load_workbook(io.BytesIO(buffer.getvalue()), read_only=False)["流"]
    assert read.auto_filter.ref == "A1:B1501" and read.max_row == 1501
    assert read.column_dimensions["B"].width == 6  # fitted to the sample, not the stream
