"""The conditions a rule's ``applies_to`` and ``escalate_when`` name, over the snapshots of
``compliance.checks``: each answers None (the rule does not apply to the subject) or why it
applies, in Chinese ("" when there is nothing worth saying)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eduguard.compliance.checks import SystemSnap, UnitSnap, list_names
from eduguard.compliance.register_checks import exempted, needing_consent


def _min_pi_subjects(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    if system.pi_subjects >= value:
        return f"存储约 {system.pi_subjects:,} 人的个人信息（≥ {value:,} 人）"
    return None


def _has_pi(s: Any, value: Any) -> str | None:
    if bool(s.has_pi) != bool(value):
        return None
    return "含个人信息" if value else "不含个人信息"


def _has_minors(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    if system.has_minors != bool(value):
        return None
    if not value:
        return "不含儿童个人信息"
    detail = f"：{list_names(system.minors_fields)}" if system.minors_fields else ""
    return f"含不满十四周岁儿童的个人信息{detail}"


def _has_sensitive(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    if bool(system.sensitive_fields) != bool(value):
        return None
    if not value:
        return "不含敏感个人信息"
    return f"含敏感个人信息字段：{list_names(system.sensitive_fields)}"


def _on_consent(system: SystemSnap, labels: list[str], what: str, value: Any) -> str | None:
    """Fields of ``labels`` processed on consent (or with no purpose in the register): the
    consent rules apply to them; fields under another PIPL Art. 13 basis are named as exempt."""
    needing = needing_consent(system, labels)
    if bool(needing) != bool(value):
        return None
    free = exempted(system, labels)
    exempt = (
        f"（{list_names(free, 4)} 的处理目的依据其他合法性基础，无需取得同意：个人信息保护法"
        "第十三条第二款）"
        if free
        else ""
    )
    if not value:
        return f"{what}均不以个人同意为合法性基础{exempt}"
    return f"{what}以个人同意为合法性基础或未列入已启用的处理目的：{list_names(needing)}{exempt}"


def _sensitive_needs_consent(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    return _on_consent(system, system.sensitive_fields, "敏感个人信息字段", value)


def _children_need_consent(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    return _on_consent(system, system.children_fields, "不满十四周岁儿童的个人信息字段", value)


def _has_item11_sensitive(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    if bool(system.item11_fields) != bool(value):
        return None
    if not value:
        return "不含通知第11项所列敏感个人信息"
    return f"含通知第11项所列敏感个人信息：{list_names(system.item11_fields)}"


def _min_mlps_level(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    if system.mlps_level is None or system.mlps_level < value:
        return None
    return f"网络安全等级保护第{system.mlps_level}级"


def _system_kinds(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    labels = {"system": "信息系统", "website": "网站", "app": "App", "mini_program": "小程序"}
    return f"类型为{labels.get(system.kind, system.kind)}" if system.kind in value else None


def _in_unit_kinds(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    labels = {"school": "中小学校（学生多为未成年人）", "university": "高等学校"}
    return labels.get(system.unit_kind, "") if system.unit_kind in value else None


def _has_important_data(s: Any, value: Any) -> str | None:
    """A system (or a unit's own systems) with a dataset graded important or core."""
    subject: SystemSnap | UnitSnap = s
    if bool(subject.important_datasets) != bool(value):
        return None
    if not value:
        return "无分级为重要数据的数据集"
    return f"数据资源目录中分级为重要（核心）数据：{list_names(subject.important_datasets)}"


def _shares_pi(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    shares = bool(system.facts.get("pi_shared_with_others")) and system.has_pi
    if shares != bool(value):
        return None
    return "向其他单位或第三方共享个人信息（已登记）" if value else "未登记对外共享个人信息"


def _pia_trigger(s: Any, value: Any) -> str | None:
    """PIPL Art. 55: sensitive PI, entrusting, providing to others (sharing), cross-border."""
    system: SystemSnap = s
    reasons = []
    if system.sensitive_fields:
        reasons.append("处理敏感个人信息")
    if (system.operator_name or "").strip() and system.has_pi:
        reasons.append(f"委托第三方“{system.operator_name}”处理个人信息")
    if system.facts.get("pi_shared_with_others") and system.has_pi:
        reasons.append("向其他单位或第三方提供个人信息")
    if system.storage_location == "overseas" and system.has_pi:
        reasons.append("向境外提供个人信息")
    if bool(reasons) != bool(value):
        return None
    return "、".join(reasons) if value else "无须事前影响评估的情形"


def _serves_minors(s: Any, value: Any) -> str | None:
    """Minors' data in the wide sense of the minors' online protection regulation (under 18):
    children's data in the catalog, or any PI of a K-12 school's system (high-school pupils
    are 14–17)."""
    system: SystemSnap = s
    serves = system.has_minors or (system.unit_kind == "school" and system.has_pi)
    if serves != bool(value):
        return None
    if not value:
        return "不处理未成年人个人信息"
    return "处理未成年人（不满十八周岁）的个人信息"


def _min_unit_pi_subjects(s: Any, value: Any) -> str | None:
    unit: UnitSnap = s
    if unit.pi_subjects_total >= value:
        return f"本单位各系统合计约 {unit.pi_subjects_total:,} 人的个人信息（≥ {value:,} 人）"
    return None


def _has_operator(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    has = bool((system.operator_name or "").strip())
    if has != bool(value):
        return None
    return f"由第三方“{system.operator_name}”运营" if value else "由本单位运营"


def _storage_location(s: Any, value: Any) -> str | None:
    system: SystemSnap = s
    if system.storage_location != value:
        return None
    return "数据存储于境外" if value == "overseas" else "数据存储于境内"


def _has_systems(s: Any, value: Any) -> str | None:
    unit: UnitSnap = s
    if (unit.system_count > 0) != bool(value):
        return None
    return f"登记了 {unit.system_count} 个信息系统" if value else "未登记信息系统"


def _unit_kinds(s: Any, value: Any) -> str | None:
    unit: UnitSnap = s
    return "" if unit.kind in value else None


@dataclass(frozen=True)
class ConditionSpec:
    target: str
    kind: str  # "int" | "bool" | "str" | "list"
    test: Callable[[Any, Any], str | None]  # None: does not apply; else why it applies ("" ok)
    choices: tuple[str, ...] = ()


CONDITIONS: dict[str, ConditionSpec] = {
    "min_pi_subjects": ConditionSpec("system", "int", _min_pi_subjects),
    "has_pi": ConditionSpec("system|dataset", "bool", _has_pi),
    "has_minors": ConditionSpec("system", "bool", _has_minors),
    "has_sensitive": ConditionSpec("system", "bool", _has_sensitive),
    "has_item11_sensitive": ConditionSpec("system", "bool", _has_item11_sensitive),
    "sensitive_needs_consent": ConditionSpec("system", "bool", _sensitive_needs_consent),
    "children_need_consent": ConditionSpec("system", "bool", _children_need_consent),
    "system_kinds": ConditionSpec(
        "system", "list", _system_kinds, ("system", "website", "app", "mini_program")
    ),
    "in_unit_kinds": ConditionSpec(
        "system",
        "list",
        _in_unit_kinds,
        ("ministry", "province", "city", "county", "school", "university", "affiliated"),
    ),
    "has_important_data": ConditionSpec("system|unit", "bool", _has_important_data),
    "shares_pi": ConditionSpec("system", "bool", _shares_pi),
    "pia_trigger": ConditionSpec("system", "bool", _pia_trigger),
    "min_unit_pi_subjects": ConditionSpec("unit", "int", _min_unit_pi_subjects),
    "serves_minors": ConditionSpec("system", "bool", _serves_minors),
    "min_mlps_level": ConditionSpec("system", "int", _min_mlps_level),
    "has_operator": ConditionSpec("system", "bool", _has_operator),
    "storage_location": ConditionSpec("system", "str", _storage_location, ("domestic", "overseas")),
    "has_systems": ConditionSpec("unit", "bool", _has_systems),
    "unit_kinds": ConditionSpec(
        "unit",
        "list",
        _unit_kinds,
        ("ministry", "province", "city", "county", "school", "university", "affiliated"),
    ),
}
