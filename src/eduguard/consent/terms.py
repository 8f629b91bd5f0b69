"""A purpose's *material terms* and the material-change classifier (PIPL Art. 14 ¶2, notice
item 8).

What a person agreed to is the purpose's structure: its name, legal basis, necessity, the
catalog fields it uses (and the items an approved collection review added before the catalog
holds them) and their personal-information categories, the retention period and what happens
after it, the recipients, and whether it makes automated decisions. Changing any of them is
*material* and needs re-consent. Wording — the description, the basis explanation, the
collection method's text, the necessity statement, a recipient's contact or stated use, and
spacing, punctuation, full-width characters or Chinese numerals in a name or period — is not.

The platform decides from the structured diff: an editor cannot call a structural change minor.
``terms_hash`` of two versions is equal exactly when :func:`classify` finds nothing material.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eduguard.audit.chain import sm3_hex

_NOT_TEXT = re.compile(r"[\s\W_]+", re.UNICODE)
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+")

# key → (Chinese, English) of each material term, in the order reasons are given.
MATERIAL = {
    "name": ("处理目的名称", "purpose name"),
    "legal_basis": ("法律依据", "legal basis"),
    "necessity": ("必要性（必需/可选）", "necessity"),
    "fields": ("使用的数据项", "fields used"),
    "planned": ("经采集审核批准、将收集的数据项", "data items a collection review approved"),
    "categories": ("个人信息种类", "categories of personal information"),
    "retention": ("保存期限", "retention period"),
    "disposal": ("到期后的处理方式", "disposal after retention"),
    "recipients": ("接收方", "recipients"),
    "automated_decision": ("自动化决策", "automated decision-making"),
}
WORDING = {
    "description": ("说明", "description"),
    "basis_detail": ("依据说明", "basis explanation"),
    "collection_method": ("收集方式的文字", "collection method wording"),
    "sensitive_necessity": ("敏感个人信息必要性说明", "sensitive-information statement"),
    "recipient_details": ("接收方联系方式或用途说明", "recipient contact or use wording"),
}


def _cn_number(match: re.Match[str]) -> str:
    text = match.group(0)
    if any(ch in "百" for ch in text):
        return text  # rare in periods; compared as written
    if "十" in text:
        tens, _sep, ones = text.partition("十")
        return str((_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS.get(ones, 0)))
    return "".join(str(_DIGITS[ch]) for ch in text)


def normal_text(value: str) -> str:
    """Text compared for meaning: NFKC (full-width → half-width), case folded, no spacing or
    punctuation, Chinese numerals as digits (三年 = 3年, 十二个月 = 12个月)."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return _CN_NUMBER.sub(_cn_number, _NOT_TEXT.sub("", folded))


@dataclass(frozen=True)
class Change:
    material: bool
    material_keys: tuple[str, ...]
    wording_keys: tuple[str, ...]

    def reasons(self, lang: str = "zh") -> list[str]:
        pick = 0 if lang == "zh" else 1
        return [MATERIAL[key][pick] for key in self.material_keys]


def material_terms(purpose: Mapping[str, Any]) -> dict[str, Any]:
    """The normalised material projection of a purpose given as a mapping with the keys of
    ``processing.schemas.PurposeRead`` (``fields`` each with ``id`` and ``pi_types``,
    ``planned`` — items an approved collection review added before the catalog holds them —
    each with ``group``, ``name`` and ``pi_types``, ``recipients`` each with ``name`` and
    ``kind``)."""
    fields: Sequence[Mapping[str, Any]] = purpose.get("fields") or ()
    planned: Sequence[Mapping[str, Any]] = purpose.get("planned") or ()
    recipients: Sequence[Mapping[str, Any]] = purpose.get("recipients") or ()
    terms = {
        "name": normal_text(str(purpose.get("name") or "")),
        "legal_basis": purpose.get("legal_basis"),
        "necessity": purpose.get("necessity") or "necessary",
        "fields": sorted({int(f["id"]) for f in fields}),
        "categories": sorted(
            {str(t) for f in (*fields, *planned) for t in f.get("pi_types") or ()}
        ),
        "retention": normal_text(str(purpose.get("retention_period") or "")),
        "disposal": purpose.get("disposal") or "delete",
        "recipients": sorted(
            {(normal_text(str(r["name"])), str(r.get("kind") or "")) for r in recipients}
        ),
        "automated_decision": bool(purpose.get("automated_decision")),
    }
    if planned:  # only when there are any: the terms of every other purpose hash as before
        terms["planned"] = sorted(
            {(normal_text(str(p.get("group") or "")), normal_text(str(p["name"]))) for p in planned}
        )
    return terms


def canonical(terms: Mapping[str, Any]) -> str:
    return json.dumps(terms, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def terms_hash(terms: Mapping[str, Any]) -> str:
    return sm3_hex(canonical(terms).encode())


def _details(purpose: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    recipients: Sequence[Mapping[str, Any]] = purpose.get("recipients") or ()
    return sorted(
        (str(r.get("name") or ""), str(r.get("contact") or ""), str(r.get("use") or ""))
        for r in recipients
    )


def classify(old: Mapping[str, Any], new: Mapping[str, Any]) -> Change:
    """Which terms an edit from ``old`` to ``new`` changes; material when any material one."""
    before, after = material_terms(old), material_terms(new)
    material = tuple(key for key in MATERIAL if before.get(key) != after.get(key))
    wording = [
        key for key in WORDING if key != "recipient_details" and old.get(key) != new.get(key)
    ]
    if _details(old) != _details(new) and "recipients" not in material:
        wording.append("recipient_details")
    for key in ("name", "retention_period"):
        term = "name" if key == "name" else "retention"
        if old.get(key) != new.get(key) and term not in material:
            wording.append(key)
    return Change(bool(material), material, tuple(wording))
