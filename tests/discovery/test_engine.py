"""scan_table and scan: evidence combined per column, minors, subjects, errors, sampling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import polars as pl
import pytest
from stdnum.iso7064 import mod_11_2

from eduguard.classification import Rules
from eduguard.discovery import DataFrameTable, SourceError, find_spans, scan, scan_table
from eduguard.discovery.report import TableReport
from eduguard.discovery.sources import FailedTable

TODAY = date(2026, 11, 27)


def resident_id(birth: str, sequence: int) -> str:
    body = f"110105{birth}{sequence:03d}"
    return body + mod_11_2.calc_check_digit(body)


def run(
    frame: pl.DataFrame,
    rules: Rules,
    *,
    name: str = "t",
    comments: dict[str, str] | None = None,
    comment: str | None = None,
) -> TableReport:
    table = DataFrameTable(name, frame, comment=comment, column_comments=comments or {})
    return scan_table(table, sample=None, rules=rules, today=TODAY)


def column(report: TableReport, name: str):  # type: ignore[no-untyped-def]
    return next(c for c in report.columns if c.name == name)


def test_values_alone_label_an_unnamed_column_with_evidence(rules: Rules) -> None:
    ids = [resident_id(f"1980{month:02d}15", month) for month in range(1, 13)] * 10
    report = run(pl.DataFrame({"c1": ids}), rules)
    answer = column(report, "c1")
    assert answer.pi_types == ["CN_RESIDENT_ID"]
    assert any("120/120 个值通过 GB 11643 校验位" in line for line in answer.evidence)
    assert answer.level == "general-4"
    assert answer.category == "student.identity"


def test_name_alone_labels_an_empty_column(rules: Rules) -> None:
    report = run(pl.DataFrame({"sfzjh": [None, None]}, schema={"sfzjh": pl.String}), rules)
    answer = column(report, "sfzjh")
    assert answer.pi_types == ["CN_RESIDENT_ID"]
    assert 0.5 <= answer.confidence < 0.75


def test_values_that_contradict_the_name_win(rules: Rules) -> None:
    report = run(pl.DataFrame({"sfzh": ["abc", "def", "ghi"] * 20}), rules)
    assert column(report, "sfzh").pi_types == []


def test_comment_is_evidence(rules: Rules) -> None:
    report = run(pl.DataFrame({"f7": ["汉", "回", "汉"]}), rules, comments={"f7": "民族"})
    answer = column(report, "f7")
    assert answer.pi_types == ["ETHNICITY"]
    assert answer.sensitive
    assert any("民族" in line for line in answer.evidence)


def test_mixed_phone_column_lists_both_kinds(rules: Rules) -> None:
    phones = ["13812345678", "+86 139 1234 5678", "010-62345678", "0571-87654321"] * 10
    assert column(run(pl.DataFrame({"lxdh": phones}), rules), "lxdh").pi_types == [
        "MOBILE_PHONE",
        "LANDLINE_PHONE",
    ]


def test_minors_from_id_numbers_and_subject_count(rules: Rules) -> None:
    ids = [resident_id(f"2016{month:02d}01", month) for month in range(1, 13)]
    adults = [resident_id(f"1980{month:02d}01", month) for month in range(1, 13)]
    frame = pl.DataFrame(
        {
            "sfzjh": ids + adults,
            "xm": ["张伟", "王芳"] * 12,
            "jzxm": ["李强", "赵敏"] * 12,
        }
    )
    report = run(frame, rules, name="xs_jbxx")
    assert report.minors
    assert report.subjects == 24
    assert column(report, "sfzjh").minors
    assert column(report, "xm").minors
    assert column(report, "xm").level == "general-4"
    # the guardian's name is not the pupil's information
    guardian = column(report, "jzxm")
    assert not guardian.minors
    assert guardian.category == "guardian.basic"
    assert guardian.level == "general-3"


def test_no_minors_among_adults(rules: Rules) -> None:
    frame = pl.DataFrame({"csrq": ["1980-01-01", "1975-05-05"], "xm": ["张伟", "王芳"]})
    report = run(frame, rules, name="jzg_jbxx")
    assert not report.minors
    assert column(report, "xm").category == "staff.basic"


def test_birthday_13_years_ago_tomorrow_is_a_minor(rules: Rules) -> None:
    frame = pl.DataFrame({"csrq": ["2012-11-28", "2012-11-27"]})
    report = run(frame, rules)
    assert report.minors
    assert any("1/2" in line for line in column(report, "csrq").evidence)


def test_primary_school_table_is_minors(rules: Rules) -> None:
    report = run(
        pl.DataFrame({"xm": ["张伟", "王芳"]}), rules, name="students", comment="某小学学生名册"
    )
    assert report.minors
    assert column(report, "xm").minors


def test_free_text_lists_every_type(rules: Rules) -> None:
    notes = [
        "家长王建国来电，手机13812345678，说孩子哮喘发作。",
        "李娜同学的母亲住在浙江省杭州市西湖区文三路100号。",
        "班主任张伟反映：学生陈晨过敏，联系邮箱chen@home.example。",
    ] * 5
    answer = column(run(pl.DataFrame({"bz": notes}), rules), "bz")
    # 李娜同学的母亲: the kin word in prose is FAMILY_RELATION (pi-types.md: family members)
    assert set(answer.pi_types) == {
        "PERSON_NAME", "MOBILE_PHONE", "HEALTH", "ADDRESS", "EMAIL", "FAMILY_RELATION"
    }  # fmt: skip
    assert answer.sensitive
    assert answer.category == "student.text"


def test_business_columns_stay_unlabelled(rules: Rules) -> None:
    frame = pl.DataFrame(
        {
            "bjmc": ["高一(3)班", "高二(1)班"] * 10,
            "order_no": ["202311051234567890", "202311051234567891"] * 10,
            "amount": ["12.50", "300.00"] * 10,
            "created_at": ["2023-11-05 12:00:01", "2023-11-06 08:30:00"] * 10,
        }
    )
    report = run(frame, rules, name="orders")
    assert all(c.pi_types == [] for c in report.columns)
    assert report.level == "general-2"


def test_table_takes_the_highest_level(rules: Rules) -> None:
    frame = pl.DataFrame(
        {"xm": ["张伟", "王芳"], "zjxym": ["佛教", "无宗教信仰"], "kcmc": ["语文", "数学"]}
    )
    report = run(frame, rules)
    assert column(report, "kcmc").level == "general-1"
    assert column(report, "xm").level == "general-3"
    assert report.level == "general-4"


def test_sample_limits_rows_and_scales_subjects(rules: Rules) -> None:
    ids = [resident_id(f"1980{(i % 12) + 1:02d}{(i % 28) + 1:02d}", i % 1000) for i in range(3000)]
    table = DataFrameTable("t", pl.DataFrame({"sfzjh": ids}))
    report = scan_table(table, sample=1000, rules=rules, batch_rows=300, today=TODAY)
    assert report.rows_sampled == 1000
    assert report.row_count == 3000
    assert report.subjects is not None and 2000 < report.subjects <= 3000


def test_progress_is_reported_per_batch(rules: Rules) -> None:
    calls: list[tuple[str, int, int | None]] = []
    table = DataFrameTable("t", pl.DataFrame({"x": list(range(250))}))
    scan_table(table, sample=None, rules=rules, batch_rows=100, progress=lambda *a: calls.append(a))
    assert calls == [("t", 100, 250), ("t", 200, 250), ("t", 250, 250)]


class BrokenTable:
    name = "broken"
    comment = None
    column_comments: dict[str, str] = {}  # noqa: RUF012
    row_count = None

    def batches(self, batch_rows: int = 1, limit: int | None = None) -> Iterator[pl.DataFrame]:
        raise SourceError("unreadable", "无法读取该表", "cannot read")
        yield pl.DataFrame()  # pragma: no cover


def test_a_failing_table_is_reported_and_the_scan_goes_on(rules: Rules) -> None:
    good = DataFrameTable("good", pl.DataFrame({"xm": ["张伟"]}))
    report = scan([BrokenTable(), good], rules=rules)  # type: ignore[list-item]
    assert report.failed
    assert report.tables[0].error == {"code": "unreadable", "message": "无法读取该表"}
    assert report.tables[1].columns[0].pi_types == ["PERSON_NAME"]
    assert report.to_dict()["tables"][0]["error"]["code"] == "unreadable"


def test_a_source_path_goes_through_the_connectors(tmp_path, rules: Rules) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "xs.csv"
    path.write_text("xm,sjh\n张伟,13812345678\n王芳,13912345678\n", encoding="utf-8")
    report = scan(str(path), rules=rules)
    assert [c.pi_types for c in report.tables[0].columns] == [["PERSON_NAME"], ["MOBILE_PHONE"]]
    assert not report.failed


def test_failed_tables_from_connectors_are_listed(
    monkeypatch: pytest.MonkeyPatch, rules: Rules
) -> None:
    import eduguard.discovery.api as api

    def fake_open(source: str, crawl: object = None) -> Iterator[object]:
        yield FailedTable("bad.xlsx", SourceError("bad_file", "文件已损坏"))
        yield DataFrameTable("ok", pl.DataFrame({"email": ["a@b.example"]}))

    monkeypatch.setattr(api, "_open", fake_open)
    report = scan("folder", rules=rules)
    assert [t.name for t in report.tables] == ["bad.xlsx", "ok"]
    assert report.tables[0].error == {"code": "bad_file", "message": "文件已损坏"}


def test_find_spans_positions_are_exact() -> None:
    text = "学生刘洋，身份证" + resident_id("20150101", 1) + "，电话13812345678。"
    spans = find_spans(text)
    assert [(s.code, text[s.start : s.end]) for s in spans] == [(s.code, s.text) for s in spans]
    assert [s.code for s in spans] == ["PERSON_NAME", "CN_RESIDENT_ID", "MOBILE_PHONE"]


def test_bank_card_in_text_is_not_an_id_number() -> None:
    card = "6222021234567894"
    id_number = resident_id("19800101", 3)
    codes = {s.text: s.code for s in find_spans(f"卡号{card}，证件{id_number}")}
    assert codes == {card: "BANK_CARD", id_number: "CN_RESIDENT_ID"}


def test_primary_grades_in_a_class_column_mean_minors(rules: Rules) -> None:
    frame = pl.DataFrame(
        {"xm": ["张伟", "王芳", "李娜"], "class_name": ["三年级2班", "五年级1班", "三年级2班"]}
    )
    report = run(frame, rules, name="students")
    assert report.minors
    assert any("年级/班级" in line for line in column(report, "xm").evidence)


def test_birth_dates_outweigh_grade_names(rules: Rules) -> None:
    """初一 pupils are usually 12–13, but when the table's ID numbers say everyone is 14 or
    older (TODAY 2026-11-27: born 2012), the grade names do not make it children's data."""
    grades = {"xm": ["张伟", "王芳"] * 5, "bj": ["初一(1)班", "初一(2)班"] * 5}
    older = [resident_id(f"2012{month:02d}01", month) for month in range(1, 11)]
    report = run(pl.DataFrame({**grades, "sfzjh": older}), rules, name="xs")
    assert not report.minors
    younger = [resident_id(f"2013{month:02d}01", month) for month in range(1, 11)]
    report = run(pl.DataFrame({**grades, "sfzjh": younger}), rules, name="xs")
    assert report.minors
    report = run(pl.DataFrame(grades), rules, name="xs")  # no birth dates: the grades decide
    assert report.minors
    assert any("小学、幼儿园或初一" in line for line in column(report, "xm").evidence)


