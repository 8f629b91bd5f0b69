"""Every citation of the packaged rules is checked against the texts shipped with them
(data/texts.toml): the edition in force, the articles, paragraphs and items each text has."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from eduguard.compliance import citations, rules
from eduguard.errors import ValidationFailed

RULES = Path(rules.__file__).parent / "data" / "rules.toml"


def test_every_packaged_citation_holds_and_each_rule_cites_the_notice() -> None:
    registry = citations.default_registry()
    ruleset = rules.load()
    for rule in ruleset.rules:
        checked = [registry.check(clause) for clause in rule.clauses]
        assert any(c.text.name == "教科信函〔2021〕20号" for c in checked), rule.id
        assert all(c.subject for c in checked)


@pytest.mark.parametrize(
    ("citation", "reason"),
    [
        ("网络安全法 第二十一条（2016年文本）", "已被修正"),
        ("网络安全法 第二十一条", "原第二十一条为第二十三条"),
        ("教科信函〔2021〕20号 第9条", "通知只有项，没有条"),
        ("教科信函〔2021〕20号 重点任务第18项", "没有重点任务第18项"),
        ("个人信息保护法 第五十二条第三款", "没有第三款"),
        ("个人信息保护法 第五十一条第（七）项", "没有第（七）项"),
        ("个人信息保护法 第七十五条", "只有 74 条"),
        ("个人信息保护法 第二条", "未登记其内容"),
        ("个人信息保护法 52", "不是“第X条"),
        ("GB/T 22239-2019 9.1.4.2", "没有登记的条款"),
        ("某省数据条例 第一条", "未登记"),
    ],
)
def test_a_wrong_citation_is_refused_with_the_reason(citation: str, reason: str) -> None:
    problem = citations.default_registry().problem(citation)
    assert problem is not None and reason in problem, problem


@pytest.mark.parametrize(
    "citation",
    [
        "个人信息保护法 第四十七条第一款第（一）项、第（二）项",
        "网络安全法 第二十三条第（三）项",
        "GB/T 22239-2019 8.1.4.2 d)",
        "国家网信办个人信息保护负责人信息报送公告（2025）",
        "未成年人保护法 第七十二条",
    ],
)
def test_citation_forms_that_hold(citation: str) -> None:
    assert citations.default_registry().problem(citation) is None


def test_a_rules_file_citing_a_superseded_numbering_is_refused(tmp_path: Path) -> None:
    text = RULES.read_text(encoding="utf-8").replace(
        '"网络安全法 第二十三条第（三）项"', '"网络安全法 第二十一条"', 1
    )
    assert text != RULES.read_text(encoding="utf-8")
    broken = tmp_path / "rules.toml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        rules.load(broken)
    assert caught.value.code == "rules_invalid"
    assert "N6-AUDIT-LOG-RETENTION" in caught.value.message_zh
    assert "第二十三条" in caught.value.message_zh


def test_a_registry_without_the_cited_article_fails_the_rules(tmp_path: Path) -> None:
    """The registry is what the rules are checked against: drop one article and a rule fails."""
    texts = citations.DEFAULT_TEXTS.read_text(encoding="utf-8")
    trimmed = "\n".join(line for line in texts.splitlines() if not line.startswith('"54" ='))
    path = tmp_path / "texts.toml"
    path.write_text(trimmed, encoding="utf-8")
    registry = citations.load_registry(path)
    assert "未登记其内容" in (registry.problem("个人信息保护法 第五十四条") or "")


def test_numerals_round_trip() -> None:
    for number in range(1, 200):
        assert citations.cn_number(citations._cn(number)) == number
    with pytest.raises(ValueError, match="not a Chinese numeral"):
        citations.cn_number("五x")


def test_doctests() -> None:
    result = doctest.testmod(citations)
    assert result.attempted > 0 and result.failed == 0
