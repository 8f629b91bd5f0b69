"""Versioned compliance rules: a TOML data file, each rule citing its clauses.

A rule picks a check (``compliance.checks.CHECKS``) and its parameters, says which subjects it
applies to, how severe a failure is, what to do about it, who does it and by when. A broken
file is refused with a Chinese error naming the file and the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from eduguard.compliance import citations
from eduguard.compliance.checks import FACTS, UNIT_FACTS, Context, Outcome, Subject, SystemSnap
from eduguard.compliance.conditions import CONDITIONS
from eduguard.compliance.register_checks import ALL_CHECKS as CHECKS
from eduguard.compliance.register_checks import needing_consent
from eduguard.errors import ValidationFailed

DEFAULT_RULES = Path(__file__).parent / "data" / "rules.toml"
SEVERITIES = {"high": "高", "medium": "中", "low": "低"}
TARGETS = {"unit": "单位", "system": "信息系统", "dataset": "数据集"}
# Role values of eduguard.identity.models.Role (a test keeps them equal) with their labels.
OWNER_ROLES = {
    "system_admin": "系统管理员",
    "security_admin": "安全管理员",
    "audit_admin": "审计管理员",
    "data_owner": "数据主管",
    "data_operator": "数据运营",
    "data_user": "数据使用",
    "pi_officer": "个人信息保护负责人",
    "supervisor": "上级监管",
}
RULE_ID = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,63}$")
RULE_KEYS = {
    "id",
    "title_zh",
    "title_en",
    "clauses",
    "severity",
    "target",
    "applies_to",
    "check",
    "params",
    "remediation_zh",
    "remediation_en",
    "owner_role",
    "due_in_days",
    "escalate_when",
}
REQUIRED = RULE_KEYS - {"applies_to", "params", "remediation_en", "title_en", "escalate_when"}


@dataclass(frozen=True)
class Rule:
    id: str
    title_zh: str
    title_en: str
    clauses: tuple[str, ...]
    severity: str
    target: str
    applies_to: Mapping[str, Any]
    check: str
    params: Mapping[str, Any]
    remediation_zh: str
    remediation_en: str
    owner_role: str
    due_in_days: int
    # Conditions under which a failure is high whatever ``severity`` says (e.g. MLPS level 3+).
    escalate_when: Mapping[str, Any] = field(default_factory=dict)

    def severity_for(self, subject: Subject) -> str:
        """The severity of a failure for ``subject``: high when every escalation condition
        holds, else the rule's own."""
        if self.escalate_when and all(
            CONDITIONS[name].test(subject, value) is not None
            for name, value in self.escalate_when.items()
        ):
            return "high"
        return self.severity

    def applies(self, subject: Subject) -> list[str] | None:
        """Why the rule applies to ``subject`` (descriptions), or None when it does not."""
        reasons: list[str] = []
        for name, value in self.applies_to.items():
            reason = CONDITIONS[name].test(subject, value)
            if reason is None:
                return None
            if reason:
                reasons.append(reason)
        return reasons

    def evaluate(self, subject: Subject, context: Context) -> Outcome | None:
        """None when the rule holds or does not apply; the failure's evidence otherwise."""
        reasons = self.applies(subject)
        if reasons is None:
            return None
        outcome = CHECKS[self.check].run(subject, self.params, context)
        if outcome is None:
            return None
        fields = list(outcome.fields)
        if not fields:
            fields = _condition_fields(subject, self.applies_to)
        prefix = "；".join(reasons)
        evidence = f"{prefix}；{outcome.evidence}" if prefix else outcome.evidence
        return Outcome(evidence, fields)


def _condition_fields(subject: Subject, applies_to: Mapping[str, Any]) -> list[str]:
    if applies_to.get("sensitive_needs_consent") and isinstance(subject, SystemSnap):
        return needing_consent(subject, subject.sensitive_fields)
    if applies_to.get("children_need_consent") and isinstance(subject, SystemSnap):
        return needing_consent(subject, subject.children_fields)
    if applies_to.get("has_item11_sensitive"):
        return list(getattr(subject, "item11_fields", []))
    if applies_to.get("has_sensitive"):
        return list(getattr(subject, "sensitive_fields", []))
    if applies_to.get("has_minors"):
        return list(getattr(subject, "minors_fields", []))
    return []


