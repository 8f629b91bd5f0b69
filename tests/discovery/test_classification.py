"""Rules as data: the default rules load, broken files are explained, levels follow GB/T 43697."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from eduguard.classification import ColumnContext, Rules, RulesError, classify, load_rules

DEFAULT = resources.files("eduguard.classification").joinpath("data", "education.toml")


def context(column: str, *codes: str, table: str = "xs_jbxx", **extra: object) -> ColumnContext:
    return ColumnContext(table, None, column, None, codes, **extra)  # type: ignore[arg-type]


def test_every_grading_rule_cites_a_source(rules: Rules) -> None:
    assert rules.grading
    for rule in (*rules.grading, *rules.proposals):
        assert rule.source.strip()
        assert any(word in rule.source for word in ("GB/T", "PIPL", "条例", "法"))


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
    assert any("PIPL 第二十八条" in line and "general-4" in line for line in result.evidence)


def test_important_is_only_proposed(rules: Rules) -> None:
    result = classify(rules, context("xm", "PERSON_NAME", subjects=1_200_000))
    assert result.level == "general-3"
    assert any("important" in line for line in result.proposals)
    assert classify(rules, context("xm", "PERSON_NAME", subjects=999_999)).proposals == []


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
    assert len(PI_CODES) == 33  # the 32 PI types of pi-types.md and ORG_CODE


def test_every_pi_type_has_a_content_group(rules: Rules) -> None:
    from eduguard.classification.rules import PI_CODES

    assert set(rules.type_groups) == PI_CODES - {"ORG_CODE"}
