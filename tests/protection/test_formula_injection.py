"""``eduguard mask --format xlsx|csv``: column names and kept values that look like formulas
come out as text (a leading quote), control characters escaped; CSV starts with a BOM."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from eduguard.cli.mask import register
from eduguard.config import get_settings

from .conftest import students

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ['=HYPERLINK("http://127.0.0.1/x","点击")', "+86-1", "-1+2", "@SUM(1)", "\r=1", "a\x1bb"]


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
def source(tmp_path: Path) -> Path:
    frame = students(30)
    notes = [HOSTILE[n % len(HOSTILE)] for n in range(frame.height)]
    frame = frame.with_columns(
        pl.Series("bj", notes),  # not personal: kept as it is
        pl.Series("=cmd|' /C calc'!A0", notes),
        pl.Series("@备注", notes),
    )
    path = tmp_path / "students.parquet"
    frame.write_parquet(path)
    return path


def _mask(app: typer.Typer, source: Path, output: Path) -> None:
    result = CliRunner().invoke(app, ["mask", str(source), "--output", str(output)])
    assert result.exit_code == 0, result.output


def _check(texts: list[str]) -> None:
    assert not [t for t in texts if t.startswith(FORMULA_START)], texts
    assert not any("\x1b" in t for t in texts)
    assert "'=cmd|' /C calc'!A0" in texts and "'@备注" in texts
    assert '\'=HYPERLINK("http://127.0.0.1/x","点击")' in texts and "a\\x1bb" in texts


def test_mask_xlsx_cells_are_text(app: typer.Typer, source: Path, tmp_path: Path) -> None:
    output = tmp_path / "masked.xlsx"
    _mask(app, source, output)
    workbook = openpyxl.load_workbook(output)
    cells = [cell for row in workbook.active.iter_rows() for cell in row]  # type: ignore[union-attr]
    workbook.close()
    assert all(cell.data_type != "f" for cell in cells)
    _check([cell.value for cell in cells if isinstance(cell.value, str)])


def test_mask_csv_cells_are_text_and_excel_reads_its_encoding(
    app: typer.Typer, source: Path, tmp_path: Path
) -> None:
    output = tmp_path / "masked.csv"
    _mask(app, source, output)
    raw = output.read_bytes()
    assert raw.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(table) == 31 and all(len(row) == len(table[0]) for row in table)
    _check([cell for row in table for cell in row])
    assert pl.read_csv(output, infer_schema=False).columns[0] == "xm"  # BOM skipped
