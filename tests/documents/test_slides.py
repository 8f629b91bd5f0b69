"""PowerPoint decks (issue #17): a 表彰 deck with a table of pupils, a text box and speaker
notes; the leak is found at its slide, table and row, the masked twin stays clean, and
publish-check says 需处理 for the one and not for the other."""

from __future__ import annotations

from pathlib import Path

import pptx
from pptx.util import Inches

from eduguard.protection.publish import check_file

from .conftest import HEADER, findings, rows, scan, table_named


def make_pptx(path: Path, hide: bool = False) -> Path:
    deck = pptx.Presentation()
    cover = deck.slides.add_slide(deck.slide_layouts[5])
    cover.shapes.title.text = "2026年秋季学期国家助学金拟资助学生公示"
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "拟资助学生名单"
    data = rows(4, hide)
    shape = slide.shapes.add_table(
        len(data) + 1, len(HEADER), Inches(0.5), Inches(1.5), Inches(9), Inches(3)
    )
    for column, label in enumerate(HEADER):
        shape.table.cell(0, column).text = label
    for r, row in enumerate(data, start=1):
        for column, value in enumerate(row):
            shape.table.cell(r, column).text = value
    phone = "139****0001" if hide else "13900000001"
    slide.notes_slide.notes_text_frame.text = f"如有异议请联系李老师，电话{phone}。"
    deck.save(str(path))
    return path


def test_a_decks_table_and_notes_are_read_with_their_places(tmp_path: Path) -> None:
    report = scan(make_pptx(tmp_path / "表彰.pptx"))
    assert not any(table.error for table in report.tables)
    table = table_named(report, "表彰.pptx:幻灯片2表格1")
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert ids["unmasked"] == 4 and table.leak
    assert str(ids["where"][0]).startswith("第 2 张幻灯片 表格 1 第 2 行")
    prose = table_named(report, "表彰.pptx:正文")
    [phone] = findings(prose, "MOBILE_PHONE")
    assert phone["where"] == ["第 2 张幻灯片备注"]
    assert check_file(tmp_path / "表彰.pptx").verdict == "fix"


def test_the_masked_deck_stays_clean(tmp_path: Path) -> None:
    report = scan(make_pptx(tmp_path / "表彰_脱敏.pptx", hide=True))
    assert not any(table.leak for table in report.tables)
    table = table_named(report, "表彰_脱敏.pptx:幻灯片2表格1")
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert (ids["masked"], ids["unmasked"]) == (4, 0)
    assert check_file(tmp_path / "表彰_脱敏.pptx").verdict != "fix"
