"""The Spark engine (``eduguard scan --engine spark``) gives the local engine's answers.

Identity is checked report against report (every field but the scan time): the labelled corpus
of the discovery tests written as Parquet, a CSV file, a Spark-written dataset folder, a sampled
scan over several partitions, and a PostgreSQL database read over JDBC.
"""

from __future__ import annotations

import doctest
import json
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
import typer
from corpus import LabelledTable, build_corpus
from typer.testing import CliRunner

from eduguard.cli.scan import register
from eduguard.discovery import api
from eduguard.discovery.report import ScanReport
from eduguard.discovery.sources import DataFrameTable

pytestmark = pytest.mark.spark

# two of the corpus's seven naming styles (the rest differ only in names; the whole corpus is
# compared by bench/spark.py --corpus) and every hard negative, to stay quick on two cores
STYLES = ("pinyin_upper", "opaque")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "eduguard_spark_test"
POSTGRES_JAR = Path("/usr/share/java/postgresql.jar")


def write_parquet(table: DataFrameTable, path: Path) -> None:
    """A table as Parquet, its column comments in the Arrow field metadata (as Spark/Hive do)."""
    arrow = table.frame.to_arrow()
    fields = [
        field.with_metadata({b"comment": table.column_comments[field.name].encode()})
        if field.name in table.column_comments
        else field
        for field in arrow.schema
    ]
    pq.write_table(arrow.cast(pa.schema(fields)), path)


def comparable(report: ScanReport) -> list[dict[str, Any]]:
    tables: list[dict[str, Any]] = report.to_dict()["tables"]
    return tables


def scan_spark(source: str | Path, **options: Any) -> ScanReport:
    from eduguard.discovery import spark

    return spark.scan(str(source), **options)


@pytest.fixture(scope="module")
def corpus() -> list[LabelledTable]:
    return [item for item in build_corpus() if item.hard_negative or item.style in STYLES]


