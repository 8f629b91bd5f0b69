"""Excel as schools publish it: merged title, notes row, two-level header, hidden sheet/rows/columns."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from eduguard.discovery.connectors import sheets

from .conftest import NOTE, TITLE, findings, people, scan, table_named


def make_workbook(path: Path, hide: bool = False) -> Path:
    pupils = people(6, hide)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "公示"
    sheet["A1"] = TITLE
    sheet.merge_cells("A1:G1")
    sheet["A2"] = "填报单位：学生资助管理中心    单位：元"
    sheet.merge_cells("A2:G2")
    for column, label in zip("ABCD", ["序号", "姓名", "身份证号", "资助金额"], strict=True):
        sheet[f"{column}3"] = label
        sheet.merge_cells(f"{column}3:{column}4")  # one header over both header rows
    sheet["E3"] = "家庭成员"
    sheet.merge_cells("E3:F3")
    sheet["E4"], sheet["F4"] = "姓名", "关系"
    # G3:G4 left empty: the bank card numbers sit under an empty header cell
    for row, pupil in enumerate(pupils, start=5):
        parent = pupil["name"][0] + ("*" if hide else "大") + "山"
        sheet.append([row - 4, pupil["name"], pupil["id"], 2000, parent, "父亲", pupil["card"]])
    sheet.cell(row=5 + len(pupils), column=1, value=NOTE)
    sheet.merge_cells(
        start_row=5 + len(pupils), start_column=1, end_row=5 + len(pupils), end_column=7
    )
    sheet.row_dimensions[7].hidden = True
    sheet.column_dimensions["G"].hidden = True
    raw = book.create_sheet("原始数据")
    raw.append(["姓名", "身份证号", "手机号"])
    for pupil in pupils:
        raw.append([pupil["name"], pupil["id"], pupil["phone"]])
    raw.sheet_state = "hidden"
    book.save(path)
    return path


def test_title_notes_and_two_level_header_are_told_apart(tmp_path: Path) -> None:
    report = scan(make_workbook(tmp_path / "助学金公示.xlsx"))
    table = table_named(report, "助学金公示.xlsx:公示")
    names = [column.name for column in table.columns]
    assert names == [
        "序号", "姓名", "身份证号", "资助金额", "家庭成员/姓名", "家庭成员/关系", "column_7",
    ]  # fmt: skip
    assert table.rows_sampled == 6  # the notes row below the table is not a pupil
    assert table.comment == TITLE
    columns = {column.name: column for column in table.columns}
    assert columns["身份证号"].pi_types == ["CN_RESIDENT_ID"]
    assert "BANK_CARD" in columns["column_7"].pi_types  # found by its values alone
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert ids["where"][0] == "公示!C5"
    assert "公示!C7（隐藏行）" in ids["where"]
    [cards] = findings(table, "BANK_CARD")
    assert cards["where"][0] == "公示!G5（隐藏列）"
    assert table.hidden == {"rows": ["7"], "columns": ["G"]}
    assert table.leak
    notes = table_named(report, "助学金公示.xlsx:公示:说明")
    assert notes.document is not None and notes.document["part"] == "text"


def test_a_hidden_sheet_is_reported_hidden_with_its_leaks(tmp_path: Path) -> None:
    report = scan(make_workbook(tmp_path / "助学金公示.xlsx"))
    raw = table_named(report, "助学金公示.xlsx:原始数据")
    assert raw.hidden == {"sheet": ["hidden"]}
    assert raw.to_dict()["hidden"] == {"sheet": ["hidden"]}
    [phones] = findings(raw, "MOBILE_PHONE")
    assert phones["unmasked"] == 6
    assert phones["where"][0] == "原始数据!C2（隐藏工作表）"
    assert raw.leak


def test_masked_twin_stays_clean(tmp_path: Path) -> None:
    report = scan(make_workbook(tmp_path / "助学金公示.xlsx", hide=True))
    assert not any(table.error for table in report.tables)
    assert not any(table.leak for table in report.tables)
    table = table_named(report, "助学金公示.xlsx:公示")
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert (ids["masked"], ids["unmasked"]) == (6, 0)


def test_a_large_workbook_is_streamed_and_still_finds_its_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheets, "LAYOUT_MAX_BYTES", 0)  # as if the file were large
    report = scan(make_workbook(tmp_path / "助学金公示.xlsx"))
    table = table_named(report, "助学金公示.xlsx:公示")
    columns = {column.name: column for column in table.columns}
    # without merge information the vertical merges read as gaps, the header still as a header
    assert "CN_RESIDENT_ID" in columns["身份证号"].pi_types
    assert "column_7" in columns and "BANK_CARD" in columns["column_7"].pi_types
    assert table.comment is None  # streamed: no merges, no notes
    # …but a workbook can be posted as it is: its unmasked IDs are a leak, by data row
    assert table.leak and table.document is not None
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert ids["unmasked"] > 0 and ids["where"][0].startswith("公示 第 1 个数据行")


def test_a_large_workbooks_copy_is_streamed_masked_and_drops_its_hidden_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past LAYOUT_MAX_BYTES the check reads row by row and the copy is written so (openpyxl
    read-only in, write-only out): PI columns masked, the hidden sheet — known when streamed —
    reported and dropped, the aid amount kept; the copy scans clean."""
    from eduguard.protection.publish import check_file
    from eduguard.protection.publish_fix import can_fix, write_fixed

    monkeypatch.setattr(sheets, "LAYOUT_MAX_BYTES", 0)  # as if the file were large
    source = make_workbook(tmp_path / "助学金公示.xlsx")
    check = check_file(source)
    assert any(r.kind == "hidden" and "原始数据" in r.message for r in check.reasons)
    assert check.verdict == "fix" and can_fix(check)
    fixed = tmp_path / "助学金公示_脱敏.xlsx"
    write_fixed(check, source, fixed)
    book = openpyxl.load_workbook(fixed)
    assert book.sheetnames == ["公示"]
    rows = list(book["公示"].iter_rows(values_only=True))
    header = list(rows[0])
    first = dict(zip(header, rows[1], strict=False))
    assert str(first["姓名"])[1] == "*" and "*" * 10 in str(first["身份证号"])
    assert str(first["资助金额"]) == "2000"
    assert not any(table.leak for table in scan(fixed).tables)
