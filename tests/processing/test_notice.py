"""Rendering the rules document from plain inputs (no database)."""

from __future__ import annotations

from eduguard.processing import notice
from eduguard.processing.models import Audience, LegalBasis, Necessity, RecipientKind

NAME = notice.ItemInput("xs", "xm", "姓名", ("PERSON_NAME",), sensitive=False, minors=True)
HEALTH = notice.ItemInput("xs", "jkzk", "健康状况", ("HEALTH",), sensitive=True, minors=True)
PHONE = notice.ItemInput("jz", "sj", "家长手机号", ("MOBILE_PHONE",), sensitive=False, minors=False)


def _purpose(name: str, items: tuple[notice.ItemInput, ...], **kw: object) -> notice.PurposeInput:
    values: dict[str, object] = {
        "name": name,
        "description": "",
        "legal_basis": LegalBasis.statutory,
        "basis_detail": "",
        "necessity": Necessity.necessary,
        "collection_method": "学校登记",
        "retention_period": "毕业后 3 年",
        "disposal": "delete",
        "sensitive_necessity": "用于安排体育课程",
        "automated_decision": False,
        "items": items,
    }
    values.update(kw)
    return notice.PurposeInput(**values)  # type: ignore[arg-type]


RULES = notice.RulesInput(
    controller="某小学",
    system="学籍系统",
    system_url=None,
    operator=None,
    contact="总务处",
    rights_channel="",
    purposes=(
        _purpose("体检", (NAME, HEALTH)),
        _purpose(
            "家校通知",
            (PHONE,),
            legal_basis=LegalBasis.consent,
            necessity=Necessity.optional,
            recipients=(
                notice.RecipientInput("某通讯公司", RecipientKind.processor, "", "短信", None),
            ),
        ),
    ),
)


def test_the_general_rules_list_every_item_and_recipient() -> None:
    document = notice.render(RULES, Audience.general)
    assert [p["name"] for p in document["purposes"]] == ["体检", "家校通知"]
    health = document["purposes"][0]
    assert health["sensitive_categories"] and health["sensitive_necessity"] == "用于安排体育课程"
    assert health["legal_basis_clause"] == "个人信息保护法 第十三条第一款第（三）项"
    items = {row["item"]: row for row in document["collection_list"]}
    assert set(items) == {"姓名", "健康状况", "家长手机号"}
    assert items["家长手机号"]["necessity"] == ["可选（可拒绝）"]
    assert [r["recipient"] for r in document["sharing_list"]] == ["某通讯公司"]
    assert document["sharing_list"][0]["kind"] == "受托处理者"
    assert document["children"] == []
    assert document["rights_channel"]  # the default text when none is registered


def test_the_childrens_rules_cover_only_childrens_information() -> None:
    assert notice.holds_children_data(RULES)
    document = notice.render(RULES, Audience.children)
    assert [p["name"] for p in document["purposes"]] == ["体检"]
    assert {row["item"] for row in document["collection_list"]} == {"姓名", "健康状况"}
    assert document["sharing_list"] == []
    assert any("监护人" in text for text in document["children"])
    assert "儿童个人信息专门规则" in document["title"]


def test_a_purpose_without_sensitive_items_states_no_necessity() -> None:
    only_phone = notice.RulesInput(**{**RULES.__dict__, "purposes": (RULES.purposes[1],)})
    document = notice.render(only_phone, Audience.general)
    assert document["purposes"][0]["sensitive_categories"] == []
    assert document["purposes"][0]["sensitive_necessity"] == ""
    assert not notice.holds_children_data(only_phone)
