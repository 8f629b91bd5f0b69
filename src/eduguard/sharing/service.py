"""Share attributes: the rules and the rows of this domain. Catalog datasets and fields come in
as :class:`FieldFacts` (names and flags, read by ``sharing.flows``); this module reads no other
domain.

Rules (notice item 7; PIPL Art. 23, 28–31):

* a field holding sensitive personal information or children's personal information can never
  be 无条件共享 — providing it to others needs the separate consent and the protection that
  PIPL Art. 23 and 29–31 ask for;
* a dataset can be 无条件共享 only when each such field of it is explicitly 有条件共享 or
  不予共享 (in the same request, e.g. by naming it in ``never_shared``);
* a field is never more open than its dataset; tightening a dataset tightens its fields;
* 有条件共享 states its conditions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.errors import ValidationFailed
from eduguard.sharing.models import OPENNESS, ShareAttribute, ShareSetting

NAMES = {
    ShareAttribute.unconditional: "无条件共享",
    ShareAttribute.conditional: "有条件共享",
    ShareAttribute.none: "不予共享",
}
BASIS = (
    "《教育部等七部门关于加强教育系统数据安全工作的通知》重点任务第7项、"
    "《个人信息保护法》第二十三条（向他人提供个人信息须告知并取得单独同意）"
)


@dataclass(frozen=True)
class FieldFacts:
    id: int
    name: str
    protected: bool  # sensitive PI or children's PI: never 无条件共享


def dataset_setting(session: Session, dataset_id: int) -> ShareSetting | None:
    return session.scalar(
        select(ShareSetting).where(
            ShareSetting.dataset_id == dataset_id, ShareSetting.field_id.is_(None)
        )
    )


def field_settings(session: Session, dataset_id: int) -> dict[int, ShareSetting]:
    rows = session.scalars(
        select(ShareSetting).where(
            ShareSetting.dataset_id == dataset_id, ShareSetting.field_id.is_not(None)
        )
    )
    return {row.field_id: row for row in rows if row.field_id is not None}


def settings_of(session: Session, dataset_ids: Sequence[int]) -> list[ShareSetting]:
    if not dataset_ids:
        return []
    return list(
        session.scalars(select(ShareSetting).where(ShareSetting.dataset_id.in_(dataset_ids)))
    )


def effective(
    dataset: ShareAttribute | None, own: ShareSetting | None, protected: bool
) -> ShareAttribute | None:
    """A field's attribute: its own, else its dataset's — never 无条件共享 when protected
    (a sensitive field a later scan added to an open dataset is held back until decided)."""
    value = own.attribute if own is not None else dataset
    if value is ShareAttribute.unconditional and protected:
        return ShareAttribute.conditional
    return value


def _more_open(a: ShareAttribute, b: ShareAttribute) -> bool:
    return OPENNESS[a] > OPENNESS[b]


def _refuse_protected(name: str) -> ValidationFailed:
    return ValidationFailed(
        "sharing_sensitive_unconditional",
        f"数据项“{name}”含敏感个人信息或儿童个人信息，不得设为无条件共享；"
        f"请设为有条件共享或不予共享（依据：{BASIS}）",
        f"field {name!r} holds sensitive or children's personal information and can never be "
        "shared unconditionally (notice item 7, PIPL Art. 23)",
        details={"field": name},
    )


def check_masking(masking: str | None, known: dict[str, str]) -> None:
    if masking is not None and masking not in known:
        listed = "、".join(f"{code}（{label}）" for code, label in sorted(known.items()))
        raise ValidationFailed(
            "sharing_masking_unknown",
            f"未知的脱敏要求“{masking}”；可选：{listed}",
            f"unknown masking requirement {masking!r}",
            details={"masking": masking},
        )


def _touch(row: ShareSetting, by: str) -> None:
    row.revision = (row.revision or 0) + 1
    row.updated_by = by


def save_dataset(
    session: Session,
    dataset_id: int,
    dataset_name: str,
    fields: Sequence[FieldFacts],
    *,
    attribute: ShareAttribute,
    conditions: str,
    protection: str,
    responsible: str,
    never_shared: Sequence[str],
    by: str,
) -> ShareSetting:
    """Set the dataset's attribute; every rule is checked before anything is written."""
    conditions, protection, responsible = (
        conditions.strip(),
        protection.strip(),
        responsible.strip(),
    )
    if attribute is ShareAttribute.conditional and not conditions:
        raise ValidationFailed(
            "sharing_conditions_required",
            "有条件共享须写明共享条件（如：仅限教育行政部门履职使用、须签订数据共享协议）",
            "conditional sharing needs its conditions",
        )
    by_name = {f.name: f for f in fields}
    unknown = [name for name in never_shared if name not in by_name]
    if unknown:
        raise ValidationFailed(
            "sharing_field_not_in_dataset",
            f"“{'、'.join(unknown)}”不是数据集“{dataset_name}”在数据资源目录中的数据项",
            "not a field of the dataset",
            details={"fields": unknown},
        )
    own = field_settings(session, dataset_id)
    closed = set(never_shared)
    if attribute is ShareAttribute.unconditional:
        open_protected = [
            f.name
            for f in fields
            if f.protected
            and f.name not in closed
            and (f.id not in own or own[f.id].attribute is ShareAttribute.unconditional)
        ]
        if open_protected:
            names = "、".join(open_protected)
            raise ValidationFailed(
                "sharing_sensitive_unconditional",
                f"数据集“{dataset_name}”中的数据项（{names}）含敏感个人信息或儿童个人信息，"
                f"须先设为有条件共享或不予共享（可列入“永不共享的数据项”），数据集才能设为"
                f"无条件共享（依据：{BASIS}）",
                "the dataset's sensitive or children's fields must first be conditional or not "
                "shared (notice item 7, PIPL Art. 23)",
                details={"fields": open_protected},
            )
    row = dataset_setting(session, dataset_id)
    if row is None:
        row = ShareSetting(dataset_id=dataset_id, field_id=None, revision=0)
        session.add(row)
    row.attribute, row.conditions, row.protection = attribute, conditions, protection
    row.responsible = responsible
    _touch(row, by)
    for facts in fields:
        setting = own.get(facts.id)
        if facts.name in closed:
            if setting is None:
                setting = ShareSetting(dataset_id=dataset_id, field_id=facts.id, revision=0)
                session.add(setting)
            elif setting.attribute is ShareAttribute.none and setting.never_shared:
                continue
            setting.attribute, setting.never_shared = ShareAttribute.none, True
            _touch(setting, by)
        elif setting is not None:
            changed = setting.never_shared  # the list replaces the one saved before
            setting.never_shared = False  # (the field stays 不予共享 until set otherwise)
            if _more_open(setting.attribute, attribute):
                setting.attribute = attribute  # tightening the dataset tightens its fields
                changed = True
            if changed:
                _touch(setting, by)
    session.flush()
    return row


