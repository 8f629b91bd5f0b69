"""File and column names of a scanned system that look like formulas (``=HYPERLINK(…)``) are
written to the ``scan --format xlsx`` workbook as text: no cell starts a formula."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import typer
from typer.testing import CliRunner

from eduguard.cli.scan import register

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE_COLUMNS = [
    '=HYPERLINK("http://127.0.0.1/x","点击")',
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "姓名\x1b[2J",
]


def _app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """eduguard."""

    register(root)
    return root


def cells(path: Path) -> list[tuple[str, object, str]]:
    """Every non-empty cell: (sheet, value, openpyxl data type)."""
    workbook = openpyxl.load_workbook(path)
    try:
        return [
            (sheet.title, cell.value, cell.data_type)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ]
    finally:
        workbook.close()


def assert_no_formula(path: Path) -> list[str]:
    found = cells(path)
    texts = [value for _sheet, value, _kind in found if isinstance(value, str)]
    assert not [v for v in texts if v.startswith(FORMULA_START)], texts
    assert all(kind != "f" for _sheet, _value, kind in found)
    assert not any("\x1b" in v for v in texts)
    return texts


def test_scan_xlsx_writes_formula_like_names_as_text(tmp_path: Path) -> None:
    folder = tmp_path / "导出"
    folder.mkdir()
    header = ",".join('"' + name.replace('"', '""') + '"' for name in HOSTILE_COLUMNS)
    rows = "\n".join(f"{n},{n},{n},{n},{n},张{n}" for n in range(1, 6))
    (folder / "=HYPERLINK(1).csv").write_text(header + "\n" + rows + "\n", encoding="utf-8")
    (folder / "@cmd.csv").write_text("+a,b\n1,2\n", encoding="utf-8")
    target = tmp_path / "report.xlsx"
    result = CliRunner().invoke(_app(), ["scan", str(folder), "-f", "xlsx", "-o", str(target)])
    assert result.exit_code == 0, result.output
    texts = assert_no_formula(target)
    assert "'=HYPERLINK(1).csv" in texts and "'@cmd.csv" in texts
    assert '\'=HYPERLINK("http://127.0.0.1/x","点击")' in texts
    assert "'=1" in texts and "姓名\\x1b[2J" in texts
