"""Masking policies as data: which operator each type (and level) of personal information gets.

The default policy is ``protection/data/default_policy.toml``; a unit copies and edits it.
:func:`load_policy` checks everything before any data is read — unknown keys, type codes,
levels, operators and operator parameters — and reports *every* problem at once in Chinese,
with what is allowed, as a :class:`PolicyError`.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from eduguard.classification import LEVELS
from eduguard.discovery.detectors import BY_CODE
from eduguard.errors import ValidationFailed
from eduguard.protection.operators import REGISTRY, Operator, OperatorError, create

POLICY_VERSION = 1
PI_TYPES = tuple(sorted(BY_CODE))
_TOP_KEYS = frozenset({"version", "description", "fallback", "text", "types", "columns"})
_RULE_KEYS = frozenset({"operator", "params", "levels"})
_COLUMN_KEYS = frozenset({"name", "table", "type", "operator", "params", "text"})
TEXT_OPERATORS = ("mask", "redact", "pseudonymise", "suppress")


class PolicyError(ValidationFailed):
    """A policy that cannot be used; ``details`` lists each problem."""

    def __init__(self, problems: list[str], source: str) -> None:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            "policy_invalid",
            f"脱敏策略“{source}”有 {len(problems)} 处错误，未处理任何数据：\n{listed}",
            f"masking policy {source!r} has {len(problems)} problem(s); nothing was processed:\n"
            f"{listed}",
            details=problems,
        )


@dataclass(frozen=True)
class Rule:
    """One operator with its parameters, as the policy wrote it."""

    operator: str
    params: dict[str, Any] = field(default_factory=dict)

    def build(self) -> Operator:
        return create(self.operator, self.params)


@dataclass(frozen=True)
class ColumnRule:
    name: str
    table: str | None
    pi_type: str | None
    rule: Rule | None  # None: the type's rule
    text: bool = False


@dataclass(frozen=True)
class Policy:
    source: str
    fallback: Rule
    text: Rule
    types: dict[str, Rule]
    levels: dict[tuple[str, str], Rule]
    columns: tuple[ColumnRule, ...] = ()

    def rule_for(self, pi_type: str, level: str | None = None) -> Rule:
        """The rule for a type at a level: the level's override, the type's, else the fallback."""
        if level is not None and (pi_type, level) in self.levels:
            return self.levels[pi_type, level]
        return self.types.get(pi_type, self.fallback)

    def column(self, table: str, name: str) -> ColumnRule | None:
        """The explicit entry for a column: one naming its table first, then one for any table."""
        for entry in self.columns:
            if entry.name == name and entry.table == table:
                return entry
        for entry in self.columns:
            if entry.name == name and entry.table is None:
                return entry
        return None


def default_policy_text() -> str:
    return (resources.files("eduguard.protection") / "data" / "default_policy.toml").read_text(
        encoding="utf-8"
    )


@functools.cache
def default_policy() -> Policy:
    """The packaged default policy, parsed once per process (policies are frozen)."""
    return parse_policy(default_policy_text(), "default_policy.toml")


def load_policy(path: Path | None = None) -> Policy:
    """The policy at ``path`` (the default policy when None); raises :class:`PolicyError`."""
    if path is None:
        return default_policy()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError([f"无法读取文件：{error}"], str(path)) from None
    return parse_policy(text, str(path))


def parse_policy(text: str, source: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError([f"不是有效的 TOML：{error}"], source) from None
    checker = _Checker()
    policy = checker.policy(data, source)
    if checker.problems:
        raise PolicyError(checker.problems, source)
    return policy


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def unknown_keys(self, where: str, found: dict[str, Any], allowed: frozenset[str]) -> None:
        extra = sorted(set(found) - allowed)
        if extra:
            self.problems.append(
                f"{where} 中有未知的键：{'、'.join(extra)}（可用：{'、'.join(sorted(allowed))}）"
            )

    def pi_type(self, where: str, code: object) -> str | None:
        if isinstance(code, str) and code in BY_CODE:
            return code
        self.problems.append(f"{where}：未知的个人信息类型“{code}”（可用：{'、'.join(PI_TYPES)}）")
        return None

    def rule(
        self, where: str, entry: object, allowed_ops: tuple[str, ...] | None = None
    ) -> Rule | None:
        if not isinstance(entry, dict):
            self.problems.append(f'{where} 应为表（如 {{ operator = "mask" }}）')
            return None
        name = entry.get("operator")
        params = entry.get("params", {})
        choices = allowed_ops or tuple(sorted(REGISTRY))
        if name not in choices:
            self.problems.append(f"{where}：未知的脱敏算子“{name}”（可用：{'、'.join(choices)}）")
            return None
        if not isinstance(params, dict):
            self.problems.append(f"{where}：params 应为表")
            return None
        try:
            create(str(name), params)
        except OperatorError as error:
            self.problems.append(f"{where}：{error}")
            return None
        return Rule(str(name), dict(params))

    def policy(self, data: dict[str, Any], source: str) -> Policy:
        self.unknown_keys("策略文件顶层", data, _TOP_KEYS)
        version = data.get("version", POLICY_VERSION)
        if version != POLICY_VERSION:
            self.problems.append(f"不支持的策略版本 {version}（当前为 {POLICY_VERSION}）")
        fallback = self.rule("fallback", {"operator": data.get("fallback", "redact")})
        text = self.rule("[text]", data.get("text", {"operator": "mask"}), TEXT_OPERATORS)
        types: dict[str, Rule] = {}
        levels: dict[tuple[str, str], Rule] = {}
        raw_types = data.get("types", {})
        if not isinstance(raw_types, dict):
            self.problems.append("[types] 应为表")
            raw_types = {}
        for code, entry in raw_types.items():
            where = f"[types.{code}]"
            known = self.pi_type(where, code)
            if not isinstance(entry, dict):
                self.problems.append(f"{where} 应为表")
                continue
            self.unknown_keys(where, entry, _RULE_KEYS)
            rule = self.rule(where, entry)
            for level, override in dict(entry.get("levels", {})).items():
                if level not in LEVELS:
                    self.problems.append(
                        f"{where}.levels：未知的级别“{level}”（可用：{'、'.join(LEVELS)}）"
                    )
                    continue
                level_rule = self.rule(f"{where}.levels.{level}", override)
                if known and level_rule:
                    levels[known, level] = level_rule
            if known and rule:
                types[known] = rule
        columns = tuple(self.columns(data.get("columns", [])))
        return Policy(
            source=source,
            fallback=fallback or Rule("redact"),
            text=text or Rule("mask"),
            types=types,
            levels=levels,
            columns=columns,
        )

    def columns(self, raw: object) -> list[ColumnRule]:
        if not isinstance(raw, list):
            self.problems.append("[[columns]] 应为表数组")
            return []
        found: list[ColumnRule] = []
        for index, entry in enumerate(raw, start=1):
            where = f"[[columns]] 第 {index} 项"
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                self.problems.append(f"{where}：需要列名 name")
                continue
            self.unknown_keys(where, entry, _COLUMN_KEYS)
            pi_type = self.pi_type(where, entry["type"]) if "type" in entry else None
            rule = self.rule(where, entry) if "operator" in entry else None
            is_text = bool(entry.get("text", False))
            if rule is None and pi_type is None and not is_text and "operator" not in entry:
                self.problems.append(f"{where}：请给出 type、operator 或 text = true")
            table = entry.get("table")
            found.append(
                ColumnRule(entry["name"], str(table) if table else None, pi_type, rule, is_text)
            )
        return found
