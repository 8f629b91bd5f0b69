"""Connectors over real databases: SQLite, PostgreSQL and MariaDB (no mocks)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from eduguard.discovery.connectors import describe_source, open_source
from eduguard.discovery.connectors.database import (
    DatabaseTable,
    display_url,
    is_database_url,
    normalise_url,
)
from eduguard.discovery.sources import FailedTable, SourceError

from .conftest import MARIADB_URL, POSTGRES_URL, ROWS, read_all

ROW_TOTAL = 2_500


def _by_name(source: str) -> dict[str, DatabaseTable | FailedTable]:
    tables: dict[str, DatabaseTable | FailedTable] = {}
    for table in open_source(source):
        assert isinstance(table, DatabaseTable | FailedTable)
        tables[table.name] = table
    return tables


@pytest.fixture
def school_db(tmp_path: Path) -> Path:
    path = tmp_path / "school.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE xs_jbxx (xm TEXT, sfzjh TEXT, lxdh TEXT, csrq DATE, cj REAL, photo BLOB)"
        )
        connection.executemany(
            "INSERT INTO xs_jbxx VALUES (?, ?, ?, '2015-03-07', ?, x'ffd8ff')",
            [(row[0], row[1], row[2], 90.5) for row in ROWS],
        )
        connection.execute("CREATE TABLE empty_log (id INTEGER, note TEXT)")
        connection.execute("CREATE VIEW v_names AS SELECT xm FROM xs_jbxx")
        connection.execute("CREATE TABLE big (id INTEGER, phone TEXT)")
        connection.executemany(
            "INSERT INTO big VALUES (?, ?)",
            [(index, f"138{index:08d}") for index in range(ROW_TOTAL)],
        )
    connection.close()
    return path


def test_sqlite_tables_views_counts_and_text(school_db: Path) -> None:
    before = school_db.read_bytes()
    tables = _by_name(f"sqlite:///{school_db}")
    assert sorted(tables) == ["big", "empty_log", "v_names", "xs_jbxx"]
    students = tables["xs_jbxx"]
    assert isinstance(students, DatabaseTable)
    assert students.row_count == 3
    frame = read_all(students)
    assert frame.columns == ["xm", "sfzjh", "lxdh", "csrq", "cj", "photo"]
    assert frame.row(0) == (ROWS[0][0], ROWS[0][1], ROWS[0][2], "2015-03-07", "90.5", "/9j/")
    assert read_all(tables["v_names"])["xm"].to_list() == [row[0] for row in ROWS]
    with pytest.raises(SourceError) as caught:
        read_all(tables["empty_log"])
    assert caught.value.code == "empty_table"
    big = tables["big"]
    assert isinstance(big, DatabaseTable)
    assert [frame.height for frame in big.batches(batch_rows=1_000)] == [1_000, 1_000, 500]
    assert [frame.height for frame in big.batches(batch_rows=1_000, limit=1_200)] == [1_000, 200]
    assert school_db.read_bytes() == before  # opened read-only: nothing written


def test_sqlite_missing_file_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "absent.db"
    [failed] = list(open_source(f"sqlite:///{target}"))
    assert isinstance(failed, FailedTable)
    assert failed.error.code == "source_not_found"
    assert not target.exists()


def test_refused_connection_is_a_failed_table() -> None:
    [failed] = list(open_source("postgresql://nobody:secret@127.0.0.1:1/none"))
    assert isinstance(failed, FailedTable)
    assert failed.error.code == "db_connect_failed"
    assert "无法连接数据源" in failed.error.message_zh
    assert "secret" not in failed.error.message_zh
    assert "secret" not in failed.name
    assert "secret" not in describe_source("postgresql://nobody:secret@127.0.0.1:1/none")


def test_url_forms_are_normalised_and_passwords_hidden() -> None:
    assert normalise_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("mysql://u:p@h/db").drivername == "mysql+pymysql"
    assert normalise_url("postgresql+psycopg://u:p@h/db").drivername == "postgresql+psycopg"
    assert display_url(normalise_url("mysql://u:p@h/db")) == "mysql+pymysql://u:***@h:3306/db"
    assert is_database_url("sqlite:///x.db")
    assert not is_database_url("C:\\data\\x.csv")
    assert not is_database_url("exports/students.csv")


def test_unsupported_database_url() -> None:
    [failed] = list(open_source("oracle://scott:tiger@127.0.0.1/orcl"))
    assert isinstance(failed, FailedTable)
    assert failed.error.code == "unsupported_database"


@pytest.fixture
def pg_tables(postgres_engine: sa.Engine, unique_name: str) -> Iterator[str]:
    schema = unique_name
    with postgres_engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        connection.execute(
            sa.text(
                f'CREATE TABLE "{schema}".xs_jbxx (xm text, sfzjh varchar(18), lxdh text, '
                "csrq date, cj numeric(5,1), info jsonb)"
            )
        )
        connection.execute(sa.text(f"COMMENT ON TABLE \"{schema}\".xs_jbxx IS '学生基本信息'"))
        connection.execute(sa.text(f"COMMENT ON COLUMN \"{schema}\".xs_jbxx.sfzjh IS '身份证件号'"))
        connection.execute(sa.text(f"COMMENT ON COLUMN \"{schema}\".xs_jbxx.xm IS '姓名'"))
        connection.execute(
            sa.text(
                f'INSERT INTO "{schema}".xs_jbxx '
                "SELECT '学生' || i, :sfz, '138' || lpad(i::text, 8, '0'), DATE '2015-03-07', 88.5, "
                "'{\"k\": 1}'::jsonb FROM generate_series(1, :n) AS i"
            ),
            {"sfz": ROWS[0][1], "n": ROW_TOTAL},
        )
        connection.execute(
            sa.text(f'CREATE VIEW "{schema}".v_xm AS SELECT xm FROM "{schema}".xs_jbxx')
        )
        connection.execute(sa.text(f'CREATE TABLE "{schema}".empty_t (a int)'))
    yield schema
    with postgres_engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_postgresql_comments_streaming_and_views(pg_tables: str) -> None:
    schema = pg_tables
    tables = {
        name: table for name, table in _by_name(POSTGRES_URL).items() if name.startswith(schema)
    }
    assert sorted(tables) == [f"{schema}.empty_t", f"{schema}.v_xm", f"{schema}.xs_jbxx"]
    students = tables[f"{schema}.xs_jbxx"]
    assert isinstance(students, DatabaseTable)
    assert students.comment == "学生基本信息"
    assert students.column_comments == {"xm": "姓名", "sfzjh": "身份证件号"}
    assert students.row_count == ROW_TOTAL
    frames = list(students.batches(batch_rows=1_000))
    assert [frame.height for frame in frames] == [1_000, 1_000, 500]
    first = frames[0].sort("lxdh").row(0)
    assert first == ("学生1", ROWS[0][1], "13800000001", "2015-03-07", "88.5", '{"k": 1}')
    assert read_all(tables[f"{schema}.v_xm"]).height == ROW_TOTAL
    with pytest.raises(SourceError):
        read_all(tables[f"{schema}.empty_t"])


def test_postgresql_session_is_read_only(pg_tables: str) -> None:
    schema = pg_tables
    table = _by_name(POSTGRES_URL)[f"{schema}.xs_jbxx"]
    assert isinstance(table, DatabaseTable)
    with table.engine.connect() as connection, pytest.raises(sa.exc.InternalError):
        connection.execute(sa.text(f'DELETE FROM "{schema}".xs_jbxx'))


@pytest.fixture
def mariadb_tables(mariadb_engine: sa.Engine, unique_name: str) -> Iterator[str]:
    name = unique_name
    with mariadb_engine.begin() as connection:
        connection.execute(
            sa.text(
                f"CREATE TABLE {name} (XM varchar(50) COMMENT '姓名', SFZJH char(18) COMMENT "
                "'身份证件号', LXDH varchar(20), CSRQ date, JE decimal(10,2)) COMMENT='学生基本信息'"
            )
        )
        connection.execute(
            sa.text(f"INSERT INTO {name} VALUES (:xm, :sfz, :dh, '2015-03-07', 12.50)"),
            [
                {"xm": f"学生{index}", "sfz": ROWS[0][1], "dh": f"139{index:08d}"}
                for index in range(ROW_TOTAL)
            ],
        )
        connection.execute(sa.text(f"CREATE VIEW {name}_v AS SELECT XM FROM {name}"))
    yield name
    with mariadb_engine.begin() as connection:
        connection.execute(sa.text(f"DROP VIEW IF EXISTS {name}_v"))
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))


@pytest.mark.mariadb
def test_mariadb_comments_and_streaming(mariadb_tables: str) -> None:
    name = mariadb_tables
    tables = _by_name(MARIADB_URL)
    students = tables[name]
    assert isinstance(students, DatabaseTable)
    assert students.comment == "学生基本信息"
    assert students.column_comments == {"XM": "姓名", "SFZJH": "身份证件号"}
    assert students.row_count == ROW_TOTAL
    frames = list(students.batches(batch_rows=1_000))
    assert [frame.height for frame in frames] == [1_000, 1_000, 500]
    assert frames[0].row(0) == ("学生0", ROWS[0][1], "13900000000", "2015-03-07", "12.50")
    assert read_all(tables[f"{name}_v"]).height == ROW_TOTAL


@pytest.mark.mariadb
def test_mariadb_wrong_password_is_refused() -> None:
    url = MARIADB_URL.replace("root@", "root:wrong-password@", 1)
    [failed] = list(open_source(url))
    assert isinstance(failed, FailedTable)
    assert failed.error.code == "db_connect_failed"
    assert "wrong-password" not in failed.error.message_zh
