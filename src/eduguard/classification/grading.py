"""Apply rules to one column: its category, its level and why.

Category = data subject (from the column's name, else the table's) + content group of its
strongest PI type; non-personal columns take a business category by keywords. Level = the
strictest level of the matching grading rules (就高从严), else the rules' default. A state secret
(an exam paper before use) is outside GB/T 43697: it is marked, not graded as general data.
Important data is proposed per table (``propose``), from what the table holds, never per column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from eduguard.classification.rules import LEVELS, Condition, GradingRule, Rules
from eduguard.labels import LEVELS as LEVEL_NAMES

# PIPL Art. 28 sensitive types (特定身份/宗教/医疗健康/生物识别/金融账户/行踪轨迹, 口令;
# 特定身份 per GB/T 45574-2025: 残疾/孤儿/低保/烈士子女, 违法犯罪记录)
SENSITIVE_TYPES = frozenset(
    {
        "ETHNICITY",
        "SPECIAL_IDENTITY",
        "CRIMINAL_RECORD",
        "RELIGION",
        "HEALTH",
        "BIOMETRIC",
        "BANK_CARD",
        "FINANCIAL",
        "LOCATION",
        "CREDENTIAL",
        "PHOTO",
    }
)
NON_PERSONAL_TYPES = frozenset({"ORG_CODE"})
_LEVEL_RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
# groups in order of how much a column's category should say about it
_GROUP_PRIORITY = (
    "identity", "biometric", "health", "sensitive_identity", "special_identity", "records",
    "finance", "location", "family",
    "contact", "academic", "account", "basic",
)  # fmt: skip


@dataclass(frozen=True)
class ColumnContext:
    table_name: str
    table_comment: str | None
    column_name: str
    column_comment: str | None
    pi_types: tuple[str, ...]
    minors: bool = False
    subjects: int | None = None
    free_text: bool = False


@dataclass
class Classification:
    category: str
    level: str
    sensitive: bool
    evidence: list[str] = field(default_factory=list)
    proposals: list[str] = field(default_factory=list)  # always empty: see ``propose``
    secret: bool = False  # a state secret: outside GB/T 43697, never general data


@dataclass(frozen=True)
class TableContext:
    """What a table holds as a whole, for the important-data proposal."""

    table_name: str
    table_comment: str | None
    pi_types: frozenset[str]
    subjects: int | None = None


def _tokens(name: str) -> list[str]:
    return [token for token in _SPLIT.split(_CAMEL.sub("_", name).lower()) if token]


def _keyword_hit(keyword: str, tokens: list[str], text: str, *, prefix: bool = False) -> bool:
    """ASCII keywords match whole tokens (``xs`` in ``xs_jbxx``), or token prefixes when
    ``prefix`` (``kc`` in ``kcmc``); other keywords match as substrings."""
    word = keyword.lower()
    if keyword.isascii() and keyword.isalnum():
        return any(token == word or (prefix and token.startswith(word)) for token in tokens)
    return word in text


def subject_of(rules: Rules, context: ColumnContext) -> str:
    """student / guardian / staff: the column's own name first, then the table's."""
    column = context.column_name.lower()
    best = ("", 0)
    for subject in rules.subjects:
        for prefix in subject.column_prefixes:
            if column.startswith(prefix) and len(prefix) > best[1] and len(column) > len(prefix):
                best = (subject.name, len(prefix))
    if best[0]:
        return best[0]
    column_text = f"{column} {(context.column_comment or '').lower()}"
    column_tokens = _tokens(context.column_name)
    for subject in rules.subjects:
        if any(_keyword_hit(word, column_tokens, column_text) for word in subject.keywords):
            return subject.name
    table_tokens = _tokens(context.table_name)
    table_text = f"{context.table_name.lower()} {(context.table_comment or '').lower()}"
    best = ("", 0)
    for subject in rules.subjects:
        for prefix in subject.column_prefixes:
            if any(token.startswith(prefix) for token in table_tokens) and len(prefix) > best[1]:
                best = (subject.name, len(prefix))
        if not best[0] and any(
            _keyword_hit(word, table_tokens, table_text) for word in subject.keywords
        ):
            best = (subject.name, 0)
    return best[0] or rules.default_subject


def category_of(rules: Rules, context: ColumnContext) -> str:
    personal = [code for code in context.pi_types if code not in NON_PERSONAL_TYPES]
    if personal:
        subject = subject_of(rules, context)
        if context.free_text:
            return f"{subject}.text"
        groups = {rules.type_groups.get(code, "basic") for code in personal}
        group = next((name for name in _GROUP_PRIORITY if name in groups), sorted(groups)[0])
        path = f"{subject}.{group}"
        return path if path in rules.taxonomy else subject
    if context.pi_types:  # organisation codes
        return (
            "school_operations.organisation"
            if "school_operations.organisation" in rules.taxonomy
            else rules.default_business_category
        )
    tokens = _tokens(context.column_name) + _tokens(context.table_name)
    text = " ".join(
        [
            context.column_name,
            context.column_comment or "",
            context.table_name,
            context.table_comment or "",
        ]
    ).lower()
    for business in rules.business:
        if any(_keyword_hit(word, tokens, text, prefix=True) for word in business.keywords):
            return business.category
    return rules.default_business_category


def _matches(
    condition: Condition, context: ColumnContext, *, sensitive: bool, personal: bool
) -> bool:
    if condition.sensitive is not None and condition.sensitive != sensitive:
        return False
    if condition.personal is not None and condition.personal != personal:
        return False
    if condition.minors is not None and condition.minors != context.minors:
        return False
    if condition.pi_types_any and not condition.pi_types_any.intersection(context.pi_types):
        return False
    if condition.keywords_any or condition.keywords_none:
        tokens = _tokens(context.column_name)
        text = f"{context.column_name} {context.column_comment or ''}".lower()
        if not _keywords(condition, tokens, text):
            return False
    return condition.subjects_at_least is None or (
        context.subjects is not None and context.subjects >= condition.subjects_at_least
    )


def _keywords(condition: Condition, tokens: list[str], text: str) -> bool:
    if condition.keywords_any and not any(
        _keyword_hit(word, tokens, text) for word in condition.keywords_any
    ):
        return False
    return not any(_keyword_hit(word, tokens, text) for word in condition.keywords_none)


def _secret(rules: Rules, context: ColumnContext) -> GradingRule | None:
    """The first [[secret]] rule whose keywords the column or its table says."""
    for rule in rules.secret:
        when = rule.when
        if when.pi_types_any and not when.pi_types_any.intersection(context.pi_types):
            continue
        for name, comment in (
            (context.column_name, context.column_comment),
            (context.table_name, context.table_comment),
        ):
            text = f"{name} {comment or ''}".lower()
            if when.keywords_none and not _keywords(
                Condition(keywords_none=when.keywords_none), _tokens(name), text
            ):
                break  # a score or an answer sheet: not the paper itself
            if _keywords(Condition(keywords_any=when.keywords_any), _tokens(name), text):
                return rule
    return None


def propose(rules: Rules, table: TableContext) -> list[str]:
    """Important-data proposals for a whole table (never assigned, shown for review): by its
    content (types, name and comment), or by its people."""
    personal = any(code not in NON_PERSONAL_TYPES for code in table.pi_types)
    sensitive = bool(SENSITIVE_TYPES.intersection(table.pi_types))
    tokens = _tokens(table.table_name)
    text = f"{table.table_name} {table.table_comment or ''}".lower()
    found = []
    for rule in rules.proposals:
        when = rule.when
        if when.sensitive is not None and when.sensitive != sensitive:
            continue
        if when.personal is not None and when.personal != personal:
            continue
        if when.pi_types_any and not when.pi_types_any.intersection(table.pi_types):
            continue
        if (when.keywords_any or when.keywords_none) and not _keywords(when, tokens, text):
            continue
        if when.subjects_at_least is not None and (
            table.subjects is None or table.subjects < when.subjects_at_least
        ):
            continue
        found.append(f"建议复核为 {level_name(rule.level)}（整表）：{rule.reason}（{rule.source}）")
    return found


def level_name(level: str) -> str:
    """The level as people read it (一般数据（3级）); the code where it has no name."""
    return LEVEL_NAMES.get(level, (level, level))[0]


def _explain(rule: GradingRule) -> str:
    return f"定级 {level_name(rule.level)}：{rule.reason}（{rule.source}）"


def classify(rules: Rules, context: ColumnContext) -> Classification:
    """Category, level, sensitivity and the reasons, for one column."""
    personal = any(code not in NON_PERSONAL_TYPES for code in context.pi_types)
    sensitive = bool(SENSITIVE_TYPES.intersection(context.pi_types))
    secret = _secret(rules, context)
    if secret is not None and rules.secret_category:
        marker = rules.taxonomy.get(rules.secret_category, rules.secret_category)
        return Classification(
            category=rules.secret_category,
            level=secret.level,
            sensitive=sensitive,
            evidence=[
                f"{marker}：{secret.reason}（{secret.source}）",
                f"平台处置级别 {level_name(secret.level)}（仅为复核前的保护措施，不是 GB/T 43697 定级）",
            ],
            secret=True,
        )
    matched = [
        rule
        for rule in rules.grading
        if _matches(rule.when, context, sensitive=sensitive, personal=personal)
    ]
    if matched:
        top = max(matched, key=lambda rule: _LEVEL_RANK[rule.level])
        level, evidence = top.level, [_explain(top)]
    else:
        level = rules.default_level
        evidence = [f"定级 {level_name(level)}：{rules.default_reason}（{rules.default_source}）"]
    return Classification(
        category=category_of(rules, context),
        level=level,
        sensitive=sensitive,
        evidence=evidence,
    )
