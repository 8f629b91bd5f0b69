"""Classification and grading rules as data: load, validate, and explain failures in Chinese.

The default rules (``data/education.toml``) are a file a unit copies and edits; a broken or
inconsistent file raises :class:`RulesError` naming the key at fault, never a bare KeyError.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from eduguard.errors import EduguardError

LEVELS = ("core", "important", "general-4", "general-3", "general-2", "general-1")
PI_CODES = frozenset(
    {
        "CN_RESIDENT_ID", "STUDENT_REG_NO", "PASSPORT", "TRAVEL_PERMIT", "MOBILE_PHONE",
        "LANDLINE_PHONE", "EMAIL", "PERSON_NAME", "ADDRESS", "HOUSEHOLD_REGISTRATION",
        "BIRTH_DATE", "GENDER", "ETHNICITY", "RELIGION", "POLITICAL_STATUS", "HEALTH",
        "BIOMETRIC", "BANK_CARD", "FINANCIAL", "LOCATION", "IP_ADDRESS", "DEVICE_ID",
        "LICENSE_PLATE", "SOCIAL_ACCOUNT", "STUDENT_NO", "STAFF_NO", "TEACHER_CERT_NO",
        "EXAM_REG_NO", "EDUCATION_RECORD", "FAMILY_RELATION", "CREDENTIAL", "PHOTO", "ORG_CODE",
        "SPECIAL_IDENTITY", "DISCIPLINARY", "CRIMINAL_RECORD",
    }
)  # fmt: skip
WHEN_KEYS = frozenset(
    {
        "sensitive", "personal", "minors", "pi_types_any", "keywords_any", "keywords_none",
        "subjects_at_least",
    }
)  # fmt: skip
# A part of a rule's `source` that is the platform's (or the unit's) own analysis, not a text.
OWN_ANALYSIS = ("本平台", "本单位")
DEFAULT_RULES = "education.toml"


class RulesError(EduguardError):
    """A rules file that cannot be used. The message says which file and which key."""

    status_code = 422
    default_code = "rules_invalid"


@dataclass(frozen=True)
class Condition:
    sensitive: bool | None = None
    personal: bool | None = None
    minors: bool | None = None
    pi_types_any: frozenset[str] = frozenset()
    keywords_any: tuple[str, ...] = ()
    keywords_none: tuple[str, ...] = ()
    subjects_at_least: int | None = None


@dataclass(frozen=True)
class GradingRule:
    id: str
    level: str
    when: Condition
    reason: str
    source: str


@dataclass(frozen=True)
class Subject:
    name: str
    column_prefixes: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class BusinessCategory:
    category: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    name: str
    taxonomy: dict[str, str]
    type_groups: dict[str, str]
    subjects: tuple[Subject, ...]
    default_subject: str
    business: tuple[BusinessCategory, ...]
    default_business_category: str
    grading: tuple[GradingRule, ...]
    default_level: str
    default_reason: str
    default_source: str
    proposals: tuple[GradingRule, ...] = ()
    sources: tuple[str, ...] = field(default=())
    # outside GB/T 43697 (state secrets): matched first, marked with ``secret_category``
    secret: tuple[GradingRule, ...] = ()
    secret_category: str | None = None


def load_rules(path: Path | None = None) -> Rules:
    """The rules in ``path``, or the default education rules when ``path`` is None."""
    if path is None:
        resource = resources.files("eduguard.classification").joinpath("data", DEFAULT_RULES)
        text = resource.read_text(encoding="utf-8")
        label = f"默认规则 {DEFAULT_RULES}"
    else:
        label = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise RulesError(
                message_zh=f"规则文件不存在：{label}", message_en=f"rules file not found: {label}"
            ) from error
        except (OSError, UnicodeDecodeError) as error:
            raise RulesError(
                message_zh=f"无法读取规则文件 {label}（需为 UTF-8 编码的 TOML）：{error}",
                message_en=f"cannot read rules file {label}: {error}",
            ) from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(
            message_zh=f"规则文件 {label} 不是有效的 TOML：{error}",
            message_en=f"rules file {label} is not valid TOML: {error}",
        ) from error
    return _parse(data, label)


def _fail(label: str, where: str, problem_zh: str, problem_en: str) -> RulesError:
    return RulesError(
        message_zh=f"规则文件 {label} 中 {where} {problem_zh}",
        message_en=f"rules file {label}: {where} {problem_en}",
        details={"file": label, "key": where},
    )


def _string(data: dict[str, Any], key: str, label: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise _fail(label, f"{where}.{key}", "缺失或不是非空字符串", "is missing or not a string")
    return value


def _strings(data: dict[str, Any], key: str, label: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _fail(label, f"{where}.{key}", "应为字符串列表", "must be a list of strings")
    return tuple(value)


def _table_list(data: dict[str, Any], key: str, label: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _fail(label, key, "应为表数组（[[…]]）", "must be an array of tables")
    return value


def _level(value: Any, label: str, where: str) -> str:
    if value not in LEVELS:
        raise _fail(
            label,
            where,
            f"级别 {value!r} 无效，应为 {' / '.join(LEVELS)} 之一",
            f"invalid level {value!r}",
        )
    return str(value)


def _condition(data: Any, label: str, where: str) -> Condition:
    if not isinstance(data, dict):
        raise _fail(label, where, "应为表（when = { … }）", "must be a table")
    unknown = set(data) - WHEN_KEYS
    if unknown:
        raise _fail(
            label,
            where,
            f"含未知条件 {sorted(unknown)}，可用：{sorted(WHEN_KEYS)}",
            f"unknown keys {sorted(unknown)}",
        )
    for key in ("sensitive", "personal", "minors"):
        if key in data and not isinstance(data[key], bool):
            raise _fail(label, f"{where}.{key}", "应为 true 或 false", "must be a boolean")
    codes = _strings(data, "pi_types_any", label, where)
    unknown_codes = set(codes) - PI_CODES
    if unknown_codes:
        raise _fail(
            label,
            f"{where}.pi_types_any",
            f"含未知类型代码 {sorted(unknown_codes)}",
            "has unknown type codes",
        )
    at_least = data.get("subjects_at_least")
    if at_least is not None and (not isinstance(at_least, int) or isinstance(at_least, bool)):
        raise _fail(label, f"{where}.subjects_at_least", "应为整数", "must be an integer")
    return Condition(
        sensitive=data.get("sensitive"),
        personal=data.get("personal"),
        minors=data.get("minors"),
        pi_types_any=frozenset(codes),
        keywords_any=_strings(data, "keywords_any", label, where),
        keywords_none=_strings(data, "keywords_none", label, where),
        subjects_at_least=at_least,
    )


def _rules(items: list[dict[str, Any]], label: str, key: str) -> tuple[GradingRule, ...]:
    parsed = []
    for index, item in enumerate(items):
        where = f"[[{key}]] 第 {index + 1} 条"
        parsed.append(
            GradingRule(
                id=_string(item, "id", label, where),
                level=_level(item.get("level"), label, f"{where}.level"),
                when=_condition(item.get("when", {}), label, f"{where}.when"),
                reason=_string(item, "reason", label, where),
                source=_string(item, "source", label, where),
            )
        )
    return tuple(parsed)


def _parse(data: dict[str, Any], label: str) -> Rules:
    taxonomy = data.get("taxonomy")
    if not isinstance(taxonomy, dict) or not all(isinstance(v, str) for v in taxonomy.values()):
        raise _fail(label, "[taxonomy]", "缺失或格式错误（路径 = 名称）", "is missing or malformed")
    type_groups = data.get("type_groups", {})
    if not isinstance(type_groups, dict):
        raise _fail(label, "[type_groups]", "应为表", "must be a table")
    unknown_types = set(type_groups) - PI_CODES
    if unknown_types:
        raise _fail(
            label, "[type_groups]", f"含未知类型代码 {sorted(unknown_types)}", "has unknown codes"
        )
    subjects = tuple(
        Subject(
            name=_string(item, "name", label, f"[[subject]] 第 {index + 1} 条"),
            column_prefixes=_strings(item, "column_prefixes", label, "[[subject]]"),
            keywords=_strings(item, "keywords", label, "[[subject]]"),
        )
        for index, item in enumerate(_table_list(data, "subject", label))
    )
    default_subject = _string(data, "default_subject", label, "顶层")
    business = tuple(
        BusinessCategory(
            category=_string(item, "category", label, "[[business]]"),
            keywords=_strings(item, "keywords", label, "[[business]]"),
        )
        for item in _table_list(data, "business", label)
    )
    rules = Rules(
        name=str(data.get("name", label)),
        taxonomy=dict(taxonomy),
        type_groups={str(code): str(group) for code, group in type_groups.items()},
        subjects=subjects,
        default_subject=default_subject,
        business=business,
        default_business_category=_string(data, "default_business_category", label, "顶层"),
        grading=_rules(_table_list(data, "grading", label), label, "grading"),
        default_level=_level(data.get("default_level"), label, "default_level"),
        default_reason=_string(data, "default_reason", label, "顶层"),
        default_source=_string(data, "default_source", label, "顶层"),
        proposals=_rules(_table_list(data, "proposal", label), label, "proposal"),
        sources=_strings(data, "sources", label, "顶层"),
        secret=_rules(_table_list(data, "secret", label), label, "secret"),
        secret_category=data.get("secret_category"),
    )
    _check_references(rules, label)
    _check_citations(rules, label)
    return rules


def citation_parts(source: str) -> list[str]:
    """The citations of a ``source``: its parts separated by "；", each without a trailing
    "（说明）", and without the parts that are the platform's (or unit's) own analysis.

    >>> citation_parts("居民身份证法 第十三条第二款（保密）；本平台危害分析：……；GB/T 43697-2024 附录H")
    ['居民身份证法 第十三条第二款', 'GB/T 43697-2024 附录H']
    """
    parts = []
    for raw in source.split("；"):
        part = raw.strip()
        if not part or part.startswith(OWN_ANALYSIS):
            continue
        while part.endswith("）") and "（" in part:
            depth, cut = 0, None
            for index in range(len(part) - 1, -1, -1):
                depth += {"）": 1, "（": -1}.get(part[index], 0)
                if depth == 0:
                    cut = index
                    break
            if not cut:
                break
            part = part[:cut].strip()
        parts.append(part)
    return parts


def _check_citations(rules: Rules, label: str) -> None:
    """Every cited text, article and clause is one the citation registry knows (the edition in
    force): a superseded numbering or a missing article refuses the file, as for the compliance
    rules."""
    from eduguard.compliance.citations import default_registry  # a data registry, no DB

    registry = default_registry()
    cited = [(f"[[{kind}]] {rule.id}.source", rule.source) for kind, group in (
        ("grading", rules.grading), ("secret", rules.secret), ("proposal", rules.proposals)
    ) for rule in group]  # fmt: skip
    cited.append(("default_source", rules.default_source))
    for where, source in cited:
        parts = citation_parts(source)
        if not parts:
            raise _fail(label, where, "未引用任何登记的法规或标准条款", "cites no registered text")
        for part in parts:
            problem = registry.problem(part)
            if problem is not None:
                raise _fail(
                    label,
                    where,
                    f"的引用“{part}”无效：{problem}",
                    f"cites {part!r}, which the citation registry refuses",
                )


def _check_references(rules: Rules, label: str) -> None:
    """Every category the rules can produce must exist in the taxonomy."""
    wanted = [
        (f"{subject.name}.{group}", "[type_groups]")
        for subject in rules.subjects
        for group in set(rules.type_groups.values())
    ]
    wanted += [(f"{subject.name}.text", "[[subject]]") for subject in rules.subjects]
    wanted += [(item.category, "[[business]]") for item in rules.business]
    wanted.append((rules.default_business_category, "default_business_category"))
    for path, where in wanted:
        if path not in rules.taxonomy:
            raise _fail(
                label,
                where,
                f"引用的分类 {path} 不在 [taxonomy] 中",
                f"refers to {path}, not in [taxonomy]",
            )
    if rules.secret and (rules.secret_category or "") not in rules.taxonomy:
        raise _fail(
            label,
            "secret_category",
            f"{rules.secret_category} 不在 [taxonomy] 中（[[secret]] 规则需要它）",
            "must name a taxonomy path when [[secret]] rules exist",
        )
    if rules.default_subject not in {subject.name for subject in rules.subjects}:
        raise _fail(
            label,
            "default_subject",
            f"{rules.default_subject} 不是已定义的 [[subject]]",
            "is not a defined subject",
        )
