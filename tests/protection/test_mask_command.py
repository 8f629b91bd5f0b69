"""``eduguard mask``: files and database tables in, a de-identified copy and its report out."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from eduguard.cli.mask import register
from eduguard.config import get_settings
from eduguard.protection import job as job_module
from eduguard.protection import writers
from eduguard.protection.writers import TableWriter

from .conftest import students

POSTGRES_URL = os.environ.get(
    "EDUGUARD_TEST_POSTGRES_URL", "postgresql://postgres:root@127.0.0.1:5432/test"
)
PERSONAL = ("xm", "sfzjh", "sjh", "yx", "yhkh")


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("EDUGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EDUGUARD_PSEUDONYM_KEY", raising=False)
    get_settings.cache_clear()
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """eduguard."""

    register(root)
    yield root
    get_settings.cache_clear()


@pytest.fixture
def source(tmp_path: Path) -> tuple[Path, pl.DataFrame]:
    frame = students(400)
    path = tmp_path / "students.csv"
    frame.write_csv(path)
    return path, frame


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["mask", *args])
    return result.exit_code, result.output


def assert_no_original_values(out: pl.DataFrame, original: pl.DataFrame) -> None:
    for column in PERSONAL:
        leaked = set(out[column].drop_nulls()) & set(original[column])
        assert not leaked, (column, list(leaked)[:3])
    text = "\n".join(out["bz"].to_list())
    for column in ("sfzjh", "sjh"):
        assert not any(value in text for value in original[column])
    # every guardian's and student's full name is gone from the notes
    assert not any(name in text for name in original["xm"] if len(name) == 3)


def test_csv_copy_report_and_source_untouched(
    app: typer.Typer, source: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    path, original = source
    before = digest(path)
    output = tmp_path / "out" / "masked.csv"
    output.parent.mkdir()
    code, text = invoke(app, str(path), "--output", str(output))
    assert code == 0, text
    assert digest(path) == before
    out = pl.read_csv(output, infer_schema=False)
    assert out.columns == original.columns and out.height == original.height
    assert_no_original_values(out, original)
    assert out["xm"][0][0] == original["xm"][0][0]  # 张*三: the surname stays
    assert out["jtzz"].str.contains("学府路").sum() == 0  # addresses cut to their district
    assert out["bj"].to_list() == original["bj"].to_list()  # not personal: copied as it is
    report = json.loads((tmp_path / "out" / "masked.csv.report.json").read_text(encoding="utf-8"))
    columns = {column["column"]: column for column in report["tables"][0]["columns"]}
    assert columns["sfzjh"]["operator"] == "mask" and columns["sfzjh"]["rows_changed"] == 400
    assert columns["bj"]["operator"] == "keep" and columns["bj"]["rows_changed"] == 0
    assert columns["bz"]["free_text"] and columns["bz"]["spans_masked"]["MOBILE_PHONE"] == 400
    assert columns["jtzz"]["operator"] == "generalise"
    key_file = tmp_path / "home" / "keys" / "pseudonym.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_policy_pseudonyms_join_two_tables(app: typer.Typer, tmp_path: Path) -> None:
    frame = students(200)
    frame.select("sfzjh", "xm").write_csv(tmp_path / "a.csv")
    frame.select("sfzjh", "cj").reverse().write_csv(tmp_path / "b.csv")
    policy = tmp_path / "p.toml"
    policy.write_text('[types.CN_RESIDENT_ID]\noperator = "pseudonymise"\n', encoding="utf-8")
    for name in ("a", "b"):
        code, text = invoke(
            app, str(tmp_path / f"{name}.csv"), "--policy", str(policy),
            "--output", str(tmp_path / f"{name}.parquet"),
        )  # fmt: skip
        assert code == 0, text
    left = pl.read_parquet(tmp_path / "a.parquet")
    right = pl.read_parquet(tmp_path / "b.parquet")
    assert left.join(right, on="sfzjh").height == 200
    assert not set(left["sfzjh"]) & set(frame["sfzjh"])


def test_bad_policy_changes_nothing_and_names_the_problem(
    app: typer.Typer, source: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    path, _ = source
    before = digest(path)
    policy = tmp_path / "bad.toml"
    policy.write_text('[types.PHONE]\noperator = "blur"\n', encoding="utf-8")
    output = tmp_path / "never.csv"
    code, text = invoke(app, str(path), "--policy", str(policy), "--output", str(output))
    assert code == 2
    flat = text.replace("\n", "")  # the terminal wraps the long list of allowed codes
    assert "[types.PHONE]" in flat  # where the problem is: printed, not read as rich markup
    assert "PHONE" in flat and "MOBILE_PHONE" in flat and "blur" in flat and "mask" in flat
    assert not output.exists() and digest(path) == before
    assert {p.name for p in tmp_path.iterdir()} == {"students.csv", "bad.toml"}


@pytest.mark.parametrize("stage", ["write", "rename"])
def test_failure_part_way_leaves_nothing(
    app: typer.Typer,
    source: tuple[Path, pl.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stage: str,
) -> None:
    path, _ = source
    output = tmp_path / "half.csv"

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    if stage == "write":
        monkeypatch.setattr(TableWriter, "write", broken)
    else:  # everything written to the temporary file, then the rename fails
        monkeypatch.setattr(writers.os, "replace", broken)
    code, text = invoke(app, str(path), "--output", str(output))
    assert code == 1 and "写入失败" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "students.csv"]


def test_output_cannot_be_the_source(app: typer.Typer, source: tuple[Path, pl.DataFrame]) -> None:
    path, _ = source
    before = digest(path)
    code, text = invoke(app, str(path), "--output", str(path))
    assert code == 1 and "源数据" in text
    assert digest(path) == before


def test_xlsx_output(app: typer.Typer, source: tuple[Path, pl.DataFrame], tmp_path: Path) -> None:
    path, original = source
    output = tmp_path / "masked.xlsx"
    code, text = invoke(app, str(path), "--output", str(output))
    assert code == 0, text
    workbook = openpyxl.load_workbook(output, read_only=True)
    sheet = workbook.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    workbook.close()  # a read-only workbook left open warns at a random later test
    assert list(rows[0]) == original.columns and len(rows) == 401
    laid_out = openpyxl.load_workbook(output)["data"]  # office-ready: frozen header, filter
    assert laid_out.freeze_panes == "A2" and laid_out.auto_filter.ref.endswith("401")
    assert rows[1][1] != original["sfzjh"][0] and str(rows[1][1]).endswith(
        original["sfzjh"][0][-4:]
    )


def test_sqlite_tables_to_a_folder(app: typer.Typer, tmp_path: Path) -> None:
    frame = students(150)
    database = tmp_path / "school.db"
    with sqlite3.connect(database) as connection:
        connection.execute(f"CREATE TABLE xs ({', '.join(f'{c} TEXT' for c in frame.columns)})")
        connection.executemany(
            f"INSERT INTO xs VALUES ({', '.join('?' * len(frame.columns))})", frame.rows()
        )
        connection.execute("CREATE TABLE jz (xm TEXT, sjh TEXT)")
        connection.executemany("INSERT INTO jz VALUES (?, ?)", frame.select("xm", "sjh").rows())
    connection.close()
    before = digest(database)
    output = tmp_path / "masked"
    code, text = invoke(
        app, f"sqlite:///{database}", "--output", str(output), "--format", "parquet"
    )
    assert code == 0, text
    assert digest(database) == before
    assert sorted(p.name for p in output.iterdir()) == [
        "jz.parquet",
        "mask-report.json",
        "xs.parquet",
    ]
    assert_no_original_values(pl.read_parquet(output / "xs.parquet"), frame)
    assert not set(pl.read_parquet(output / "jz.parquet")["sjh"]) & set(frame["sjh"])
    code, text = invoke(app, f"sqlite:///{database}", "--output", str(output))
    assert code == 1 and "不为空" in text


def test_postgresql_table(app: typer.Typer, tmp_path: Path) -> None:
    frame = students(120)
    schema = f"eg_mask_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            frame.write_database(f'"{schema}".xs', connection, if_table_exists="fail")
        output = tmp_path / "xs.csv"
        code, text = invoke(app, POSTGRES_URL, "--table", f"{schema}.xs", "--output", str(output))
        assert code == 0, text
        assert_no_original_values(pl.read_csv(output, infer_schema=False), frame)
        with engine.connect() as connection:  # the source table is as it was
            count = connection.execute(
                sa.text(f'SELECT count(*) FROM "{schema}".xs WHERE sfzjh = :v'),
                {"v": frame["sfzjh"][0]},
            ).scalar_one()
        assert count == 1
        code, text = invoke(app, POSTGRES_URL, "--table", "no_such", "--output", str(output))
        assert code == 1 and "no_such" in text
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def test_k_anonymity_through_the_command(
    app: typer.Typer, source: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    path, _ = source
    output = tmp_path / "k.csv"
    code, text = invoke(
        app, str(path), "--output", str(output), "--k", "5", "--l", "2",
        "--quasi", "csrq,bj,cj", "--sensitive", "jtzz",
    )  # fmt: skip
    assert code == 0, text
    report = json.loads((tmp_path / "k.csv.report.json").read_text(encoding="utf-8"))
    model = report["tables"][0]["k_anonymity"]
    assert model["k_achieved"] >= 5 and model["l_achieved"] >= 2
    out = pl.read_csv(output, infer_schema=False)
    sizes = out.group_by("csrq", "bj", "cj").agg(pl.len(), pl.col("jtzz").n_unique())
    assert sizes["len"].min() >= 5 and sizes["jtzz"].min() >= 2
    code, text = invoke(app, str(path), "--output", str(output), "--k", "5", "--quasi", "nope")
    assert code == 1 and "nope" in text
    code, text = invoke(
        app, str(path), "--output", str(output), "--k", "5", "--l", "2", "--quasi", "bj"
    )
    assert code == 2 and "--sensitive" in text


def test_report_path_for_files_and_folders() -> None:
    assert job_module.report_path(Path("x/out.csv")) == Path("x/out.csv.report.json")
    assert job_module.report_path(Path("x/out")) == Path("x/out/mask-report.json")


def test_suppressed_column_first(app: typer.Typer, tmp_path: Path) -> None:
    """Only literal operators in a batch (a suppressed 民族 before a column left alone) once
    made a one-row frame and a ShapeError traceback."""
    source = tmp_path / "民族.csv"
    source.write_text("民族,备注\n汉族,好\n回族,好\n壮族,好\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    code, text = invoke(app, str(source), "--output", str(output))
    assert code == 0, text
    assert "Traceback" not in text
    out = pl.read_csv(output)
    assert out.height == 3
    assert out["民族"].null_count() == 3
    assert out["备注"].to_list() == ["好", "好", "好"]
