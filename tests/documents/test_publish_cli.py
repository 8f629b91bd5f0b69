"""``eduguard publish-check``: a verdict per document, each reason located, a copy that is clean."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import typer
from typer.testing import CliRunner

from eduguard.cli.publish import EXIT_CONFIRM, EXIT_FIX, register
from eduguard.discovery import api
from eduguard.protection.publish import check_file

from .conftest import HEADER, NOTE, make_docx, make_pdf, people, rows
from .test_excel_layout import make_workbook


def _app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """eduguard."""

    register(root)
    return root


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_app(), ["publish-check", *args], env={"COLUMNS": "300"})
    return result.exit_code, result.stdout


def test_a_leaking_workbook_is_fixed_and_its_copy_is_clean(tmp_path: Path) -> None:
    original = make_workbook(tmp_path / "公示.xlsx")
    fixed = tmp_path / "公示_脱敏.xlsx"
    code, out = _run(str(original), "--fix", str(fixed))
    assert code == EXIT_FIX
    assert "公示.xlsx：需处理" in out
    assert "C 列“身份证号”有 6 处未脱敏的居民身份证号" in out and "公示!C5" in out
    assert "G 列（表头为空）有 6 处未脱敏的银行卡号" in out  # under an empty header cell
    assert "删除隐藏工作表“原始数据”" in out and "隐藏行 7、隐藏列 G" in out
    assert "公示期 5个工作日" in out
    book = openpyxl.load_workbook(fixed)
    assert book.sheetnames == ["公示"]
    sheet = book["公示"]
    assert str(sheet["B5"].value)[1] == "*" and "*" * 10 in str(sheet["C5"].value)
    assert sheet["D5"].value == 2000  # the aid amount is what a 公示 is for: kept
    assert sheet["A1"].value and "公示名单" in str(sheet["A1"].value)  # the title is intact
    assert all(cell.value is None for cell in sheet["G"])  # the hidden column is emptied
    code, out = _run(str(fixed))
    assert code == 0, out
    assert "可以发布" in out
    assert not any(table.leak for table in api.scan(fixed, sample=None).tables)


def test_a_csv_copy_in_a_folder_and_json_output(tmp_path: Path) -> None:
    lines = [",".join(HEADER)] + [",".join(row) for row in rows(8)]
    source = tmp_path / "名单.csv"
    source.write_bytes("\r\n".join(lines).encode("gbk"))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out = _run(
        str(source),
        str(make_pdf(tmp_path / "通知.pdf", count=6)),
        "--fix",
        str(out_dir),
        "-f",
        "json",
    )
    assert code == EXIT_FIX
    documents = {doc["name"]: doc for doc in json.loads(out)["documents"]}
    csv = documents["名单.csv"]
    assert csv["leak"] and csv["fixed"] == str(out_dir / "名单_脱敏.csv")
    where = [r["where"] for r in csv["reasons"] if r["pi_type"] == "CN_RESIDENT_ID"]
    assert where and where[0][0] == "第 2 行，“身份证号”列"
    assert documents["通知.pdf"]["fixed"] is None and "暂不能" in documents["通知.pdf"]["fix_error"]
    again = check_file(out_dir / "名单_脱敏.csv")
    assert not again.leak, [r.message for r in again.reasons]


def test_children_named_only_by_the_title_need_confirmation(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "三年级（2）班 2026 年春季“三好学生”拟表彰名单公示"
    sheet.merge_cells("A1:C1")
    sheet.append(["序号", "姓名", "班级"])
    for index in range(1, 9):
        sheet.append(
            [index, f"{'王李张刘陈杨黄赵'[index - 1]}*{'伟芳娜敏静丽强磊'[index - 1]}", "三（2）班"]
        )
    sheet.append([NOTE])
    path = tmp_path / "表彰.xlsx"
    book.save(path)
    check = check_file(path)
    assert check.verdict == "confirm", [r.message for r in check.reasons]
    assert any("通知重点任务第10项" in reason.action for reason in check.reasons)
    code, _out = _run(str(path))
    assert code == EXIT_CONFIRM


def test_a_masked_twin_without_children_may_be_published(tmp_path: Path) -> None:
    lines = ["序号,姓名,联系电话"] + [
        f"{i},王*{'伟芳娜敏静丽强磊'[i]},138****{i:04d}" for i in range(8)
    ]
    source = tmp_path / "教师名单.csv"
    source.write_text("\n".join(lines), encoding="utf-8")
    check = check_file(source)
    assert check.verdict == "publishable", [r.message for r in check.reasons]
    assert _run(str(source))[0] == 0


def test_usage_errors(tmp_path: Path) -> None:
    assert _run(str(tmp_path / "nope.xlsx"))[0] == 2
    original = make_workbook(tmp_path / "a.xlsx")
    assert _run(str(original), "--fix", str(original))[0] == 2
    assert _run(str(original), str(original), "--fix", str(tmp_path / "missing"))[0] == 2


def test_addresses_cut_to_the_district_are_the_convention_not_a_leak(tmp_path: Path) -> None:
    streets = ["珞喻路1037号", "建国路88号3栋", "人民路5号"]
    lines = ["姓名,家庭住址"] + [
        f"{name},湖北省武汉市洪山区{streets[i % 3]}"
        for i, name in enumerate(["王*伟", "李*芳", "张*", "刘*敏", "陈*静", "杨*丽"])
    ]
    source = tmp_path / "住址.csv"
    source.write_text("\n".join(lines), encoding="utf-8")
    check = check_file(source)
    assert check.leak and any(r.pi_type == "ADDRESS" for r in check.reasons)
    fixed = tmp_path / "住址_脱敏.csv"
    code, _out = _run(str(source), "--fix", str(fixed))
    assert code == EXIT_FIX
    assert "湖北省武汉市洪山区\n" in fixed.read_text(encoding="utf-8-sig").replace("\r", "")
    again = check_file(fixed)
    assert not again.leak, [r.message for r in again.reasons]


def test_a_word_copy_keeps_its_layout_and_loses_comments_and_author(tmp_path: Path) -> None:
    import docx

    source = make_docx(tmp_path / "公示.docx")
    document = docx.Document(str(source))
    document.core_properties.author = "王老师"
    document.add_comment(
        document.paragraphs[1].runs, text="核对：联系电话13912345678", author="李四"
    )
    document.add_paragraph("附：王晓雨同学获国家助学金一档，联系电话13912345678。")
    document.save(str(source))
    fixed = tmp_path / "公示_脱敏.docx"
    code, out = _run(str(source), "--fix", str(fixed))
    assert code == EXIT_FIX and "脱敏副本" in out
    copy = docx.Document(str(fixed))
    assert copy.core_properties.author == "" and len(list(copy.comments)) == 0
    cells = [cell.text for cell in copy.tables[0].rows[2].cells]
    assert cells[0] == "1" and cells[1][1] == "*" and "*" * 10 in cells[2]  # 序号 kept
    assert "138****1234" in copy.paragraphs[1].text
    added = copy.paragraphs[-1].text  # the person is masked, what the 公示 is about stays
    assert "王晓雨" not in added and "13912345678" not in added and "国家助学金一档" in added
    again = check_file(fixed)
    assert not again.leak, [r.message for r in again.reasons]


def test_raw_data_in_a_hidden_sheet_is_a_leak_of_a_masked_workbook(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "已脱敏.xlsx", hide=True)
    book = openpyxl.load_workbook(path)
    raw = book["原始数据"]
    for row, pupil in enumerate(people(6), start=2):  # the raw sheet keeps the full values
        raw.cell(row=row, column=2, value=pupil["id"])
    book.save(path)
    check = check_file(path)
    assert check.leak and check.verdict == "fix"
    assert {r.kind for r in check.reasons if r.severity == "fix"} == {"hidden"}


def test_health_results_are_withheld_even_with_masked_names(tmp_path: Path) -> None:
    lines = ["姓名,身份证号,体检结论"] + [
        f"{n},4201**********{1230 + i},{r}"
        for i, (n, r) in enumerate(
            zip(
                ["王*伟", "李*芳", "张*", "刘*敏", "陈*静"],
                ["龋齿", "视力异常", "贫血", "龋齿", "肥胖"],
                strict=True,
            )
        )
    ]
    source = tmp_path / "体检结果.csv"
    source.write_text("\n".join(lines), encoding="utf-8")
    check = check_file(source)
    assert not check.leak and check.verdict == "fix"
    [withheld] = [r for r in check.reasons if r.kind == "sensitive"]
    assert "“体检结论”列" in withheld.message and "通知重点任务第11项" in withheld.message
    fixed = tmp_path / "copy.csv"
    _run(str(source), "--fix", str(fixed))
    text = fixed.read_text(encoding="utf-8-sig")
    assert "龋齿" not in text and "王*伟" in text
