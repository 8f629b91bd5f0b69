"""Every comment a source keeps reaches the report and changes what is found.

Real sources only: SQLite files, PostgreSQL and MariaDB over TCP, Parquet and xlsx files written
here. Each test scans the same columns with and without the comment: a column named ``c3`` or
``xm`` is found by what its comment says, not by its name.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from openpyxl.comments import Comment

from eduguard.discovery import api
from eduguard.discovery.connectors import open_source
from eduguard.discovery.connectors.database import DatabaseTable
from eduguard.discovery.connectors.excel_notes import description_row
from eduguard.discovery.sources import FailedTable

from .conftest import MARIADB_URL, POSTGRES_URL

ROWS = 120
STUDENT_NOS = [f"2020{index:04d}" for index in range(ROWS)]


def _found(report: api.ScanReport, table: str) -> dict[str, list[str]]:
    [match] = [item for item in report.tables if item.name.endswith(table)]
    assert match.error is None, match.error
    return {column.name: column.pi_types for column in match.columns}


def _sqlite(path: Path, ddl: str) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute(ddl)
        connection.executemany(
            "INSERT INTO t_1 VALUES (?, ?, ?)",
            [(index + 1, STUDENT_NOS[index], "ok") for index in range(ROWS)],
        )
    connection.close()
    return path


def test_sqlite_comments_in_the_ddl_text(tmp_path: Path) -> None:
    commented = _sqlite(
        tmp_path / "with.db",
        """CREATE TABLE t_1 ( -- 学生信息
          id INTEGER PRIMARY KEY,  -- 主键
          c3 VARCHAR(20),          -- 学号
          c4 TEXT /* 备注 */
        )""",
    )
    bare = _sqlite(
        tmp_path / "without.db", "CREATE TABLE t_1 (id INTEGER, c3 VARCHAR(20), c4 TEXT)"
    )
    [table] = list(open_source(f"sqlite:///{commented}"))
    assert isinstance(table, DatabaseTable)
    assert table.comment == "学生信息"
    assert table.column_comments == {"id": "主键", "c3": "学号", "c4": "备注"}
    assert table.column_types == {"id": "int", "c3": "varchar(20)", "c4": "text"}
    assert table.column_keys == {"id": "auto_increment"}
    report = api.scan(f"sqlite:///{commented}")
    assert report.tables[0].comment == "学生信息"
    assert report.tables[0].columns[1].comment == "学号"
    assert _found(report, "t_1")["c3"] == ["STUDENT_NO"]
    assert _found(api.scan(f"sqlite:///{bare}"), "t_1")["c3"] == []


def test_sqlite_ddl_the_parser_cannot_read_still_scans(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    with sqlite3.connect(path) as connection:  # SQLite accepts it; the comment stays unread
        connection.execute("CREATE TABLE t_1 (\"c3\" VARCHAR(20) CHECK (c3 <> ''), x)")
        connection.execute("INSERT INTO t_1 VALUES ('a', 1)")
    connection.close()
    [table] = api.scan(f"sqlite:///{path}").tables
    assert table.error is None and [column.name for column in table.columns] == ["c3", "x"]


@pytest.fixture
def pg_schema(postgres_engine: sa.Engine, unique_name: str) -> Iterator[str]:
    schema = unique_name
    with postgres_engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        for table in ("t_with", "t_without"):
            connection.execute(
                sa.text(
                    f'CREATE TABLE "{schema}".{table} (stu_no serial PRIMARY KEY, '
                    "xh varchar(20), c3 char(18), bz text, je numeric(10,2))"
                )
            )
            connection.execute(
                sa.text(
                    f'INSERT INTO "{schema}".{table} (xh, c3, bz) '
                    "SELECT '2020' || lpad(i::text, 4, '0'), 'x' || i, 'ok' "
                    "FROM generate_series(1, :n) AS i"
                ),
                {"n": ROWS},
            )
        connection.execute(sa.text(f"COMMENT ON TABLE \"{schema}\".t_with IS '学生表'"))
        connection.execute(sa.text(f"COMMENT ON COLUMN \"{schema}\".t_with.c3 IS '学号'"))
    yield schema
    with postgres_engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_postgresql_comments_types_and_serial_keys(pg_schema: str) -> None:
    tables = {table.name: table for table in open_source(POSTGRES_URL)}
    table = tables[f"{pg_schema}.t_with"]
    assert isinstance(table, DatabaseTable)
    assert (table.comment, table.column_comments) == ("学生表", {"c3": "学号"})
    assert table.column_types == {
        "stu_no": "int", "xh": "varchar(20)", "c3": "char(18)", "bz": "text", "je": "decimal(10)",
    }  # fmt: skip
    assert table.column_keys == {"stu_no": "auto_increment"}
    report = api.scan(POSTGRES_URL)
    with_comment = _found(report, f"{pg_schema}.t_with")
    without = _found(report, f"{pg_schema}.t_without")
    assert with_comment["c3"] == ["STUDENT_NO"] and without["c3"] == []
    # a serial stu_no is numbered by the database: not the student number its name suggests
    assert with_comment["stu_no"] == [] and with_comment["xh"] == ["STUDENT_NO"]


@pytest.fixture
def maria_tables(mariadb_engine: sa.Engine, unique_name: str) -> Iterator[str]:
    name = unique_name
    with mariadb_engine.begin() as connection:
        connection.execute(
            sa.text(
                f"CREATE TABLE {name}_auto (stu_no int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, "
                "c3 varchar(20) COMMENT '学号', xm varchar(30)) COMMENT='学生信息'"
            )
        )
        connection.execute(
            sa.text(
                f"CREATE TABLE {name}_plain (stu_no int(11) NOT NULL, c3 varchar(20), "
                "xm varchar(30), n int AUTO_INCREMENT UNIQUE, PRIMARY KEY (c3))"
            )
        )
        for table in (f"{name}_auto", f"{name}_plain"):
            connection.execute(
                sa.text(f"INSERT INTO {table} (stu_no, c3, xm) VALUES (:no, :c3, 'ok')"),
                [{"no": index + 1, "c3": STUDENT_NOS[index]} for index in range(ROWS)],
            )
    yield name
    with mariadb_engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {name}_auto, {name}_plain"))


@pytest.mark.mariadb
def test_mariadb_comments_types_and_auto_increment(maria_tables: str) -> None:
    tables = {table.name: table for table in open_source(MARIADB_URL)}
    auto, plain = tables[f"{maria_tables}_auto"], tables[f"{maria_tables}_plain"]
    assert isinstance(auto, DatabaseTable) and isinstance(plain, DatabaseTable)
    assert (auto.comment, auto.column_comments) == ("学生信息", {"c3": "学号"})
    assert auto.column_types == {"stu_no": "int", "c3": "varchar(20)", "xm": "varchar(30)"}
    assert auto.column_keys == {"stu_no": "auto_increment"}
    assert plain.column_keys == {"c3": "primary", "n": "auto_increment"}
    report = api.scan(MARIADB_URL)
    found_auto = _found(report, f"{maria_tables}_auto")
    found_plain = _found(report, f"{maria_tables}_plain")
    assert found_auto["c3"] == ["STUDENT_NO"] and found_plain["c3"] == []
    assert found_auto["stu_no"] == [] and found_plain["stu_no"] == ["STUDENT_NO"]
    [surrogate] = [
        column
        for table in report.tables
        if table.name == f"{maria_tables}_auto"
        for column in table.columns
        if column.name == "stu_no"
    ]
    assert surrogate.evidence[0].startswith("自增列")


def _parquet(path: Path, schema: pa.Schema) -> Path:
    columns = {"c3": STUDENT_NOS, "bz": ["ok"] * ROWS}
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


def test_parquet_field_spark_and_schema_metadata(tmp_path: Path) -> None:
    described = _parquet(
        tmp_path / "described.parquet",
        pa.schema(
            [
                pa.field("c3", pa.string(), metadata={b"description": "学号".encode()}),
                pa.field("bz", pa.string()),
            ],
            metadata={b"comment": "学生信息".encode()},
        ),
    )
    spark_row = {
        "type": "struct",
        "fields": [
            {"name": "c3", "type": "string", "nullable": True, "metadata": {"comment": "学号"}},
            {"name": "bz", "type": "string", "nullable": True, "metadata": {}},
        ],
    }
    spark = _parquet(
        tmp_path / "spark.parquet",
        pa.schema(
            [pa.field("c3", pa.string()), pa.field("bz", pa.string())],
            metadata={b"org.apache.spark.sql.parquet.row.metadata": json.dumps(spark_row).encode()},
        ),
    )
    bare = _parquet(
        tmp_path / "bare.parquet",
        pa.schema([pa.field("c3", pa.string()), pa.field("bz", pa.string())]),
    )
    [table] = list(open_source(described))
    assert (table.comment, table.column_comments) == ("学生信息", {"c3": "学号"})
    [from_spark] = list(open_source(spark))
    assert not isinstance(from_spark, FailedTable)
    assert from_spark.column_comments == {"c3": "学号"}
    assert _found(api.scan(described), "described.parquet")["c3"] == ["STUDENT_NO"]
    assert _found(api.scan(spark), "spark.parquet")["c3"] == ["STUDENT_NO"]
    assert _found(api.scan(bare), "bare.parquet")["c3"] == []
    broken = _parquet(
        tmp_path / "broken.parquet",
        pa.schema(
            [pa.field("c3", pa.string()), pa.field("bz", pa.string())],
            metadata={b"org.apache.spark.sql.parquet.row.metadata": b"{not json"},
        ),
    )
    [unread] = list(open_source(broken))
    assert not isinstance(unread, FailedTable)
    assert unread.column_comments == {}  # read without them, not a crash


def _workbook(path: Path, notes: bool, second_row: list[str] | None = None) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "名单"
    sheet.append(["c3", "bz"])
    if notes:
        sheet["A1"].comment = Comment("张老师:\n学号", "张老师")
    if second_row:
        sheet.append(second_row)
    for number in STUDENT_NOS:
        sheet.append([number, "ok"])
    workbook.save(path)
    return path


def test_excel_header_notes(tmp_path: Path) -> None:
    noted = _workbook(tmp_path / "noted.xlsx", notes=True)
    [sheet] = list(open_source(noted))
    list(sheet.batches())
    assert sheet.column_comments == {"c3": "学号"}  # the author Excel puts first is left out
    report = api.scan(noted)
    assert report.tables[0].columns[0].comment == "学号"
    assert _found(report, "名单")["c3"] == ["STUDENT_NO"]
    assert _found(api.scan(_workbook(tmp_path / "bare.xlsx", notes=False)), "名单")["c3"] == []


def test_excel_description_row_under_codes(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "codes.xlsx", notes=False, second_row=["学号", "备注"])
    report = api.scan(path)
    [table] = report.tables
    assert table.rows_sampled == table.row_count == ROWS  # the description row is not data
    assert [(column.name, column.comment) for column in table.columns] == [
        ("c3", "学号"),
        ("bz", "备注"),
    ]
    assert _found(report, "名单")["c3"] == ["STUDENT_NO"]


def test_xls_description_row_under_codes(tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")
    path = tmp_path / "old.xls"
    book = xlwt.Workbook()
    sheet = book.add_sheet("名单")
    for row_index, row in enumerate(
        [["XH", "BZ"], ["学号", "备注"]] + [[n, "ok"] for n in STUDENT_NOS]
    ):
        for column_index, value in enumerate(row):
            sheet.write(row_index, column_index, value)
    book.save(str(path))
    [table] = api.scan(path).tables
    assert (table.rows_sampled, table.row_count) == (ROWS, ROWS)
    assert [(column.name, column.comment) for column in table.columns] == [
        ("XH", "学号"),
        ("BZ", "备注"),
    ]


@pytest.mark.parametrize(
    ("names", "row", "expected"),
    [
        (
            ["XM", "XBM", "CSRQ"],
            ["姓名", "性别码", "出生日期"],
            {"XM": "姓名", "XBM": "性别码", "CSRQ": "出生日期"},
        ),
        (["xm", "xb", "mz", "jg"], ["王晓雨", "男", "汉族", "北京"], None),  # a first data row
        (["xm", "xb"], ["陈静", "女"], None),
        (["姓名", "学号"], ["姓名说明", "学号说明"], None),  # the first row is not codes
        (["xh", "cj"], ["2020001", "88"], None),
        (["xm", "bz"], ["姓名", "姓名"], None),  # not distinct
    ],
)
def test_description_row_is_told_from_data(
    names: list[str], row: list[str], expected: dict[str, str] | None
) -> None:
    assert description_row(names, row) == expected
