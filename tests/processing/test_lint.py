"""The bundling linter (issue #18 part 8): each structural defect refuses publishing with its
clause; a register without defects publishes. The consent page's own guarantees (nothing
pre-selected, one choice per purpose) are pinned in tests/consent/test_api.py."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select

from eduguard.processing import lint, notice
from eduguard.processing.models import LegalBasis, Necessity, RecipientKind, RulesVersion

from .conftest import World
from .test_rules import CONTACT, _ready

NAME = notice.ItemInput("xs", "xm", "姓名", ("PERSON_NAME",), sensitive=False, minors=False)
CARD = notice.ItemInput("ykt", "yhkh", "银行卡号", ("BANK_CARD",), sensitive=True, minors=False)
CHILD = notice.ItemInput("xs", "csrq", "出生日期", ("BIRTH_DATE",), sensitive=False, minors=True)
BANK = notice.RecipientInput("示例银行", RecipientKind.third_party, "客服 00000", "代扣", None)


def _purpose(**kw: Any) -> notice.PurposeInput:
    values: dict[str, Any] = {
        "name": "自动充值",
        "description": "",
        "legal_basis": LegalBasis.consent,
        "basis_detail": "监护人的单独同意",
        "necessity": Necessity.optional,
        "collection_method": "自愿填写",
        "retention_period": "解除绑定后 30 日",
        "disposal": "delete",
        "sensitive_necessity": "仅用于自动充值；泄露可能造成财产损失",
        "automated_decision": False,
        "items": (NAME, CARD),
        "recipients": (BANK,),
    }
    values.update(kw)
    return notice.PurposeInput(**values)


CLEAN = notice.RulesInput(
    controller="某小学",
    system="一卡通",
    system_url=None,
    operator=None,
    contact="总务处 电话 0000-0000001",
    rights_channel="通过撤回链接或到总务处撤回",
    purposes=(_purpose(),),
)


def _codes(rules: notice.RulesInput, children_data: bool = False) -> list[str]:
    return [f.code for f in lint.lint(rules, children_data=children_data)]


def test_a_register_without_defects_has_no_findings() -> None:
    assert _codes(CLEAN) == []


@pytest.mark.parametrize(
    ("change", "code", "clause"),
    [
        ({"necessity": Necessity.necessary}, "consent_marked_necessary", "第十六条"),
        ({"retention_period": " "}, "retention_missing", "第二十一条第一款第（三）项"),
        ({"sensitive_necessity": ""}, "sensitive_necessity_missing", "第二十九条"),
        (
            {"recipients": (dataclasses.replace(BANK, contact=""),)},
            "recipient_incomplete",
            "第二十三条",
        ),
    ],
)
def test_each_purpose_defect_is_found_with_its_clause(
    change: dict[str, Any], code: str, clause: str
) -> None:
    rules = dataclasses.replace(CLEAN, purposes=(_purpose(**change),))
    findings = lint.lint(rules, children_data=False)
    assert [f.code for f in findings] == [code]
    assert clause in findings[0].clause and findings[0].purpose == "自动充值"
    assert findings[0].clause in findings[0].text


def test_register_level_defects() -> None:
    assert _codes(dataclasses.replace(CLEAN, rights_channel="")) == ["withdrawal_path_missing"]
    statutory = _purpose(legal_basis=LegalBasis.statutory, necessity=Necessity.necessary)
    # Without a consent-based purpose there is no consent to withdraw.
    assert _codes(dataclasses.replace(CLEAN, rights_channel="", purposes=(statutory,))) == []
    assert _codes(dataclasses.replace(CLEAN, contact="", purposes=())) == [
        "no_purposes",
        "contact_missing",
    ]
    # A processor (委托处理) need not be listed with a contact; a third party must.
    processor = dataclasses.replace(BANK, kind=RecipientKind.processor, contact="")
    assert _codes(dataclasses.replace(CLEAN, purposes=(_purpose(recipients=(processor,)),))) == []


def test_children_data_needs_a_purpose_the_childrens_rules_can_show() -> None:
    assert _codes(CLEAN, children_data=True) == ["children_rules_empty"]
    with_child = dataclasses.replace(CLEAN, purposes=(_purpose(items=(NAME, CARD, CHILD)),))
    assert _codes(with_child, children_data=True) == []


def test_publishing_is_refused_with_the_clause_and_stores_nothing(world: World) -> None:
    _ready(world)
    bundled = {
        "name": "校园宣传照片",
        "legal_basis": "consent",
        "basis_detail": "监护人同意",
        "necessity": "necessary",
        "collection_method": "活动拍摄",
        "retention_period": "3 年",
        "disposal": "delete",
        "sensitive_necessity": "照片仅用于校园宣传；公开可能使儿童被识别",
        "field_ids": [world.fields["xs_jbxx.xm"]],
    }
    made = world.client.post(f"/api/v1/processing/systems/{world.students}/purposes", json=bundled)
    assert made.status_code == 201, made.text
    world.client.post(f"/api/v1/processing/purposes/{made.json()['id']}/activate")
    world.login("pio1")
    refused = world.client.post(f"/api/v1/processing/systems/{world.students}/rules")
    assert refused.status_code == 422, refused.text
    details = refused.json()["error"]["details"]
    assert [f["code"] for f in details["findings"]] == ["consent_marked_necessary"]
    assert "个人信息保护法 第十六条" in refused.json()["error"]["message"]
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        assert session.scalars(select(RulesVersion)).all() == []
    # Marked optional, the same purpose publishes.
    world.login("owner1")
    fixed = world.client.patch(
        f"/api/v1/processing/purposes/{made.json()['id']}", json={"necessity": "optional"}
    )
    assert fixed.status_code == 200, fixed.text
    assert CONTACT["rights_channel"]  # the register states how to withdraw
    world.login("pio1")
    published = world.client.post(f"/api/v1/processing/systems/{world.students}/rules")
    assert published.status_code == 201, published.text
