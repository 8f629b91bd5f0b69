"""Policies as data: the default policy, and bad policies rejected with every problem named."""

from __future__ import annotations

from pathlib import Path

import pytest

from eduguard.discovery.detectors import BY_CODE
from eduguard.protection.policy import PolicyError, load_policy, parse_policy


def test_default_policy_covers_every_personal_information_type() -> None:
    policy = load_policy()
    assert set(BY_CODE) - set(policy.types) == {"ORG_CODE"}  # not personal information
    assert policy.rule_for("CN_RESIDENT_ID", "core").operator == "pseudonymise"
    assert policy.rule_for("CN_RESIDENT_ID", "general-4").operator == "mask"
    assert policy.rule_for("ORG_CODE").operator == policy.fallback.operator == "redact"
    for rule in policy.types.values():
        rule.build()  # every default rule builds


def test_a_copied_policy_with_edits_loads(tmp_path: Path) -> None:
    text = load_policy().source
    assert text == "default_policy.toml"
    path = tmp_path / "policy.toml"
    path.write_text(
        """
version = 1
fallback = "suppress"
[types.MOBILE_PHONE]
operator = "pseudonymise"
params = { length = 12, prefix = "P" }
levels.core = { operator = "suppress" }
[[columns]]
table = "students.csv"
name = "bz"
text = true
[[columns]]
name = "cj"
operator = "top_bottom_code"
params = { bottom = 60, top = 100 }
""",
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.rule_for("MOBILE_PHONE").params == {"length": 12, "prefix": "P"}
    assert policy.rule_for("MOBILE_PHONE", "core").operator == "suppress"
    assert policy.rule_for("EMAIL").operator == "suppress"
    column = policy.column("students.csv", "bz")
    assert column is not None and column.text
    assert policy.column("other.csv", "bz") is None
    cj = policy.column("any.csv", "cj")
    assert cj is not None and cj.rule is not None and cj.rule.operator == "top_bottom_code"


def test_every_problem_is_listed_with_what_is_allowed() -> None:
    text = """
version = 1
colour = "blue"
[types.SHOE_SIZE]
operator = "mask"
[types.MOBILE_PHONE]
operator = "scramble"
[types.EMAIL]
operator = "mask"
params = { keep_first = 2 }
levels.secret = { operator = "mask" }
[[columns]]
name = "x"
"""
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "bad.toml")
    error = caught.value
    assert error.code == "policy_invalid"
    assert len(error.details) == 6
    message = error.message_zh
    assert "colour" in message
    assert "SHOE_SIZE" in message and "CN_RESIDENT_ID" in message  # the allowed codes are listed
    assert "scramble" in message and "pseudonymise" in message  # and the allowed operators
    assert "keep_first" in message and "keep_start" in message
    assert "secret" in message and "general-4" in message
    assert "[[columns]] 第 1 项" in message


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="TOML"):
        parse_policy("types = [", "broken.toml")
    with pytest.raises(PolicyError, match="无法读取"):
        load_policy(tmp_path / "absent.toml")


def test_free_text_operator_must_work_span_by_span() -> None:
    with pytest.raises(PolicyError, match="shuffle"):
        parse_policy('[text]\noperator = "shuffle"\n', "text.toml")


def test_the_default_policy_is_parsed_once_and_is_what_load_policy_gives() -> None:
    from eduguard.protection.policy import default_policy

    first = default_policy()
    assert default_policy() is first
    assert load_policy(None) is first
    assert first.types, "the packaged default policy has type rules"
