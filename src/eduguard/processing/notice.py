"""Render a system's collection rules (收集使用规则) from plain inputs: the register's active
purposes and the catalog fields they use. Pure functions; ``processing.flows`` gathers the
inputs from orgs and the catalog.

What the document says follows PIPL Art. 17 (who, purposes, methods, categories, retention,
rights, contact), Art. 30 (sensitive information: necessity and impact), Art. 31 ¶2 and NDSR
Art. 21 ¶2 (a separate document for children under 14; the collection list and the list of
third parties as lists), and notice item 4 (purpose, method, scope, retention period).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eduguard import labels
from eduguard.processing.models import Audience, LegalBasis, Necessity, RecipientKind
from eduguard.processing.service import DOCUMENT_FORMAT, basis_entry, legal_texts

NECESSITY_ZH = {Necessity.necessary: "基本业务功能所必需", Necessity.optional: "可选（可拒绝）"}
DISPOSAL_ZH = {"delete": "删除", "anonymise": "匿名化处理", "archive": "依法移交档案保管"}
RECIPIENT_ZH = {
    RecipientKind.third_party: "第三方（接收方）",
    RecipientKind.processor: "受托处理者",
}


@dataclass(frozen=True)
class ItemInput:
    """A catalog field as the rules describe it (never a value)."""

    dataset: str
    name: str
    comment: str | None
    pi_types: tuple[str, ...]
    sensitive: bool
    minors: bool

    @property
    def title(self) -> str:
        return self.comment or self.name


@dataclass(frozen=True)
class RecipientInput:
    name: str
    kind: RecipientKind
    contact: str
    use: str
    agreement: str | None  # "provider（有效期至 …）" of the linked agreement


@dataclass(frozen=True)
class PurposeInput:
    name: str
    description: str
    legal_basis: LegalBasis
    basis_detail: str
    necessity: Necessity
    collection_method: str
    retention_period: str
    disposal: str
    sensitive_necessity: str
    automated_decision: bool
    items: tuple[ItemInput, ...] = ()
    recipients: tuple[RecipientInput, ...] = ()


@dataclass(frozen=True)
class RulesInput:
    controller: str  # the unit
    system: str
    system_url: str | None
    operator: str | None  # an outside operator (受托运营)
    contact: str
    rights_channel: str
    purposes: tuple[PurposeInput, ...] = field(default_factory=tuple)


def _categories(items: tuple[ItemInput, ...] | list[ItemInput]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        for code in item.pi_types:
            seen.setdefault(labels.label("pi_type", code), None)
    return list(seen)


def _purpose(purpose: PurposeInput) -> dict[str, Any]:
    entry = basis_entry(purpose.legal_basis)
    sensitive = [item for item in purpose.items if item.sensitive or item.minors]
    return {
        "name": purpose.name,
        "description": purpose.description,
        "legal_basis": entry["text"],
        "legal_basis_clause": entry["clause"],
        "basis_detail": purpose.basis_detail,
        "necessity": NECESSITY_ZH[purpose.necessity],
        "optional": purpose.necessity == Necessity.optional,
        "consent": purpose.legal_basis == LegalBasis.consent,
        "method": purpose.collection_method,
        "categories": _categories(purpose.items),
        "sensitive_categories": _categories(sensitive),
        "sensitive_necessity": purpose.sensitive_necessity if sensitive else "",
        "retention": purpose.retention_period,
        "after_retention": DISPOSAL_ZH.get(purpose.disposal, purpose.disposal),
        "recipients": [r.name for r in purpose.recipients],
        "automated_decision": "是" if purpose.automated_decision else "否",
    }


def _collection_list(purposes: list[PurposeInput], children: bool) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for purpose in purposes:
        for item in purpose.items:
            if children and not item.minors:
                continue
            row = rows.setdefault(  # one row per item as people name it (学号 of two tables)
                (item.title, ",".join(item.pi_types)),
                {
                    "item": item.title,
                    "categories": _categories([item]),
                    "sensitive": "是" if item.sensitive or item.minors else "否",
                    "purposes": [],
                    "methods": [],
                    "necessity": [],
                },
            )
            if purpose.name not in row["purposes"]:
                row["purposes"].append(purpose.name)
            if purpose.collection_method and purpose.collection_method not in row["methods"]:
                row["methods"].append(purpose.collection_method)
            necessity = NECESSITY_ZH[purpose.necessity]
            if necessity not in row["necessity"]:
                row["necessity"].append(necessity)
    return sorted(rows.values(), key=lambda row: str(row["item"]))


def _sharing_list(purposes: list[PurposeInput], children: bool) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for purpose in purposes:
        items = [i for i in purpose.items if i.minors] if children else list(purpose.items)
        for recipient in purpose.recipients:
            row = rows.setdefault(
                (recipient.name, recipient.kind.value),
                {
                    "recipient": recipient.name,
                    "kind": RECIPIENT_ZH[recipient.kind],
                    "contact": recipient.contact,
                    "use": recipient.use,
                    "agreement": recipient.agreement or "",
                    "purposes": [],
                    "categories": [],
                },
            )
            row["purposes"].append(purpose.name)
            for category in _categories(items):
                if category not in row["categories"]:
                    row["categories"].append(category)
    return sorted(rows.values(), key=lambda row: (str(row["kind"]), str(row["recipient"])))


def holds_children_data(rules: RulesInput) -> bool:
    return any(item.minors for purpose in rules.purposes for item in purpose.items)


def render(rules: RulesInput, audience: Audience) -> dict[str, Any]:
    """The document of ``audience``: plain Chinese, structured (the page and the PDF lay it
    out; the published version stores exactly this)."""
    texts = legal_texts()["rules"]
    children = audience == Audience.children
    purposes = list(rules.purposes)
    if children:
        purposes = [p for p in purposes if any(item.minors for item in p.items)]
    title = f"{rules.system}个人信息收集使用规则"
    document: dict[str, Any] = {
        "format": DOCUMENT_FORMAT,
        "audience": audience.value,
        "title": f"{title}（儿童个人信息专门规则）" if children else title,
        "basis": texts["children_basis"] if children else texts["general_basis"],
        "controller": {
            "name": rules.controller,
            "system": rules.system,
            "url": rules.system_url or "",
            "operator": rules.operator or "",
            "contact": rules.contact,
        },
        "purposes": [_purpose(p) for p in purposes],
        "collection_list": _collection_list(purposes, children),
        "sharing_list": _sharing_list(purposes, children),
        "sharing_basis": texts["sharing_basis"],
        "sensitive_basis": texts["sensitive_basis"],
        "rights": list(texts["rights"]),
        "rights_basis": texts["rights_basis"],
        "rights_channel": rules.rights_channel or texts["default_channel"],
        "children": list(texts["children"]) if children else [],
    }
    return document