@pytest.fixture(scope="module")
def corpus_folder(corpus: list[LabelledTable], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for item in corpus:
        write_parquet(item.table, folder / f"{item.table.name}.parquet")
    return folder


def test_corpus_reports_are_identical(
    spark: object, corpus: list[LabelledTable], corpus_folder: Path
) -> None:
    local = comparable(api.scan(corpus_folder, sample=None))
    remote = comparable(scan_spark(corpus_folder, sample=None))
    assert [table["name"] for table in remote] == [table["name"] for table in local]
    for ours, theirs in zip(remote, local, strict=True):
        assert ours == theirs, ours["name"]
    # the comparison is not vacuous: the corpus holds what the report is about
    columns = [column for table in local for column in table["columns"]]
    assert len(local) == len(corpus) >= 15
    assert any(table["minors"] for table in local)
    assert any(table["subjects"] for table in local)
    assert sum(column["sensitive"] for column in columns) >= 10
    assert len({code for column in columns for code in column["pi_types"]}) >= 25
    assert any(len(column["pi_types"]) > 1 for column in columns)  # free text, several types


def test_csv_file_and_spark_dataset_folder(
    spark: Any, corpus: list[LabelledTable], tmp_path: Path
) -> None:
    table = corpus[0].table
    csv = tmp_path / "students.csv"
    table.frame.write_csv(csv)
    local = comparable(api.scan(csv, sample=None))
    remote = comparable(scan_spark(csv, sample=None))
    # The local scan of a file a school could post also locates each unmasked value (第 N 行,
    # the publish-check leak, issue #17); the Spark engine reports columns only, not rows.
    located = ("document", "findings", "leak")
    assert local[0]["findings"] and local[0]["leak"] is True
    assert not remote[0].get("findings") and not remote[0].get("leak")
    for report in (*local, *remote):
        for key in located:
            report.pop(key, None)
    assert remote == local

    # a folder Spark wrote (part files, _SUCCESS) is one table named after the folder
    dataset = tmp_path / "lake" / "xs_jbxx"
    spark.createDataFrame(table.frame.to_arrow()).repartition(3).write.parquet(str(dataset))
    assert (dataset / "_SUCCESS").exists()
    (report,) = scan_spark(tmp_path / "lake", sample=None).tables
    expected = api.scan(DataFrameTable("xs_jbxx", table.frame), sample=None).tables[0]
    assert report.name == "xs_jbxx"
    assert report.rows_sampled == table.frame.height
    assert [c.pi_types for c in report.columns] == [c.pi_types for c in expected.columns]
    assert [c.level for c in report.columns] == [c.level for c in expected.columns]

    # ORC the same way
    spark.createDataFrame(table.frame.to_arrow()).write.orc(str(tmp_path / "orc" / "xs_jbxx"))
    (orc,) = scan_spark(tmp_path / "orc", sample=None).tables
    assert orc.to_dict() == report.to_dict()


def test_sample_takes_a_share_of_every_partition(spark: Any, tmp_path: Path) -> None:
    frame = pl.concat([item.table.frame for item in build_corpus(rows=300)[:1]] * 10)
    dataset = tmp_path / "big"
    spark.createDataFrame(frame.to_arrow()).repartition(4).write.parquet(str(dataset))
    full = scan_spark(dataset, sample=None).tables[0]
    sampled = scan_spark(dataset, sample=1001).tables[0]
    assert full.rows_sampled == full.row_count == frame.height == 3000
    assert sampled.rows_sampled == 1001  # 251 + 250 + 250 + 250
    assert sampled.row_count == 3000
    assert [c.pi_types for c in sampled.columns] == [c.pi_types for c in full.columns]
    assert sampled.subjects is not None and full.subjects is not None
    # every row appears ten times, in every partition: people are counted once, as locally
    local = api.scan(DataFrameTable("big", frame), sample=None).tables[0]
    assert full.subjects == local.subjects < frame.height // 5


def test_unreadable_and_missing_sources_are_reported(spark: object, tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    report = scan_spark(tmp_path, sample=None)
    assert report.failed
    assert report.tables[0].error is not None
    assert report.tables[0].error["code"] == "unreadable_table"
    missing = scan_spark(tmp_path / "nothing-here", sample=None)
    assert missing.tables[0].error == {
        "code": "source_not_found",
        "message": f"找不到数据源：{tmp_path / 'nothing-here'}",
    }
    empty = tmp_path / "empty.csv"
    empty.write_text("xm,sfzjh\n", encoding="utf-8")
    assert (
        scan_spark(empty, sample=None).tables[0].error
        == api.scan(empty, sample=None).tables[0].error
    )


@pytest.fixture(scope="module")
def postgres(corpus: list[LabelledTable]) -> str:
    try:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
            connection.execute(sa.text(f"CREATE DATABASE {PG_DB}"))
        admin.dispose()
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is needed: {error}")
    engine = sa.create_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}")
    with engine.begin() as connection:
        for item in [item for item in corpus if item.style == "opaque"][:4]:
            frame, table = item.table.frame, item.table.name.lower()
            columns = ", ".join(f'"{name}" text' for name in frame.columns)
            connection.execute(sa.text(f'CREATE TABLE "{table}" ({columns})'))
            for name, comment in item.table.column_comments.items():
                quoted = comment.replace("'", "''")  # COMMENT takes a literal, not a parameter
                connection.execute(sa.text(f'COMMENT ON COLUMN "{table}"."{name}" IS \'{quoted}\''))
            marks = ", ".join(f":c{index}" for index in range(frame.width))
            connection.execute(
                sa.text(f'INSERT INTO "{table}" VALUES ({marks})'),
                [
                    {f"c{index}": value for index, value in enumerate(row)}
                    for row in frame.cast(pl.String).iter_rows()
                ],
            )
    engine.dispose()
    return f"127.0.0.1:5432/{PG_DB}"


def test_jdbc_tables_match_the_local_database_scan(spark: object, postgres: str) -> None:
    if not POSTGRES_JAR.exists():
        pytest.fail(
            "the PostgreSQL JDBC driver is missing: apt-get install libpostgresql-jdbc-java"
        )
    local = comparable(api.scan(f"postgresql://postgres@{postgres}", sample=None))
    remote = comparable(scan_spark(f"jdbc:postgresql://{postgres}?user=postgres", sample=None))
    assert len(local) == 4
    assert remote == local
    assert any(column["comment"] for table in local for column in table["columns"])
    # one table by name, sampled: the sample's rows, the table's row count
    (one,) = scan_spark(
        f"jdbc:postgresql://{postgres}?user=postgres", table=local[0]["name"], sample=50
    ).tables
    assert (one.name, one.rows_sampled, one.row_count) == (local[0]["name"], 50, 200)


def test_cli_scans_with_spark(spark: object, corpus: list[LabelledTable], tmp_path: Path) -> None:
    write_parquet(corpus[0].table, tmp_path / "xs.parquet")
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """eduguard."""

    register(app)
    result = CliRunner().invoke(
        app,
        ["scan", str(tmp_path), "--engine", "spark", "--master", "local[2]", "-f", "json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["source"] == str(tmp_path)
    assert [table["name"] for table in report["tables"]] == ["xs.parquet"]
    local = api.scan(tmp_path).to_dict()["tables"]
    assert report["tables"] == local
    wrong = CliRunner().invoke(app, ["scan", str(tmp_path), "--master", "local[2]"])
    assert wrong.exit_code == 2
    assert "只能与 --engine spark 一起使用" in wrong.output


def test_cli_without_pyspark_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, corpus_folder: Path
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """eduguard."""

    register(app)
    result = CliRunner().invoke(app, ["scan", str(corpus_folder), "--engine", "spark"])
    assert result.exit_code == 2
    assert "pip install 'eduguard[spark]'" in result.output
    assert "需要 PySpark" in result.output


def test_docstring_examples() -> None:
    from eduguard.discovery import partials
    from eduguard.discovery.spark import compile as spark_compile

    for module in (partials, spark_compile):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__


def test_spark_submit_program_writes_the_report(
    spark: object, corpus: list[LabelledTable], tmp_path: Path
) -> None:
    from eduguard.discovery.spark import submit

    data = tmp_path / "data"
    data.mkdir()
    write_parquet(corpus[1].table, data / "xs.parquet")
    output = tmp_path / "report.json"
    assert submit.main([str(data), "--sample", "all", "--output", str(output)]) == 0
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["tables"] == api.scan(data, sample=None).to_dict()["tables"]
    assert submit.main([str(tmp_path / "missing"), "--output", str(output)]) == 1


def test_primary_grades_compiled_to_sql_give_the_local_minors(
    spark: object, tmp_path: Path
) -> None:
    grades = [
        "三年级2班",
        "初一(3)班",
        "Grade 3",
        "小班",
        "高二(1)班",
        "七年级(5)班",
        " 五年级1班 ",
    ]
    frame = pl.DataFrame(
        {
            "xm": [s + g for s in "王李张刘陈杨黄赵吴周" for g in "伟芳娜敏静丽强磊军洋勇艳杰涛"],
            "bjmc": [grades[i % len(grades)] for i in range(140)],
            "class": ["高三(10)班", None, "", "初二(1)班"] * 35,
        }
    )
    frame.write_parquet(tmp_path / "xs_bj.parquet")
    local = api.scan(tmp_path, sample=None).tables[0]
    (remote,) = scan_spark(tmp_path, sample=None).tables
    assert remote.to_dict() == local.to_dict()
    assert remote.minors
    assert any(
        "100 个年级/班级取值为小学、幼儿园或初一" in line
        for c in remote.columns
        for line in c.evidence
    )
