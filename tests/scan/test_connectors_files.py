"""Connectors over files and folders: every format, encodings, batching, bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eduguard.discovery.connectors import open_source
from eduguard.discovery.connectors.encoding import detect_encoding
from eduguard.discovery.sources import FailedTable, SourceError

from .conftest import HEADER, ROWS, collect, read_all, resident_id, write_delimited


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [
        ("utf-8", False, "utf-8"),
        ("utf-8", True, "utf-8"),
        ("gbk", False, "gb18030"),
        ("gb18030", False, "gb18030"),
    ],
)
def test_csv_encodings_are_detected_and_decoded(
    tmp_path: Path, encoding: str, bom: bool, expected: str
) -> None:
    path = write_delimited(tmp_path / "students.csv", encoding, bom=bom)
    assert detect_encoding(path) == expected
    [table] = collect(path)
    frame = read_all(table)
    assert frame.columns == HEADER  # no BOM left on the first header
    assert frame["姓名"].to_list() == ["张三", "李四", "欧阳娜娜"]
    assert frame["家庭住址"][0] == "北京市朝阳区建国路88号"
    assert all(dtype == pl.Utf8 for dtype in frame.dtypes)


def test_gb18030_only_characters_survive(tmp_path: Path) -> None:
    # 𠀀 (U+20000) and 䶮 exist in GB18030 but not in GBK
    path = tmp_path / "rare.csv"
    path.write_bytes("姓名,备注\n王䶮,𠀀字\n".encode("gb18030") * 1)
    [table] = collect(path)
    assert read_all(table).row(0) == ("王䶮", "𠀀字")


def test_ids_keep_leading_zeros_and_x(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("sfzjh,code\n11010519491231002X,007\n", encoding="utf-8")
    [table] = collect(path)
    assert read_all(table).row(0) == ("11010519491231002X", "007")


def test_tsv_and_null_markers(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\n1\t\n\\N\tx\n", encoding="utf-8")
    [table] = collect(path)
    frame = read_all(table)
    assert frame["a"].to_list() == ["1", None]
    assert frame["b"].to_list() == [None, "x"]


def test_quoted_newlines_stay_in_one_cell(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('name,note\n张三,"第一行\n第二行"\n李四,ok\n', encoding="utf-8")
    [table] = collect(path)
    assert read_all(table)["note"].to_list() == ["第一行\n第二行", "ok"]


def test_large_csv_streams_in_bounded_batches(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = 25_000
    with path.open("w", encoding="gbk") as handle:
        handle.write("序号,姓名\n")
        for index in range(rows):
            handle.write(f"{index},学生{index}\n")
    [table] = collect(path)
    assert not isinstance(table, FailedTable)
    frames = list(table.batches(batch_rows=4_000))
    assert len(frames) == 7
    assert all(frame.height <= 4_000 for frame in frames)
    assert sum(frame.height for frame in frames) == rows
    assert frames[-1]["姓名"][-1] == f"学生{rows - 1}"
    limited = list(table.batches(batch_rows=4_000, limit=9_000))
    assert [frame.height for frame in limited] == [4_000, 4_000, 1_000]


def test_mixed_encoding_becomes_a_decode_error_not_garbage(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    head = "姓名,地址\n" + "张三,北京市朝阳区\n" * 100_000  # > the 1 MB detection sample
    path.write_bytes(head.encode("utf-8") + "李四,上海市\n".encode("gbk"))
    [table] = collect(path)
    assert not isinstance(table, FailedTable)
    with pytest.raises(SourceError) as caught:
        list(table.batches())
    assert caught.value.code == "decode_error"
    assert "解码" in caught.value.message_zh


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"PK\x03\x04\x14\x00\x00\x00binary zip", "binary_file"),
        (b"\x00\x01\x02\x03\xff\xfe\x00", "binary_file"),
        (bytes(range(0x80, 0x100)) * 50, "encoding_unknown"),
    ],
)
def test_unreadable_csv_is_a_failed_table(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    [failed] = collect(path)
    assert isinstance(failed, FailedTable)
    assert failed.error.code == code
    assert failed.name == "bad.csv"
    assert any("\u4e00" <= char <= "\u9fff" for char in failed.error.message_zh)


def test_header_only_csv_is_an_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("姓名,身份证号\n", encoding="utf-8")
    [table] = collect(path)
    assert not isinstance(table, FailedTable)
    with pytest.raises(SourceError) as caught:
        list(table.batches())
    assert caught.value.code == "empty_table"


def test_xlsx_every_sheet_is_a_table(tmp_path: Path) -> None:
    path = tmp_path / "school.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "学生"
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    staff = workbook.create_sheet("教师")
    staff.append(["工号", "出生日期", "工资"])
    staff.append([1001, dt.date(1980, 1, 2), 8500.0])
    workbook.create_sheet("空表")
    workbook.save(path)
    tables = collect(path)
    assert [table.name for table in tables] == [
        "school.xlsx:学生",
        "school.xlsx:教师",
        "school.xlsx:空表",
    ]
    students = read_all(tables[0])
    assert students.columns == HEADER
    assert students["身份证号"].to_list() == [row[1] for row in ROWS]
    assert read_all(tables[1]).row(0) == ("1001", "1980-01-02T00:00:00", "8500")
    with pytest.raises(SourceError) as caught:
        read_all(tables[2])
    assert caught.value.code == "empty_table"


def test_xls_is_read(tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")
    path = tmp_path / "old.xls"
    book = xlwt.Workbook()
    sheet = book.add_sheet("名单")
    for row_index, row in enumerate([HEADER, *ROWS]):
        for column_index, value in enumerate(row):
            sheet.write(row_index, column_index, value)
    book.save(str(path))
    [table] = collect(path)
    assert table.name == "old.xls:名单"
    assert read_all(table)["手机号"].to_list() == [row[2] for row in ROWS]


def test_corrupt_excel_is_a_failed_table(tmp_path: Path) -> None:
    for name in ("broken.xlsx", "broken.xls"):
        (tmp_path / name).write_bytes(b"this is not a workbook")
        [failed] = collect(tmp_path / name)
        assert isinstance(failed, FailedTable)
        assert failed.error.code == "unreadable_file"


def test_parquet_streams_batches_with_comments_and_types(tmp_path: Path) -> None:
    path = tmp_path / "scores.parquet"
    schema = pa.schema(
        [
            pa.field("xh", pa.string(), metadata={"comment": "学号"}),
            pa.field("score", pa.float64()),
            pa.field("birth", pa.date32()),
            pa.field("photo", pa.binary()),
        ]
    )
    count = 10_000
    table = pa.table(
        {
            "xh": [f"2024{index:06d}" for index in range(count)],
            "score": [float(index % 100) + 0.5 for index in range(count)],
            "birth": pa.array([19_000] * count, pa.date32()),
            "photo": [b"\xff\xd8\xff\xe0"] * count,
        },
        schema=schema,
    )
    pq.write_table(table, path, row_group_size=2_500)
    [source] = collect(path)
    assert not isinstance(source, FailedTable)
    assert source.row_count == count
    assert source.column_comments == {"xh": "学号"}
    frames = list(source.batches(batch_rows=3_000))
    assert [frame.height for frame in frames] == [3_000, 3_000, 3_000, 1_000]
    first = frames[0].row(0)
    assert first == ("2024000000", "0.5", "2022-01-08", "/9j/4A==")


def test_jsonl_streams_and_json_shapes(tmp_path: Path) -> None:
    lines = tmp_path / "events.jsonl"
    records = [
        {"name": f"学生{index}", "phone": "13800138000", "extra": {"a": index}}
        for index in range(500)
    ]
    lines.write_text("\n".join(json.dumps(record, ensure_ascii=False) for record in records) + "\n")
    [table] = collect(lines)
    frame = read_all(table, batch_rows=200)
    assert frame.height == 500
    assert frame["extra"][3] == '{"a":3}'
    assert not isinstance(table, FailedTable)
    assert [f.height for f in table.batches(batch_rows=200)] == [200, 200, 100]

    array = tmp_path / "list.json"
    array.write_text(
        json.dumps(
            [{"xm": "张三", "age": 12}, {"xm": "李四", "sfzjh": resident_id("11010520150307123")}]
        )
    )
    [table] = collect(array)
    frame = read_all(table)
    assert frame.columns == ["xm", "age", "sfzjh"]
    assert frame["age"].to_list() == ["12", None]

    nested = tmp_path / "export.json"
    nested.write_text(
        json.dumps({"students": [{"xm": "张三"}], "teachers": [{"gh": 1}], "meta": 1})
    )
    assert [table.name for table in collect(nested)] == [
        "export.json:students",
        "export.json:teachers",
    ]

    disguised = tmp_path / "lines.json"
    disguised.write_text('{"a": 1}\n{"a": 2}\n')
    assert read_all(collect(disguised)[0])["a"].to_list() == ["1", "2"]


def test_broken_json_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": [1, 2')
    [failed] = collect(bad)
    assert isinstance(failed, FailedTable)
    assert failed.error.code == "parse_error"
    bad_lines = tmp_path / "bad.jsonl"
    bad_lines.write_text('{"a": 1}\n{"a": \n')
    [table] = collect(bad_lines)
    with pytest.raises(SourceError) as caught:
        read_all(table)
    assert caught.value.code == "parse_error"
    assert "第 2 行" in caught.value.message_zh


def test_folder_is_walked_recursively(tmp_path: Path) -> None:
    write_delimited(tmp_path / "a.csv", "gbk")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    write_delimited(tmp_path / "sub" / "deeper" / "b.tsv", "utf-8", delimiter="\t")
    (tmp_path / "sub" / "c.jsonl").write_text('{"xm": "张三"}\n', encoding="utf-8")
    (tmp_path / "sub" / "broken.csv").write_bytes(b"\x00\x00\x00")
    (tmp_path / "readme.rtf").write_text("not data")  # no reader: not a table
    (tmp_path / ".hidden").mkdir()
    write_delimited(tmp_path / ".hidden" / "x.csv", "utf-8")
    tables = collect(tmp_path)
    names = [table.name for table in tables]
    assert names == ["a.csv", "sub/broken.csv", "sub/c.jsonl", "sub/deeper/b.tsv"]
    assert isinstance(tables[1], FailedTable)
    assert read_all(tables[3])["姓名"].to_list() == ["张三", "李四", "欧阳娜娜"]


def test_missing_and_unsupported_sources(tmp_path: Path) -> None:
    [missing] = collect(tmp_path / "nope.csv")
    assert isinstance(missing, FailedTable)
    assert missing.error.code == "source_not_found"
    (tmp_path / "doc.odt").write_bytes(b"PK\x03\x04")
    [unsupported] = collect(tmp_path / "doc.odt")
    assert isinstance(unsupported, FailedTable)
    assert unsupported.error.code == "unsupported_format"
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    [nothing] = list(open_source(str(empty)))
    assert isinstance(nothing, FailedTable)
    assert nothing.error.code == "no_supported_files"


def test_a_row_longer_than_a_block_is_read_once(tmp_path: Path) -> None:
    path = tmp_path / "photos.csv"
    normal = [f"{index},学生{index}\n" for index in range(120_000)]  # > 1 MB before the big row
    big = "120000," + "图" * 700_000 + "\n"  # 2.1 MB in one cell: longer than the first block
    tail = [f"{index},学生{index}\n" for index in range(120_001, 120_010)]
    path.write_text("xh,note\n" + "".join(normal) + big + "".join(tail), encoding="utf-8")
    [table] = collect(path)
    frame = read_all(table, batch_rows=50_000)
    assert frame.height == 120_010
    assert frame["xh"].to_list() == [str(index) for index in range(120_010)]
    assert frame["note"][120_000] == "图" * 700_000
