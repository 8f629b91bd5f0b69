"""Rules as data: the default rules load, broken files are explained, levels follow GB/T 43697."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from eduguard.classification import ColumnContext, Rules, RulesError, classify, load_rules
from eduguard.classification.grading import TableContext, propose
from eduguard.classification.rules import citation_parts
from eduguard.compliance.citations import default_registry

DEFAULT = resources.files("eduguard.classification").joinpath("data", "education.toml")


def context(column: str, *codes: str, table: str = "xs_jbxx", **extra: object) -> ColumnContext:
    return ColumnContext(table, None, column, None, codes, **extra)  # type: ignore[arg-type]


def test_every_grading_rule_cites_a_source(rules: Rules) -> None:
    assert rules.grading and rules.secret and rules.proposals
    registry = default_registry()
    for rule in (*rules.grading, *rules.secret, *rules.proposals):
        parts = citation_parts(rule.source)
        assert parts, rule.id
        for part in parts:
            assert registry.problem(part) is None, (rule.id, part)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("PIPL 第二十八条", "未登记"),  # an abbreviation the registry does not know
        ("网络安全法 第二十一条", "原第二十一条为第二十三条"),  # a superseded numbering
        ("个人信息保护法 第九十九条", "只有 74 条"),
        ("GB/T 43697-2024 附录Z", "没有登记的条款"),
        ("教科信函〔2021〕20号 第3条", "重点任务第N项"),
    ],
)
def test_a_bad_citation_refuses_the_rules_file(tmp_path: Path, bad: str, message: str) -> None:
    text = DEFAULT.read_text(encoding="utf-8")
    before = 'source = "个人信息保护法 第四条；'
    assert before in text
    path = tmp_path / "rules.toml"
    path.write_text(text.replace(before, f'source = "{bad}；', 1), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert message in caught.value.message_zh and bad in caught.value.message_zh
    assert "[[grading]] personal.source" in caught.value.message_zh


def test_own_analysis_is_labelled_and_not_a_citation(rules: Rules) -> None:
    by_id = {rule.id: rule for rule in (*rules.grading, *rules.proposals)}
    identity = by_id["identity-numbers"].source
    assert "居民身份证法 第十三条" in identity and "本平台危害分析" in identity
    assert "GB/T 35273-2020 附录 B 个人身份信息" not in identity
    scale = by_id["important-scale"]
    for cited in (
        "GB/T 43697-2024 附录G",
        "数据安全法 第二十一条",
        "网络数据安全管理条例 第二十九条",
    ):
        assert cited in scale.source
    assert "教科信函〔2021〕20号 重点任务第3项" in scale.source
    assert "本平台启发式阈值" in scale.source and "启发式阈值" in scale.reason
    assert "第二十八条" not in scale.source
    # a source that is only the platform's own analysis cites nothing: refused
    assert citation_parts("本平台危害分析：……") == []


@pytest.mark.parametrize(
    ("ctx", "level"),
    [
        (context("zjxym", "RELIGION"), "general-4"),
        (context("sfzjh", "CN_RESIDENT_ID"), "general-4"),
        (context("xm", "PERSON_NAME", minors=True), "general-4"),
        (context("xm", "PERSON_NAME"), "general-3"),
        (context("tyshxydm", "ORG_CODE"), "general-2"),
        (context("bz"), "general-2"),
        (context("xxmc"), "general-1"),
    ],
)
def test_levels(rules: Rules, ctx: ColumnContext, level: str) -> None:
    assert classify(rules, ctx).level == level


def test_each_level_explains_itself_with_its_source(rules: Rules) -> None:
    result = classify(rules, context("mzm", "ETHNICITY"))
    assert result.sensitive
    assert any(
        "个人信息保护法 第二十八条" in line
        and "重点任务第11项" in line  # the notice names 民族
        and "一般数据（4级）" in line  # the level by its name, not its code
        for line in result.evidence
    )


def test_important_is_only_proposed_and_per_table(rules: Rules) -> None:
    result = classify(rules, context("xm", "PERSON_NAME", subjects=1_200_000))
    assert result.level == "general-3"
    assert result.proposals == []  # never per column
    table = TableContext("xs_jbxx", None, frozenset({"PERSON_NAME", "MOBILE_PHONE"}), 1_200_000)
    found = propose(rules, table)
    assert len(found) == 1 and "重要数据" in found[0] and "整表" in found[0]
    smaller = TableContext("xs_jbxx", None, frozenset({"PERSON_NAME"}), 999_999)
    assert propose(rules, smaller) == []


@pytest.mark.parametrize(
    ("table", "rule"),
    [
        (TableContext("jytj_jb", "教育事业统计基表", frozenset(), None), "未公开的教育统计"),
        (TableContext("t_tj", "全县学生体检汇总", frozenset({"HEALTH"}), 120), "区域范围的健康"),
        (TableContext("mz_hz", "全市学生民族汇总", frozenset({"ETHNICITY"}), 50), "民族数据"),
    ],
)
def test_important_by_content_not_headcount(rules: Rules, table: TableContext, rule: str) -> None:
    found = propose(rules, table)
    assert len(found) == 1 and rule in found[0]


@pytest.mark.parametrize(
    "table",
    [
        TableContext("jytj_gk", "教育统计公报（已公开）", frozenset(), None),
        TableContext("xs_tj", "本班学生体检", frozenset({"HEALTH"}), 40),  # one class, no region
        TableContext("xs_hz", "全县学生汇总", frozenset({"PERSON_NAME"}), 40),  # no health/ethnic
    ],
)
def test_no_content_proposal_without_its_content(rules: Rules, table: TableContext) -> None:
    assert propose(rules, table) == []


@pytest.mark.parametrize(
    ("table", "comment", "column", "column_comment"),
    [
        ("ks_sj", "试卷表", "nr", None),
        ("t_exam", None, "pfbz", "评分标准"),
        ("t_exam", None, "answer_key", None),
        ("tk_st", "试题", "cksm", "参考答案"),
    ],
)
def test_exam_papers_before_use_are_state_secrets_not_general_data(
    rules: Rules, table: str, comment: str | None, column: str, column_comment: str | None
) -> None:
    result = classify(rules, ColumnContext(table, comment, column, column_comment, ()))
    assert result.secret
    assert result.category == "secret.state"
    assert rules.taxonomy["secret.state"] == "涉密（国家秘密）— 不按一般数据分级"
    assert result.level != "general-2"
    assert any("国家秘密" in line and "数据安全法 第五十三条" in line for line in result.evidence)


@pytest.mark.parametrize(
    ("table", "comment", "column", "column_comment"),
    [
        ("ks_cj", "考试成绩", "sjdf", "试卷得分"),  # marks after the exam
        ("xs_zy", "学生作答记录", "da", "试题作答"),
        ("kc_jbxx", "课程", "kcmc", "课程名称"),
    ],
)
def test_scores_and_answers_after_use_are_not_marked_secret(
    rules: Rules, table: str, comment: str | None, column: str, column_comment: str | None
) -> None:
    result = classify(rules, ColumnContext(table, comment, column, column_comment, ()))
    assert not result.secret and not result.category.startswith("secret")


@pytest.mark.parametrize(
    ("column", "code", "category", "sensitive"),
    [
        ("sfdb", "SPECIAL_IDENTITY", "student.special_identity", True),
        ("cfyy", "DISCIPLINARY", "student.records", False),
        ("fzqksm", "CRIMINAL_RECORD", "student.records", True),
    ],
)
def test_special_identity_and_records(
    rules: Rules, column: str, code: str, category: str, sensitive: bool
) -> None:
    result = classify(rules, context(column, code))
    assert (result.category, result.level, result.sensitive) == (category, "general-4", sensitive)
    assert "finance" not in result.category


def test_wording(rules: Rules) -> None:
    assert rules.taxonomy["student.sensitive_identity"] == "学生民族与宗教信仰"
    text = DEFAULT.read_text(encoding="utf-8")
    assert "未满" not in text and "不满十四周岁" in text


@pytest.mark.parametrize(
    ("column", "table", "codes", "category"),
    [
        ("jzxm", "xs_jbxx", ("PERSON_NAME",), "guardian.basic"),
        ("guardian_name", "student", ("PERSON_NAME",), "guardian.basic"),
        ("jzgh", "xs_jbxx", ("STAFF_NO",), "staff.identity"),
        ("xm", "jzg_jbxx", ("PERSON_NAME",), "staff.basic"),
        ("sjh", "t_teacher", ("MOBILE_PHONE",), "staff.contact"),
        ("jkzk", "xs_jbxx", ("HEALTH",), "student.health"),
        ("yhkh", "xs_zz", ("BANK_CARD",), "student.finance"),
        ("kcmc", "kc_jbxx", (), "teaching.courses"),
        ("bz", "t_misc", (), "school_operations.general"),
    ],
)
def test_category_from_type_and_context(
    rules: Rules, column: str, table: str, codes: tuple[str, ...], category: str
) -> None:
    assert classify(rules, context(column, *codes, table=table)).category == category


def test_categories_exist_in_the_taxonomy(rules: Rules) -> None:
    for code in rules.type_groups:
        for subject in ("student", "guardian", "staff"):
            assert classify(rules, context(f"{subject}_x", code)).category in rules.taxonomy


def test_a_copied_and_edited_file_is_used(tmp_path: Path) -> None:
    text = DEFAULT.read_text(encoding="utf-8").replace(
        'level = "general-3"', 'level = "general-4"', 1
    )
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    edited = load_rules(path)
    assert classify(edited, context("xm", "PERSON_NAME")).level == "general-4"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t + "\n[[[ broken", "不是有效的 TOML"),
        (lambda t: t.replace('level = "general-4"', 'level = "secret"', 1), "级别 'secret' 无效"),
        (
            lambda t: t.replace("when = { sensitive = true }", "when = { colour = true }", 1),
            "未知条件",
        ),
        (
            lambda t: t.replace('CN_RESIDENT_ID = "identity"', 'CN_ID = "identity"', 1),
            "未知类型代码",
        ),
        (lambda t: t.replace('"student.health" = "学生健康生理"\n', "", 1), "student.health"),
        (
            lambda t: t.replace('default_subject = "student"', 'default_subject = "alien"', 1),
            "default_subject",
        ),
    ],
)
def test_broken_rules_are_explained_in_chinese(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "rules.toml"
    path.write_text(change(DEFAULT.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert message in caught.value.message_zh
    assert str(path) in caught.value.message_zh
    assert caught.value.code == "rules_invalid"


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="不存在"):
        load_rules(tmp_path / "none.toml")
    path = tmp_path / "gbk.toml"
    path.write_bytes("name = '规则'".encode("gbk"))
    with pytest.raises(RulesError, match="UTF-8"):
        load_rules(path)


def test_rules_know_exactly_the_detector_codes() -> None:
    from eduguard.classification.rules import PI_CODES
    from eduguard.discovery.detectors import DETECTORS

    assert {detector.code for detector in DETECTORS} == PI_CODES
    assert len(PI_CODES) == 36  # the 35 PI types of docs/pi-types.md and ORG_CODE
    assert {"SPECIAL_IDENTITY", "DISCIPLINARY", "CRIMINAL_RECORD"} <= PI_CODES


def test_every_pi_type_has_a_content_group(rules: Rules) -> None:
    from eduguard.classification.rules import PI_CODES

    assert set(rules.type_groups) == PI_CODES - {"ORG_CODE"}
