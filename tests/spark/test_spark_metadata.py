"""The Spark engine reads what the local engine reads of a source besides its values.

PostgreSQL over JDBC: table and column comments, declared types and serial keys, the same
report as the local database scan; Parquet: the table comment and Spark's own row metadata.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from eduguard.discovery import api

pytestmark = pytest.mark.spark

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "eduguard_spark_metadata"
POSTGRES_JAR = Path("/usr/share/java/postgresql.jar")
ROWS = 120


def _spark_scan(source: str, **options: Any) -> api.ScanReport:
    from eduguard.discovery import spark

    return spark.scan(source, **options)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {PG_DB}"))
    engine = sa.create_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE t_student (stu_no serial PRIMARY KEY, c3 varchar(20), "
                "xh char(8), bz text, rq timestamp, je numeric(10,2), ok boolean)"
            )
        )
        connection.execute(sa.text("COMMENT ON TABLE t_student IS '学生信息'"))
        connection.execute(sa.text("COMMENT ON COLUMN t_student.c3 IS '学号'"))
        connection.execute(
            sa.text(
                "INSERT INTO t_student (c3, xh, bz, rq, je, ok) "
                "SELECT '2020' || lpad(i::text, 4, '0'), '2021' || lpad(i::text, 4, '0'), 'ok', "
                "TIMESTAMP '2026-09-01 08:00', 12.5, true FROM generate_series(1, :n) AS i"
            ),
            {"n": ROWS},
        )
    engine.dispose()
    yield f"127.0.0.1:5432/{PG_DB}"
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
    admin.dispose()


def test_jdbc_reads_comments_types_and_keys_as_the_local_scan(spark: object, postgres: str) -> None:
    if not POSTGRES_JAR.exists():
        pytest.fail(
            "the PostgreSQL JDBC driver is missing: apt-get install libpostgresql-jdbc-java"
        )
    from eduguard.discovery.spark.sources import open_jdbc

    url = f"jdbc:postgresql://{postgres}?user=postgres"
    [table] = list(open_jdbc(spark, url))  # type: ignore[arg-type]
    assert not hasattr(table, "error")
    assert (table.comment, table.column_comments) == ("学生信息", {"c3": "学号"})
    local_table = next(
        t for t in api._open(f"postgresql://postgres@{postgres}") if t.name == "t_student"
    )
    assert table.column_types == local_table.column_types  # type: ignore[union-attr]
    assert table.column_keys == local_table.column_keys == {"stu_no": "auto_increment"}  # type: ignore[union-attr]
    local = api.scan(f"postgresql://postgres@{postgres}", sample=None).to_dict()["tables"]
    remote = _spark_scan(url, sample=None).to_dict()["tables"]
    assert remote == local
    columns = {column["name"]: column for column in local[0]["columns"]}
    assert columns["c3"]["pi_types"] == ["STUDENT_NO"]
    assert columns["stu_no"]["pi_types"] == []  # serial: a surrogate key on both engines
    assert columns["stu_no"]["evidence"][0].startswith("自增列")


def test_parquet_table_comment_and_spark_row_metadata(spark: object, tmp_path: Path) -> None:
    row = {
        "type": "struct",
        "fields": [
            {"name": "c3", "type": "string", "nullable": True, "metadata": {"comment": "学号"}},
            {"name": "bz", "type": "string", "nullable": True, "metadata": {}},
        ],
    }
    schema = pa.schema(
        [pa.field("c3", pa.string()), pa.field("bz", pa.string())],
        metadata={
            b"org.apache.spark.sql.parquet.row.metadata": json.dumps(row).encode(),
            b"comment": "学生信息".encode(),
        },
    )
    path = tmp_path / "xs.parquet"
    columns = {"c3": [f"2020{i:04d}" for i in range(ROWS)], "bz": ["ok"] * ROWS}
    pq.write_table(pa.table(columns, schema=schema), path)
    local = api.scan(path, sample=None).to_dict()["tables"]
    remote = _spark_scan(str(path), sample=None).to_dict()["tables"]
    assert remote == local
    assert local[0]["comment"] == "学生信息"
    assert local[0]["columns"][0]["pi_types"] == ["STUDENT_NO"]