def test_prose_without_a_telling_name_is_scanned_as_free_text(rules: Rules) -> None:
    notes = [
        "今天联系了家长王建国，电话13812345678，说明情况。",
        "学生李娜同学表现良好，已告知其母亲。",
    ] * 10
    answer = column(run(pl.DataFrame({"c9": notes}), rules), "c9")
    # 告知其母亲: the kin word is FAMILY_RELATION in prose too
    assert set(answer.pi_types) == {"PERSON_NAME", "MOBILE_PHONE", "FAMILY_RELATION"}
    assert any(line.startswith("自由文本") for line in answer.evidence)


def test_numeric_and_temporal_dtypes_are_read_as_text(rules: Rules) -> None:
    frame = pl.DataFrame(
        {
            "csrq": [date(2016, 5, 1), date(2015, 1, 2)],
            "sjh": [13812345678, 13912345678],
            "zp": [b"\x89PNG", b"\x89PNG"],
        }
    )
    report = run(frame, rules)
    assert column(report, "csrq").pi_types == ["BIRTH_DATE"]
    assert report.minors
    assert column(report, "sjh").pi_types == ["MOBILE_PHONE"]
    assert column(report, "zp").pi_types == ["PHOTO"]  # binary portraits: the name decides


def test_sanctions_criminal_records_and_special_identities_by_name(rules: Rules) -> None:
    frame = pl.DataFrame(
        {
            "xh": ["20260001", "20260002", "20260003"],
            "cfyy": ["旷课", "打架", "作弊"],
            "fzqksm": ["无", "无", "治安警告"],
            "sfdb": ["是", "否", "否"],
            "sflszn": ["否", "否", "是"],
        }
    )
    report = run(frame, rules, name="xs_jl", comments={"sfdb": "是否低保"})
    assert "DISCIPLINARY" in column(report, "cfyy").pi_types
    assert "CRIMINAL_RECORD" in column(report, "fzqksm").pi_types
    for name in ("sfdb", "sflszn"):
        answer = column(report, name)
        assert "SPECIAL_IDENTITY" in answer.pi_types, name
        assert answer.category == "student.special_identity" and answer.sensitive