def save_field(
    session: Session,
    dataset_id: int,
    dataset_name: str,
    facts: FieldFacts,
    *,
    attribute: ShareAttribute,
    conditions: str,
    masking: str | None,
    never_shared: bool,
    known_masking: dict[str, str],
    by: str,
) -> ShareSetting:
    parent = dataset_setting(session, dataset_id)
    if parent is None:
        raise ValidationFailed(
            "sharing_dataset_unset",
            f"请先设置数据集“{dataset_name}”的共享属性，再设置其数据项",
            "set the dataset's attribute first",
        )
    if facts.protected and attribute is ShareAttribute.unconditional:
        raise _refuse_protected(facts.name)
    if _more_open(attribute, parent.attribute):
        raise ValidationFailed(
            "sharing_field_more_open",
            f"数据项“{facts.name}”不得设为{NAMES[attribute]}：不能比所属数据集“{dataset_name}”"
            f"（{NAMES[parent.attribute]}）更开放",
            "a field cannot be more open than its dataset",
            details={"field": facts.name},
        )
    if never_shared and attribute is not ShareAttribute.none:
        raise ValidationFailed(
            "sharing_never_shared_open",
            f"数据项“{facts.name}”已标为永不共享，共享属性须为不予共享",
            "a field never shared must be 不予共享",
        )
    masking = masking.strip() or None if masking is not None else None
    check_masking(masking, known_masking)
    row = field_settings(session, dataset_id).get(facts.id)
    if row is None:
        row = ShareSetting(dataset_id=dataset_id, field_id=facts.id, revision=0)
        session.add(row)
    row.attribute, row.conditions, row.masking = attribute, conditions.strip(), masking
    row.never_shared = never_shared
    _touch(row, by)
    session.flush()
    return row