@dataclass(frozen=True)
class RuleSet:
    version: str
    title: str
    weights: Mapping[str, int]
    rules: tuple[Rule, ...]
    source: str
    max_points_per_rule: int = 100

    def by_id(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, key: str | None, problem_zh: str, problem_en: str) -> ValidationFailed:
        where_zh = f" 中 {key} " if key else " "
        where_en = f": {key} " if key else " "
        return ValidationFailed(
            "rules_invalid",
            f"合规规则文件 {self.path}{where_zh}{problem_zh}",
            f"compliance rules file {self.path}{where_en}{problem_en}",
            details={"file": str(self.path), "key": key},
        )

    def text(self, table: Mapping[str, Any], name: str, key: str, *, required: bool = True) -> str:
        value = table.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "须为非空字符串", "must be a non-empty string")
        return value.strip()

    def integer(self, value: Any, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(
                key, f"须为 {low}–{high} 之间的整数", f"must be an integer {low}–{high}"
            )
        return value

    def param(self, kind: str, value: Any, key: str) -> Any:
        if kind == "int":
            return self.integer(value, key, 0, 100_000_000)
        if kind == "bool":
            if not isinstance(value, bool):
                raise self.error(key, "须为 true 或 false", "must be true or false")
            return value
        if kind == "str":
            if not isinstance(value, str) or not value:
                raise self.error(key, "须为非空字符串", "must be a non-empty string")
            return value
        if kind in ("fact", "date_fact", "int_fact", "unit_fact", "unit_date_fact"):
            known = UNIT_FACTS if kind.startswith("unit_") else FACTS
            wanted_kind = {"date_fact": "date", "int_fact": "int"}.get(kind.removeprefix("unit_"))
            if value not in known or (wanted_kind and known[value][1] != wanted_kind):
                wanted = {"date_fact": "日期类", "int_fact": "数值类"}.get(
                    kind.removeprefix("unit_"), ""
                )
                raise self.error(
                    key, f"不是已知的{wanted}事实项：{value!r}", f"is not a known fact: {value!r}"
                )
            return value
        if kind in ("facts", "unit_facts", "list"):
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, str) for v in value)
            ):
                raise self.error(key, "须为非空字符串列表", "must be a non-empty list of strings")
            if kind in ("facts", "unit_facts"):
                for item in value:
                    self.param("unit_fact" if kind == "unit_facts" else "fact", item, key)
            return tuple(value)
        raise self.error(key, f"参数类型 {kind} 未定义", f"unknown parameter kind {kind}")

    def conditions(
        self, raw: Mapping[str, Any], name_key: str, where: str, target: str
    ) -> dict[str, Any]:
        applies = raw.get(name_key, {})
        if not isinstance(applies, dict):
            raise self.error(f"{where}.{name_key}", "须为表", "must be a table")
        conditions: dict[str, Any] = {}
        for name, value in applies.items():
            key = f"{where}.{name_key}.{name}"
            condition = CONDITIONS.get(name)
            if condition is None or target not in condition.target.split("|"):
                raise self.error(key, f"不是适用于 {target} 的条件", f"is not a {target} condition")
            conditions[name] = self.param(condition.kind, value, key)
            values = conditions[name] if condition.kind == "list" else (conditions[name],)
            if condition.choices and any(v not in condition.choices for v in values):
                raise self.error(key, f"须为 {'、'.join(condition.choices)} 之一", "bad choice")
        return conditions

    def rule(self, raw: Any, index: int, seen: set[str]) -> Rule:
        where = f"rule[{index}]"
        if not isinstance(raw, dict):
            raise self.error(where, "须为表（[[rule]]）", "must be a table ([[rule]])")
        rule_id = raw.get("id")
        if isinstance(rule_id, str):
            where = f"rule[{index}]（{rule_id}）"
        unknown = sorted(set(raw) - RULE_KEYS)
        if unknown:
            raise self.error(f"{where}.{unknown[0]}", "是未知的键", "is an unknown key")
        for name in sorted(REQUIRED):
            if name not in raw:
                raise self.error(f"{where}.{name}", "缺失", "is missing")
        if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
            raise self.error(
                f"{where}.id", "须由大写字母、数字和连字符组成", "must be A-Z, 0-9 and hyphens"
            )
        if rule_id in seen:
            raise self.error(f"{where}.id", "与前面的规则重复", "duplicates an earlier rule")
        seen.add(rule_id)
        clauses = raw["clauses"]
        if not isinstance(clauses, list) or not clauses:
            raise self.error(f"{where}.clauses", "须为非空的条款列表", "must list the clauses")
        for n, clause in enumerate(clauses):
            if not isinstance(clause, str) or not clause.strip():
                raise self.error(f"{where}.clauses[{n}]", "须为非空字符串", "must be a string")
            problem = citations.default_registry().problem(clause)
            if problem is not None:
                raise self.error(
                    f"{where}.clauses[{n}]",
                    f"引用有误：{problem}",
                    f"cites what the shipped texts do not have: {clause}",
                )
        severity = raw["severity"]
        if severity not in SEVERITIES:
            raise self.error(f"{where}.severity", "须为 high、medium 或 low", "high|medium|low")
        target = raw["target"]
        if target not in TARGETS:
            raise self.error(
                f"{where}.target", "须为 unit、system 或 dataset", "unit|system|dataset"
            )
        check = raw["check"]
        spec = CHECKS.get(check) if isinstance(check, str) else None
        if spec is None:
            raise self.error(
                f"{where}.check", f"是未知的检查项：{check!r}", f"unknown check {check!r}"
            )
        if spec.target != target:
            raise self.error(
                f"{where}.check",
                f"（{check}）只能用于 {spec.target}，与 target = {target} 不符",
                f"({check}) applies to {spec.target}, not {target}",
            )
        params = raw.get("params", {})
        if not isinstance(params, dict):
            raise self.error(f"{where}.params", "须为表", "must be a table")
        for name in params:
            if name not in spec.params:
                raise self.error(
                    f"{where}.params.{name}", "是未知的参数", "is an unknown parameter"
                )
        checked = {}
        for name, kind in spec.params.items():
            if name not in params:
                raise self.error(f"{where}.params.{name}", "缺失", "is missing")
            checked[name] = self.param(kind, params[name], f"{where}.params.{name}")
        conditions = self.conditions(raw, "applies_to", where, target)
        escalate = self.conditions(raw, "escalate_when", where, target)
        owner = raw["owner_role"]
        if owner not in OWNER_ROLES:
            raise self.error(
                f"{where}.owner_role", f"是未知的角色：{owner!r}", f"unknown role {owner!r}"
            )
        return Rule(
            id=rule_id,
            title_zh=self.text(raw, "title_zh", f"{where}.title_zh"),
            title_en=self.text(raw, "title_en", f"{where}.title_en", required=False) or rule_id,
            clauses=tuple(c.strip() for c in clauses),
            severity=severity,
            target=target,
            applies_to=conditions,
            check=check,
            params=checked,
            remediation_zh=self.text(raw, "remediation_zh", f"{where}.remediation_zh"),
            remediation_en=self.text(
                raw, "remediation_en", f"{where}.remediation_en", required=False
            ),
            owner_role=owner,
            due_in_days=self.integer(raw["due_in_days"], f"{where}.due_in_days", 1, 3650),
            escalate_when=escalate,
        )

    def ruleset(self) -> RuleSet:
        try:
            document = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise self.error(None, "不存在", "does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise self.error(None, f"无法读取（{type(exc).__name__}）", "unreadable") from None
        except tomllib.TOMLDecodeError as exc:
            raise self.error(None, f"不是有效的 TOML：{exc}", f"is not valid TOML: {exc}") from None
        unknown = sorted(
            set(document) - {"version", "title", "weights", "max_points_per_rule", "rule"}
        )
        if unknown:
            raise self.error(unknown[0], "是未知的键", "is an unknown key")
        version = self.text(document, "version", "version")
        title = self.text(document, "title", "title", required=False) or "合规规则"
        weights_raw = document.get("weights")
        if not isinstance(weights_raw, dict) or set(weights_raw) != set(SEVERITIES):
            raise self.error(
                "weights", "须为 high、medium、low 三项扣分", "must weigh high, medium, low"
            )
        weights = {k: self.integer(v, f"weights.{k}", 0, 100) for k, v in weights_raw.items()}
        raw_rules = document.get("rule")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise self.error("rule", "须至少定义一条规则（[[rule]]）", "must define rules")
        seen: set[str] = set()
        rules = tuple(self.rule(raw, n, seen) for n, raw in enumerate(raw_rules))
        cap = document.get("max_points_per_rule", 100)
        max_per_rule = self.integer(cap, "max_points_per_rule", 1, 100)
        return RuleSet(version[:40], title, weights, rules, str(self.path), max_per_rule)


def load(path: Path | None = None) -> RuleSet:
    """The rules in ``path`` (default: the packaged rules), validated."""
    return _Reader(path or DEFAULT_RULES).ruleset()


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return load(DEFAULT_RULES)
