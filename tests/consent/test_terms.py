"""The material-change classifier on the golden set of purpose edits (≥ 40 cases): structure
(purpose, categories, fields, retention, recipients, basis) is material, wording is not; the
terms hash agrees with the classifier on every case."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from eduguard.consent import terms

BASE: dict[str, Any] = {
    "name": "校园宣传照片",
    "description": "在学校公众号展示学生活动照片",
    "legal_basis": "consent",
    "basis_detail": "",
    "necessity": "optional",
    "collection_method": "活动中拍摄",
    "retention_period": "毕业后 1 年",
    "disposal": "delete",
    "sensitive_necessity": "",
    "automated_decision": False,
    "fields": [{"id": 1, "pi_types": ["PERSON_NAME"]}],
    "recipients": [{"name": "示例传媒公司", "kind": "third_party", "contact": "", "use": ""}],
}
EDITS = tomllib.loads(
    (Path(__file__).parent / "data" / "material_edits.toml").read_text(encoding="utf-8")
)["edit"]


def test_the_golden_set_is_large_enough() -> None:
    assert len(EDITS) >= 40
    assert sum(e["material"] for e in EDITS) >= 15 and sum(not e["material"] for e in EDITS) >= 15


@pytest.mark.parametrize("edit", EDITS, ids=[e["name"] for e in EDITS])
def test_edit_is_classified(edit: dict[str, Any]) -> None:
    old = {**BASE, **edit.get("base", {})}
    new = {**old, **edit["set"]}
    change = terms.classify(old, new)
    assert change.material is edit["material"], change
    if edit["material"]:
        assert list(change.material_keys) == edit["material_keys"]
        assert change.reasons("zh") and change.reasons("en")
    same_hash = terms.terms_hash(terms.material_terms(old)) == terms.terms_hash(
        terms.material_terms(new)
    )
    assert same_hash is not edit["material"]


def test_normal_text() -> None:
    assert terms.normal_text("毕业后 三 年。") == "毕业后3年"
    assert terms.normal_text("二十五天") == "25天" and terms.normal_text("十天") == "10天"
    assert terms.normal_text("ＡＢＣ") == "abc"
