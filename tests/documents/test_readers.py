"""Word, PDF, HTML and text documents: each leak found at its location, each masked twin clean.

Also the bad files a school folder holds (a corrupt .docx, an encrypted PDF, a scanned PDF, a
zip bomb, a 200 MB file): each is a clear error in the report and the rest is still scanned.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from eduguard.discovery.connectors import open_source
from eduguard.discovery.connectors.documents import DocumentPart

from .conftest import (
    HEADER,
    findings,
    make_docx,
    make_encrypted_pdf,
    make_html,
    make_pdf,
    make_scanned_pdf,
    people,
    rows,
    scan,
    table_named,
)

IDENTIFIERS = ("PERSON_NAME", "CN_RESIDENT_ID", "BANK_CARD", "MOBILE_PHONE")


def _unmasked(table: object, code: str) -> int:
    return sum(int(str(f["unmasked"])) for f in findings(table, code))  # type: ignore[arg-type]


def test_word_table_under_a_merged_title_is_read_and_located(tmp_path: Path) -> None:
    report = scan(make_docx(tmp_path / "公示.docx"))
    table = table_named(report, "公示.docx:表格1")
    columns = {column.name: column for column in table.columns}
    # the merged title row is the table's title, not its header
    assert list(columns) == ["序号", "姓名", "身份证号", "银行卡号", "联系电话"]
    assert table.comment == "2026年秋季学期国家助学金拟资助学生公示名单"
    assert columns["身份证号"].pi_types == ["CN_RESIDENT_ID"]
    assert columns["银行卡号"].pi_types == ["BANK_CARD"]
    assert table.leak is True and table.document == {
        "path": "公示.docx",
        "format": "docx",
        "part": "table",
    }
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert ids["unmasked"] == 6 and ids["masked"] == 0
    # row 1 of the Word table is the title, row 2 the header: the first pupil is row 3
    assert ids["where"][0] == "表格 1 第 3 行，第 3 列（身份证号）"
    assert ids["where"][-1] == "表格 1 第 8 行，第 3 列（身份证号）"
    prose = table_named(report, "公示.docx:正文")
    [phone] = findings(prose, "MOBILE_PHONE")
    assert phone["where"] == ["段落 2"] and prose.leak is True
    # the JSON carries locations and counts, never the values found
    text = str(report.to_dict())
    assert people(6)[0]["id"] not in str(table.findings)
    assert "findings" in text and "leak" in text


def test_word_masked_twin_stays_clean(tmp_path: Path) -> None:
    report = scan(make_docx(tmp_path / "公示.docx", hide=True))
    assert not any(table.leak for table in report.tables)
    table = table_named(report, "公示.docx:表格1")
    for code in IDENTIFIERS:
        assert _unmasked(table, code) == 0
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert ids["masked"] == 6


def test_pdf_table_across_pages_is_one_table_with_pages_kept(tmp_path: Path) -> None:
    report = scan(make_pdf(tmp_path / "名单.pdf", count=70))
    [table] = [t for t in report.tables if t.name.startswith("名单.pdf:表格")]
    assert table.rows_sampled == 70  # the header repeated on page 2 is not a row
    assert table.comment == "2026年秋季学期国家助学金拟资助学生公示名单"
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert ids["unmasked"] == 70
    [cards] = findings(table, "BANK_CARD")
    assert cards["unmasked"] == 70
    assert ids["where"][0].startswith("第 1 页 第 3 行")
    pages = {where.split(" 第 ")[0] for where in _all_rows(tmp_path / "名单.pdf")}
    assert pages == {"第 1 页", "第 2 页"}
    assert table.leak


def _all_rows(path: Path) -> list[str]:
    [part, *_] = [t for t in open_source(str(path)) if isinstance(t, DocumentPart)]
    return part.locations


def test_pdf_masked_twin_stays_clean(tmp_path: Path) -> None:
    report = scan(make_pdf(tmp_path / "名单.pdf", hide=True, count=70))
    assert not any(table.error for table in report.tables)
    assert not any(table.leak for table in report.tables)
    [table] = [t for t in report.tables if t.name.startswith("名单.pdf:表格")]
    assert [f["masked"] for f in findings(table, "CN_RESIDENT_ID")] == [70]


def test_scanned_pdf_needs_ocr_and_is_never_clean(tmp_path: Path) -> None:
    report = scan(make_scanned_pdf(tmp_path / "扫描件.pdf"))
    [table] = report.tables
    assert table.error is not None and table.error["code"] == "needs_ocr"
    assert "需要OCR" in table.error["message"]
    assert report.failed


def test_html_table_with_a_two_level_header(tmp_path: Path) -> None:
    report = scan(make_html(tmp_path / "公示.html"))
    table = table_named(report, "公示.html:表格1")
    names = [column.name for column in table.columns]
    assert names == ["序号", "姓名", "身份证号", "家庭成员/姓名", "家庭成员/关系"]
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert ids["where"][0] == "表格 1 第 3 行，第 3 列（身份证号）"
    assert _unmasked(table, "PERSON_NAME") == 10  # pupils and their parents
    prose = table_named(report, "公示.html:正文")
    [phone] = findings(prose, "MOBILE_PHONE")
    assert phone["where"] == ["正文第 2 段"]  # not the script's number: scripts are dropped
    assert prose.comment == "2026年秋季学期国家助学金拟资助学生公示名单"


def test_html_masked_twin_stays_clean_and_gbk_pages_are_read(tmp_path: Path) -> None:
    clean = scan(make_html(tmp_path / "clean.html", hide=True))
    assert not any(table.leak for table in clean.tables)
    gbk = scan(make_html(tmp_path / "gbk.html", encoding="gbk"))
    table = table_named(gbk, "gbk.html:表格1")
    assert _unmasked(table, "CN_RESIDENT_ID") == 5


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_text_notes_are_scanned_line_by_line(tmp_path: Path, encoding: str) -> None:
    pupil = people(1)[0]
    lines = [
        "家访记录",
        "",
        f"学生家长反映情况，身份证号{pupil['id']}，已登记。",
        "下次回访时间待定。",
    ]
    path = tmp_path / "家访记录.txt"
    path.write_bytes("\n".join(lines).encode(encoding))
    report = scan(path)
    [table] = report.tables
    assert table.name == "家访记录.txt:正文"
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert ids["where"] == ["第 3 行"] and table.leak


def test_a_tab_separated_txt_is_still_a_table(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    pupils = people(3)
    path.write_text(
        "姓名\t身份证号\n" + "".join(f"{p['name']}\t{p['id']}\n" for p in pupils), encoding="utf-8"
    )
    [table] = scan(path).tables
    assert [column.name for column in table.columns] == ["姓名", "身份证号"]
    # a table file can be posted as it is: plain `scan` locates and marks its leak as
    # publish-check does (issue #17)
    assert table.leak and table.document == {"path": "export.txt", "format": "txt", "part": "table"}
    [ids] = findings(table, "CN_RESIDENT_ID")
    assert ids["where"][0] == "第 2 行，“身份证号”列"


def _bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (20 << 20))
    return path


def test_bad_documents_are_clear_errors_and_the_folder_goes_on(tmp_path: Path) -> None:
    make_docx(tmp_path / "a_good.docx")
    (tmp_path / "corrupt.docx").write_bytes(b"PK\x03\x04 this is not a real Word file")
    make_encrypted_pdf(tmp_path / "encrypted.pdf", make_pdf(tmp_path / "plain.pdf", count=5))
    make_scanned_pdf(tmp_path / "scanned.pdf")
    _bomb(tmp_path / "bomb.docx")
    with (tmp_path / "huge.pdf").open("wb") as handle:  # sparse: 200 MB without writing them
        handle.truncate(200 << 20)
    make_html(tmp_path / "z_last.html")
    report = scan(tmp_path)
    errors = {t.name: t.error["code"] for t in report.tables if t.error is not None}
    assert errors == {
        "bomb.docx": "zip_bomb",
        "corrupt.docx": "unreadable_file",
        "encrypted.pdf": "encrypted_file",
        "huge.pdf": "file_too_large",
        "scanned.pdf:需要OCR": "needs_ocr",
    }
    messages = {t.name: t.error["message"] for t in report.tables if t.error is not None}
    assert "Word 文档" in messages["corrupt.docx"] and "损坏" in messages["corrupt.docx"]
    assert "密码" in messages["encrypted.pdf"]
    assert "200 MB" in messages["huge.pdf"]
    scanned = {t.name for t in report.tables if t.error is None}
    assert {"a_good.docx:表格1", "plain.pdf:表格1", "z_last.html:表格1"} <= scanned
    assert table_named(report, "z_last.html:表格1").leak


def test_a_deck_without_its_reader_says_so_and_not_that_it_is_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "表彰.pptx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
    monkeypatch.setitem(sys.modules, "pptx", None)  # import pptx raises ImportError
    [table] = scan(path).tables
    assert table.error is not None and table.error["code"] == "reader_missing"
    assert "python-pptx" in table.error["message"] and "损坏" not in table.error["message"]


def test_word_comments_and_footers_are_scanned(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("评审意见：同意。")
    document.add_comment(paragraph.runs[0], text="该生家长电话13912345678，已核实", author="王老师")
    document.sections[0].footer.paragraphs[0].text = "联系人：赵老师 13800001111"
    path = tmp_path / "评审.docx"
    document.save(str(path))
    [table] = scan(path).tables
    [phones] = findings(table, "MOBILE_PHONE")
    assert sorted(phones["where"]) == ["批注 1", "第 1 节页脚"]


def test_word_two_level_header_with_vertical_and_horizontal_merges(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=4, cols=4)
    for column, label in enumerate(["序号", "姓名"]):
        table.cell(0, column).merge(table.cell(1, column)).text = label
    table.cell(0, 2).merge(table.cell(0, 3)).text = "家庭成员"
    table.cell(1, 2).text, table.cell(1, 3).text = "姓名", "关系"
    for row, pupil in enumerate(people(2), start=2):
        for column, value in enumerate([str(row - 1), pupil["name"], "王大山", "父亲"]):
            table.cell(row, column).text = value
    path = tmp_path / "家庭.docx"
    document.save(str(path))
    [part] = [t for t in open_source(str(path)) if isinstance(t, DocumentPart)]
    assert part.frame.columns == ["序号", "姓名", "家庭成员/姓名", "家庭成员/关系"]
    assert part.frame.height == 2 and part.locations == ["表格 1 第 3 行", "表格 1 第 4 行"]


def test_plain_scan_marks_a_csv_publication_that_leaks_and_not_its_masked_twin(
    tmp_path: Path,
) -> None:
    """Issue #17: `eduguard scan` of a 公示 CSV says it leaks, as publish-check does; the same
    list masked per the 公示 conventions does not."""
    for hide in (False, True):
        path = tmp_path / f"助学金公示{'_脱敏' if hide else ''}.csv"
        path.write_text(
            ",".join(HEADER) + "\n" + "".join(",".join(r) + "\n" for r in rows(6, hide)),
            encoding="utf-8",
        )
        [table] = scan(path).tables
        [ids] = findings(table, "CN_RESIDENT_ID")
        assert table.document is not None and table.document["format"] == "csv"
        if hide:
            assert not table.leak and (ids["masked"], ids["unmasked"]) == (6, 0)
        else:
            assert table.leak and ids["unmasked"] == 6
            assert ids["where"][0] == "第 2 行，“身份证号”列"


def test_an_aid_programmes_name_in_prose_is_no_ones_money(tmp_path: Path) -> None:
    """国家助学金 in a title or a policy sentence names a programme, not a person's finances;
    a person's aid status in prose still is FINANCIAL."""
    path = tmp_path / "通知.txt"
    path.write_text(
        "2026年秋季学期国家助学金拟资助学生公示名单\n国家助学金分三档，生源地助学贷款另行通知。\n"
        "家访记录：该生家庭经济特别困难，系低保户。\n",
        encoding="utf-8",
    )
    [table] = scan(path).tables
    [money] = findings(table, "FINANCIAL")
    assert set(money["where"]) == {"第 3 行"}  # two spans on line 3, none on the first two