def test_important_data_is_proposed_once_per_table_not_per_column(rules: Rules) -> None:
    frame = pl.DataFrame(
        {"xm": ["张伟", "王芳"], "mzm": ["汉族", "回族"], "jkzk": ["健康", "哮喘"]}
    )
    report = run(frame, rules, name="xs_hz", comment="全县学生民族与健康汇总")
    assert len(report.proposals) == 1 and "重要数据" in report.proposals[0]
    assert report.to_dict()["proposals"] == report.proposals
    assert not any("建议复核" in line for c in report.columns for line in c.evidence)
    assert report.level != "important"  # only proposed
    plain = run(frame, rules, name="xs_jbxx", comment="学生基本信息")
    assert plain.proposals == [] and "proposals" not in plain.to_dict()


def test_an_exam_paper_table_is_marked_a_state_secret(rules: Rules) -> None:
    frame = pl.DataFrame({"tmbh": ["1", "2"], "tmnr": ["1+1=?", "2+2=?"], "ckda": ["2", "4"]})
    report = run(frame, rules, name="ks_sj", comment="期末考试试卷（未启用）")
    for answer in report.columns:
        assert answer.category == "secret.state", answer.name
        assert answer.level != "general-2"
        assert any("国家秘密" in line for line in answer.evidence)


