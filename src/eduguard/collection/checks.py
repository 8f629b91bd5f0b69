"""Pre-checks of a collection plan, each citing its clause (baselines and clause texts are data
files beside this module). Pure functions over the plan and what other domains know of the
system (:class:`Context`, built by ``collection.flows``); nothing here reads the database.

A check is ``pass``, ``fail`` (blocks approval), ``warn`` (shown, does not block) or ``na``.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from eduguard.collection.models import Acquisition, CollectionPlan, PlanField
from eduguard.labels import label

LARGE_SCALE = 1_000_000
MIN_ARGUMENT = 20  # characters of a necessity argument
MIN_JUSTIFICATION = 10


@cache
def baselines() -> dict[str, dict[str, Any]]:
    text = files("eduguard.collection").joinpath("baselines.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def clauses() -> dict[str, dict[str, Any]]:
    text = files("eduguard.collection").joinpath("clauses.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Holding:
    """A catalog field of another system (of the unit or a unit above) holding a type."""

    system: str
    unit: str
    dataset: str
    field: str


@dataclass
class Context:
    """What the registry, the catalog, the register and the compliance facts say."""

    system_name: str
    holdings: dict[str, list[Holding]] = field(default_factory=dict)  # PI type → holders
    consent_purposes: list[str] = field(default_factory=list)
    separate_consent_purposes: list[str] = field(default_factory=list)  # consent + Art. 30 note
    children_rules: bool = False  # a children's collection rules version is published
    pi_officer: str | None = None
    provincial_filing: str | None = None
    mlps_level: int | None = None
    cross_border_ref: str | None = None


@dataclass
class Check:
    code: str
    status: str  # pass / fail / warn / na
    summary: str
    items: list[str] = field(default_factory=list)

    @property
    def cite(self) -> str:
        return str(clauses()[self.code]["cite"])

    @property
    def clause(self) -> str:
        return str(clauses()[self.code]["text"])

    @property
    def blocking(self) -> bool:
        return self.status == "fail"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "status": self.status,
            "summary": self.summary,
            "items": list(self.items),
            "cite": self.cite,
            "clause": self.clause,
        }


CHECK_LABELS = {
    "minimum_necessary": ("最小必要", "Minimum necessary"),
    "one_source": ("一数一源", "One data, one source"),
    "sensitive": ("敏感个人信息", "Sensitive personal information"),
    "children": ("不满十四周岁儿童", "Children under 14"),
    "retention": ("存储期限", "Retention"),
    "storage": ("存储位置", "Storage location"),
    "large_scale": ("100 万人以上", "1,000,000+ people"),
}
STATUS_LABELS = {
    "pass": ("通过", "passed"),
    "fail": ("未通过", "failed"),
    "warn": ("提示", "note"),
    "na": ("不适用", "not applicable"),
}


def _shown(item: PlanField) -> str:
    return f"“{item.name}”" + (f"（{item.label}）" if item.label else "")


def _types(item: PlanField) -> str:
    return "、".join(label("pi_type", code) for code in item.types)


def retention_of(plan: CollectionPlan) -> dict[str, str]:
    try:
        data = json.loads(plan.retention or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def minimum_necessary(plan: CollectionPlan) -> Check:
    baseline = baselines().get(plan.system_type)
    if baseline is None:
        return Check("minimum_necessary", "fail", f"未知的系统类型：{plan.system_type}")
    allowed = set(baseline["types"])
    items = []
    for item in plan.fields:
        extra = [code for code in item.types if code not in allowed]
        if not extra:
            continue
        if item.optional or len(item.justification.strip()) >= MIN_JUSTIFICATION:
            continue
        names = "、".join(label("pi_type", code) for code in extra)
        items.append(
            f"{_shown(item)}为{names}，不在“{baseline['label']}”的必要个人信息范围内"
            f"（基线：{baseline['source']}）：请填写书面理由，或标为可选并允许拒绝"
        )
    if items:
        return Check("minimum_necessary", "fail", f"{len(items)} 个字段超出最小必要范围", items)
    return Check(
        "minimum_necessary", "pass", f"所有个人信息字段均在“{baseline['label']}”基线内或已说明理由"
    )


def one_source(plan: CollectionPlan, context: Context) -> Check:
    exempt = set(clauses()["one_source"]["exempt"])
    items = []
    for item in plan.fields:
        if item.acquisition == Acquisition.share:
            continue
        held = [
            h for code in item.types if code not in exempt for h in context.holdings.get(code, [])
        ]
        if not held:
            continue
        where = "；".join(
            dict.fromkeys(f"{h.unit}·{h.system}（{h.dataset}.{h.field}）" for h in held[:3])
        )
        items.append(
            f"{_shown(item)}（{_types(item)}）已由 {where} 持有："
            "应通过数据共享或核验获取，不得重复收集（将该字段的获取方式改为“共享/核验”）"
        )
    if items:
        return Check(
            "one_source", "fail", f"{len(items)} 个字段已在本单位或上级单位的系统中", items
        )
    return Check("one_source", "pass", "没有与本单位及上级单位数据资源目录重复收集的字段")


def sensitive(plan: CollectionPlan, context: Context) -> Check:
    fields = [item for item in plan.fields if item.sensitive]
    if not fields:
        return Check("sensitive", "na", "计划中没有敏感个人信息")
    missing = []
    if len(plan.necessity_argument.strip()) < MIN_ARGUMENT:
        missing.append(f"必要性、科学性论证（至少 {MIN_ARGUMENT} 字）")
    if len(plan.ethics_argument.strip()) < MIN_JUSTIFICATION:
        missing.append(f"伦理性论证（至少 {MIN_JUSTIFICATION} 字）")
    if plan.meeting_date is None:
        missing.append("领导班子集体决策的会议日期")
    if len([a for a in plan.meeting_attendees.splitlines() if a.strip()]) < 2:
        missing.append("参会人员（至少 2 人）")
    if not plan.minutes_sha256:
        missing.append("会议纪要文件")
    if not context.separate_consent_purposes:
        missing.append(
            "处理活动记录中取得单独同意的处理目的（法律依据为同意，并写明敏感个人信息的必要性）"
        )
    listed = "；".join(f"{_shown(i)}：{_types(i)}" for i in fields)
    if missing:
        return Check(
            "sensitive",
            "fail",
            f"{len(fields)} 个敏感个人信息字段，缺少：{'、'.join(missing)}",
            [listed, *(f"缺少{m}" for m in missing)],
        )
    return Check(
        "sensitive", "pass", f"{len(fields)} 个敏感个人信息字段，论证与集体决策齐全", [listed]
    )


def children(plan: CollectionPlan, context: Context) -> Check:
    flagged = [item for item in plan.fields if item.minors]
    if not plan.children and not flagged:
        return Check("children", "na", "收集对象不含不满十四周岁的儿童")
    missing = []
    if not context.consent_purposes:
        missing.append("处理活动记录中取得监护人同意的处理目的")
    if not context.children_rules:
        missing.append("已发布的儿童个人信息处理专门规则")
    if missing:
        return Check(
            "children", "fail", f"收集不满十四周岁儿童的个人信息，缺少：{'、'.join(missing)}"
        )
    return Check("children", "pass", "监护人同意的处理目的与儿童专门规则已具备")


def retention(plan: CollectionPlan) -> Check:
    periods = retention_of(plan)
    groups = list(dict.fromkeys(item.group for item in plan.fields if item.types))
    missing = [group for group in groups if not periods.get(group, "").strip()]
    if not groups:
        return Check("retention", "na", "计划中没有个人信息字段")
    if missing:
        return Check(
            "retention",
            "fail",
            f"{len(missing)} 组字段未写明存储期限",
            [f"“{group}”未写明存储期限" for group in missing],
        )
    return Check("retention", "pass", "每组个人信息字段都写明了存储期限")


def storage(plan: CollectionPlan, context: Context) -> Check:
    if plan.storage_location != "overseas":
        return Check("storage", "pass", "数据存储在境内")
    reference = plan.cross_border_ref.strip() or (context.cross_border_ref or "")
    if reference:
        return Check("storage", "pass", f"境外存储，已有出境安全评估：{reference}")
    return Check("storage", "fail", "数据存储在境外，但没有出境安全评估记录")


def large_scale(plan: CollectionPlan, context: Context) -> Check:
    if plan.expected_subjects < LARGE_SCALE:
        return Check("large_scale", "na", f"预计收集 {plan.expected_subjects:,} 人，未达 100 万人")
    missing = []
    if not context.pi_officer:
        missing.append("明确个人信息保护负责人")
    if not context.provincial_filing:
        missing.append("向省级教育行政部门备案")
    if (context.mlps_level or 0) < 3:
        missing.append("网络安全等级保护定为三级以上")
    if missing:
        return Check(
            "large_scale",
            "fail",
            f"预计收集 {plan.expected_subjects:,} 人（100 万人以上），尚未：{'、'.join(missing)}",
            [f"尚未{m}" for m in missing] + ["每年对个人信息处理活动进行安全审计"],
        )
    return Check(
        "large_scale",
        "pass",
        f"预计收集 {plan.expected_subjects:,} 人：负责人、备案、等保三级已具备",
        ["每年对个人信息处理活动进行安全审计"],
    )


def run_checks(plan: CollectionPlan, context: Context) -> list[Check]:
    return [
        minimum_necessary(plan),
        one_source(plan, context),
        sensitive(plan, context),
        children(plan, context),
        retention(plan),
        storage(plan, context),
        large_scale(plan, context),
    ]
