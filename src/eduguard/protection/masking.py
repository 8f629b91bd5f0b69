"""Masking one table: a plan per column from the scan and the policy, then operators per batch.

A column's plan comes from, in order: an explicit ``[[columns]]`` entry of the policy; the
scan's types and level for it (free-text columns are masked span by span); else it is copied
unchanged. Each operator runs once per column per batch over the whole ``Series``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from eduguard.discovery import extract_spans
from eduguard.discovery.report import TableReport
from eduguard.protection.operators import Context, Operator
from eduguard.protection.policy import Policy, Rule

TEXT_EVIDENCE = "自由文本"


@dataclass
class ColumnPlan:
    """What happens to one column, and how many of its values the operator changed."""

    name: str
    pi_type: str | None
    rule: Rule | None  # None: copied unchanged
    level: str | None = None
    text: bool = False
    source: str = "scan"  # "scan" or "policy"
    operator: Operator | None = None
    rows: int = 0
    changed: int = 0
    spans: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "column": self.name,
            "pi_type": self.pi_type,
            "level": self.level,
            "free_text": self.text,
            "decided_by": self.source,
            "operator": self.rule.operator if self.rule else "keep",
            "params": dict(self.rule.params) if self.rule else {},
            "rows": self.rows,
            "rows_changed": self.changed,
            "spans_masked": dict(sorted(self.spans.items())),
        }


def plan_table(
    table: str, columns: list[str], report: TableReport | None, policy: Policy
) -> list[ColumnPlan]:
    scanned = {column.name: column for column in report.columns} if report else {}
    plans: list[ColumnPlan] = []
    for name in columns:
        explicit = policy.column(table, name)
        found = scanned.get(name)
        level = found.level if found else None
        if explicit is not None:
            pi_type = explicit.pi_type or (found.pi_types[0] if found and found.pi_types else None)
            if explicit.text:
                plans.append(ColumnPlan(name, pi_type, policy.text, level, True, "policy"))
                continue
            rule = explicit.rule or (policy.rule_for(pi_type, level) if pi_type else None)
            plans.append(ColumnPlan(name, pi_type, rule, level, False, "policy"))
            continue
        if found is None or not found.pi_types:
            plans.append(ColumnPlan(name, None, None, level))
            continue
        if any(line.startswith(TEXT_EVIDENCE) for line in found.evidence):
            plans.append(ColumnPlan(name, None, policy.text, level, True))
            continue
        pi_type = found.pi_types[0]
        plans.append(ColumnPlan(name, pi_type, policy.rule_for(pi_type, level), level))
    for plan in plans:
        plan.operator = plan.rule.build() if plan.rule else None
    return plans


def mask_text(
    texts: pl.Series,
    operator: Operator,
    context: Context,
    codes: frozenset[str] | None = None,
) -> tuple[pl.Series, dict[str, int]]:
    """Mask each span of personal information in free text with the span's type convention.

    Spans of the whole batch are found at once (discovery's vectorised span finder), each
    distinct span text is masked once per type, and the texts are rewritten with one
    Aho-Corasick ``replace_many`` pass. A span text found in one row is masked wherever it
    recurs in the batch: over-masking is preferred to a leak.
    """
    text = texts.cast(pl.String)
    spans = extract_spans(text)
    if codes is not None:  # only these types (a 公示 copy keeps 国家助学金, masks the names)
        spans = spans.filter(pl.col("code").is_in(sorted(codes)))
    if spans.height == 0:
        return text, {}
    distinct = spans.unique(subset=["text"], keep="first", maintain_order=True)
    counts = dict(spans.group_by("code").len().iter_rows())
    masked: list[pl.DataFrame] = []
    for (code,), group in distinct.group_by("code", maintain_order=True):
        span_context = Context(str(code), context.pseudonym_key, context.seed, context.extra)
        replaced = operator.apply(group["text"], span_context).fill_null("")
        masked.append(pl.DataFrame({"text": group["text"], "masked": replaced}))
    # longest first so a name inside a longer span never splits it
    mapping = (
        pl.concat(masked)
        .with_columns(length=pl.col("text").str.len_chars())
        .sort("length", descending=True)
    )
    rewritten = text.str.replace_many(
        mapping.get_column("text").to_list(),
        mapping.get_column("masked").to_list(),
        leftmost=True,
    )
    return rewritten, {str(code): int(count) for code, count in counts.items()}


def _context(plan: ColumnPlan, context: Context) -> Context:
    return Context(plan.pi_type, context.pseudonym_key, context.seed, context.extra)


def mask_frame(frame: pl.DataFrame, plans: list[ColumnPlan], context: Context) -> pl.DataFrame:
    """The masked copy of one batch; counts rows and changes on each plan.

    Operators that are expressions run together in one ``select`` (polars spreads the columns
    over its threads); the others (keyed hashing, free text, noise, shuffling) per Series.
    """
    expressions: dict[str, pl.Expr] = {}
    for plan in plans:
        if plan.operator is not None and not plan.text:
            value = pl.col(plan.name).cast(pl.String)
            expression = plan.operator.expression(value, _context(plan, context))
            if expression is not None:
                expressions[plan.name] = expression
    # with_columns, not select: an expression that is a literal (suppress) is broadcast to the
    # batch's height instead of making a one-row frame.
    together = frame.with_columns(
        expression.cast(pl.String).alias(name) for name, expression in expressions.items()
    )
    columns: list[pl.Series] = []
    for plan in plans:
        original = frame[plan.name]
        plan.rows += original.len()
        if plan.operator is None:
            columns.append(original)
            continue
        if plan.name in expressions:
            masked = together[plan.name]
        elif plan.text:
            masked, spans = mask_text(original, plan.operator, context)
            for code, count in spans.items():
                plan.spans[code] = plan.spans.get(code, 0) + count
        else:
            masked = plan.operator.apply(original, _context(plan, context))
        masked = masked.cast(pl.String).alias(plan.name)
        plan.changed += int(original.cast(pl.String).ne_missing(masked).sum())
        columns.append(masked)
    return pl.DataFrame(columns)