def test_bank_cards_a_check_digit_proves_are_not_also_student_numbers(rules: Rules) -> None:
    """In a 资助 公示 the name model calls a 银行卡号 column a student number (表属资助领域、无注释);
    values that pass Luhn as bank cards make it a bank card column only, and 学号 stays 学号."""
    from stdnum import luhn

    bodies = [f"62220212345{index:07d}" for index in range(6)]
    frame = pl.DataFrame(
        {
            "序号": [str(index + 1) for index in range(6)],
            "姓名": ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆"],
            "身份证号": [resident_id("20150301", index + 1) for index in range(6)],
            "银行卡号": [body + luhn.calc_check_digit(body) for body in bodies],
            "联系电话": [f"1381234567{index}" for index in range(6)],
        }
    )
    report = run(frame, rules, name="表格1", comment="2026年秋季学期国家助学金拟资助学生公示名单")
    assert column(report, "银行卡号").pi_types == ["BANK_CARD"]


def test_a_health_examination_tables_people_columns_are_not_results(rules: Rules) -> None:
    """In a 体检结果 table (a CSV with Chinese headers, no comments) the measurements are
    HEALTH; who was examined — 序号, 姓名, 身份证号, 班级, 性别, 联系电话 — is not."""
    ids = [resident_id(f"2013{month:02d}15", month) for month in range(1, 11)] * 2
    frame = pl.DataFrame(
        {
            "序号": [str(n) for n in range(1, 21)],
            "姓名": ["王晓雨", "陈静怡", "李子涵", "张一鸣", "刘若溪"] * 4,
            "身份证号": ids,
            "班级": ["初一(1)班", "初一(2)班"] * 10,
            "性别": ["男", "女"] * 10,
            "联系电话": ["13812345678", "13912345679"] * 10,
            "左眼视力": ["4.8", "5.0"] * 10,
            "身高": ["140", "138"] * 10,
        }
    )
    report = run(frame, rules, name="体检结果")
    types = {c.name: c.pi_types for c in report.columns}
    assert types["序号"] == [] and types["班级"] == []
    assert types["姓名"] == ["PERSON_NAME"] and types["身份证号"] == ["CN_RESIDENT_ID"]
    assert types["性别"] == ["GENDER"] and types["联系电话"] == ["MOBILE_PHONE"]
    assert types["左眼视力"] == ["HEALTH"] and types["身高"] == ["HEALTH"]
