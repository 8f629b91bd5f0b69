"""Hostile files: symbolic links out of the scanned folder, a 5-million-column line, an xlsx zip
bomb, JSON nested 100,000 deep. Each is a clear error for that file; the folder scan goes on.
The bombs are built here and are small on disk."""

from __future__ import annotations

import io
import secrets
import time
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from eduguard.discovery.api import scan
from eduguard.discovery.connectors import open_source
from eduguard.discovery.connectors._frames import MAX_COLUMNS, rebatch
from eduguard.discovery.sources import FailedTable, SourceError
from eduguard.source_urls import SourcePolicy

from .conftest import write_delimited


def _errors(folder: Path) -> dict[str, str | None]:
    report = scan(str(folder), sample=100)
    return {t.name: (t.error or {}).get("code") for t in report.tables}


def test_symlinks_out_of_the_folder_are_refused_not_followed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    keys = home / "keys"
    keys.mkdir(parents=True)
    secret = f"PLANTED-{secrets.token_hex(8)}"
    (keys / "master.key").write_text(f"{secret}\n1\n")  # read as a CSV, its header is reported
    (keys / "backup.csv").write_text(f"key\n{secret}\n")
    root = tmp_path / "exports"
    root.mkdir()
    write_delimited(root / "good.csv", "utf-8")
    (root / "keys.csv").symlink_to(keys / "master.key")
    (root / "keys").symlink_to(keys, target_is_directory=True)
    (root / "inside.csv").symlink_to(root / "good.csv")  # a link inside the folder is read
    report = scan(str(root), sample=None)
    codes = {t.name: (t.error or {}).get("code") for t in report.tables}
    assert codes == {
        "good.csv": None,
        "inside.csv": None,
        "keys": "path_outside_source",
        "keys.csv": "path_outside_source",
    }
    assert secret not in str(report.to_dict())
    # A registered folder whose root is itself a link into eduguard's home: refused at scan time.
    policy = SourcePolicy(roots=(tmp_path,), forbidden=(home,))
    (tmp_path / "looks-fine").symlink_to(keys, target_is_directory=True)
    [failed] = list(open_source(tmp_path / "looks-fine", policy))
    assert isinstance(failed, FailedTable) and failed.error.code == "source_forbidden"
    # ... and a folder that contains eduguard's home does not walk into it.
    tables = list(open_source(tmp_path, policy))
    assert all(secret not in str(getattr(t, "path", "")) for t in tables)
    names = {t.name: t for t in tables}
    assert isinstance(names["home"], FailedTable)


def test_a_five_million_column_line_is_refused_quickly(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "wide.csv").write_bytes(b"c," * 5_000_000 + b"c\n" + b"1," * 10 + b"1\n")
    write_delimited(folder / "good.csv", "utf-8")
    started = time.monotonic()
    codes = _errors(folder)
    assert time.monotonic() - started < 30
    assert codes == {"good.csv": None, "wide.csv": "too_many_columns"}
    [failed] = list(open_source(folder / "wide.csv"))
    assert isinstance(failed, FailedTable)
    assert f"{MAX_COLUMNS:,}" in failed.error.message_zh


def _xlsx_bomb(path: Path, expanded: int = 256 << 20) -> None:
    """A real workbook whose sheet XML is padded with ``expanded`` bytes of blanks: ~0.3 MB on
    disk, hundreds of MB once inflated."""
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "身份证号"])
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, data)
                continue
            head, tail = data.split(b"<sheetData>", 1)
            with out.open(item.filename, "w", force_zip64=True) as member:
                member.write(head + b"<sheetData>")
                chunk = b" " * (1 << 20)
                for _ in range(expanded // len(chunk)):
                    member.write(chunk)
                member.write(tail)


def test_an_xlsx_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _xlsx_bomb(folder / "bomb.xlsx")
    assert (folder / "bomb.xlsx").stat().st_size < 2 << 20
    write_delimited(folder / "good.csv", "utf-8")
    started = time.monotonic()
    assert _errors(folder) == {"bomb.xlsx": "zip_bomb", "good.csv": None}
    assert time.monotonic() - started < 20


def test_json_nested_too_deep_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "deep-object.json").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    (folder / "fairly-deep.json").write_text('[{"a": ' + "[" * 150 + "]" * 150 + "}]")
    (folder / "deep.jsonl").write_text('{"a": 1}\n' + '{"a":' * 100_000 + "1" + "}" * 100_000)
    (folder / "ok.json").write_text('[{"xm": "张三"}]')
    assert _errors(folder) == {
        "deep-object.json": "json_too_deep",
        "deep.json": "json_too_deep",
        "deep.jsonl": "json_too_deep",
        "fairly-deep.json": "json_too_deep",
        "ok.json": None,
    }


def test_reading_one_file_is_bounded_in_time() -> None:
    def slow() -> object:
        for _ in range(3):
            time.sleep(0.05)
            yield pl.DataFrame({"a": ["1"]})

    with pytest.raises(SourceError) as caught:
        list(rebatch(slow(), 1, None, "slow.csv", seconds=0.01))  # type: ignore[arg-type]
    assert caught.value.code == "file_too_slow"
    assert "slow.csv" in caught.value.message_zh
