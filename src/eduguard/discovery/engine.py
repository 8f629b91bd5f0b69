"""The scan engine: one table in, one graded :class:`TableReport` out.

Batches are read from the table (memory bounded by the batch size), every column cast to text
once, stripped, and handed to its :class:`ColumnState`. At the end each column's evidence becomes
its PI types and confidence; minors and the number of people (subjects) are worked out for the
table; classification gives category and level (就高从严 for the table).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import polars as pl

from eduguard.classification import ColumnContext, Rules, classify, load_rules
from eduguard.classification.grading import TableContext, propose, subject_of
from eduguard.discovery.columns import IDENTIFYING, ColumnState, TypeAnswer
from eduguard.discovery.model.decide import polars_sql_type
from eduguard.discovery.report import ColumnReport, TableReport, highest_level
from eduguard.discovery.sketch import SKETCHED_TYPES
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS, TableSource

ProgressCallback = Callable[[str, int, int | None], None]
"""Called after each batch with (table name, rows read so far, rows expected or None)."""

# Tables of schools/grades whose pupils are under 14 (PIPL Art. 28; pi-types.md "school type")
_YOUNG_SCHOOL = re.compile(
    r"幼儿园|幼儿|小学|kindergarten|primary|preschool|(?:^|_)(?:yey|xx_xs)(?:_|$)"
)
# a document title naming a primary or junior grade (三年级, 初一): its pupils are under 14
_YOUNG_TITLE = re.compile(
    r"(?<![高大研中])[一二三四五六1-6]\s*年级|初中[一二]年级|(?<![月年])初[一二](?![十日])|[七八]年级|学前班"
)
_YOUNG_GRADE = r"^(?:小学)?[一二三四五六1-6]年级|^初[一1]|^(?:小|中|大)班$|^(?:Grade|G)\s?[1-6]$"
_GRADE_NAME = re.compile(r"(?:^|_)(?:nj|bj|njmc|bjmc|grade|class|classname)(?:_|$)|年级|班级")
_SUBJECT_PRIORITY = {code: rank for rank, code in enumerate(IDENTIFYING)}


def _text_frame(batch: pl.DataFrame) -> pl.DataFrame:
    """Every column as stripped text, once per batch (binary columns become null, not an error)."""
    casts = []
    for name, dtype in batch.schema.items():
        column = pl.col(name)
        if dtype == pl.Binary:
            text = pl.lit(None, dtype=pl.String)
        elif dtype == pl.String:
            text = column
        elif dtype.is_nested() or dtype == pl.Object:
            text = pl.lit(None, dtype=pl.String)
        else:
            text = column.cast(pl.String, strict=False)
        casts.append(text.str.strip_chars().alias(name))
    return batch.select(casts)


def _columns_of(
    table: TableSource,
    batch: pl.DataFrame,
    states: dict[str, ColumnState],
    today: date,
    sketch_key: bytes | None = None,
) -> None:
    comments = table.column_comments or {}
    # a connector that knows the declared SQL types may give them (``column_types``); else the
    # batch's polars types stand in for them
    declared: dict[str, str] = getattr(table, "column_types", None) or {}
    # … and which columns are keys (``column_keys``: "auto_increment" or "primary")
    keys: dict[str, str] = getattr(table, "column_keys", None) or {}
    everyone = [(name, comments.get(name) or "") for name in batch.columns]
    for position, name in enumerate(batch.columns):
        if name not in states:
            states[name] = ColumnState(
                name=name,
                comment=comments.get(name),
                scan_date=today,
                sketch_key=sketch_key,
                sql_type=declared.get(name) or polars_sql_type(batch.schema[name]),
                table=table.name,
                table_comment=table.comment,
                siblings=tuple(everyone[:position] + everyone[position + 1 :]),
                position=position,
                key=keys.get(name, ""),
            )


SURROGATE_EVIDENCE = "自增列：由数据库自动编号的代理键，不含个人信息"


def scan_table(
    table: TableSource,
    *,
    sample: int | None,
    rules: Rules | None = None,
    progress: ProgressCallback | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    today: date | None = None,
    sketch_key: bytes | None = None,
) -> TableReport:
    """Discover, classify and grade one table, reading at most ``sample`` rows (None: all).

    With ``sketch_key``, each column of identifying values also gets a keyed-hash sketch
    (:mod:`eduguard.discovery.sketch`) on its report, never in the report's JSON.

    Raises :class:`~eduguard.discovery.sources.SourceError` when the table cannot be read; the
    caller (``discovery.api.scan``) records it and goes on.
    """
    rules = rules or load_rules(None)
    today = today or date.today()
    states: dict[str, ColumnState] = {}
    young_grades = 0
    rows = 0
    known = table.row_count if table.row_count is not None else row_estimate(table)
    expected = known if sample is None else min(sample, known or sample)
    for batch in table.batches(batch_rows=batch_rows, limit=sample):
        rows += batch.height
        _columns_of(table, batch, states, today, sketch_key)
        texts = _text_frame(batch)
        for name in texts.columns:
            column = texts.get_column(name)
            values = column.filter(column.is_not_null() & (column != ""))
            states[name].add(values)
            if _GRADE_NAME.search(name.lower()) or _GRADE_NAME.search(states[name].comment or ""):
                young_grades += int(values.str.contains(_YOUNG_GRADE).sum())
        _count_subjects_in_best_columns(states)
        if progress is not None:
            progress(table.name, rows, expected)
    for state in states.values():
        state.flush()
    row_count = table.row_count
    schema_only = getattr(table, "schema_only", False)  # a DDL file: the rows are elsewhere
    if row_count is None and not schema_only and (sample is None or rows < sample):
        row_count = rows  # read to the end
    return _report(table, states, rows, row_count, young_grades, rules)


def row_estimate(table: TableSource) -> int | None:
    """A source's cheap estimate of its rows (a CSV's size over its line length), if it has one."""
    guess = getattr(table, "row_estimate", None)
    return guess if isinstance(guess, int) and not isinstance(guess, bool) else None


def _count_subjects_in_best_columns(states: dict[str, ColumnState], keep: int = 2) -> None:
    """Only the (two) most identifying columns keep counting distinct values: memory and time."""
    decided = [
        state for state in states.values() if state.candidates is not None and state.count_subjects
    ]
    ranked = sorted(
        (rank, index, state)
        for index, state in enumerate(decided)
        if (rank := state.identifying_rank()) is not None
    )
    for _, _, state in ranked[keep:]:
        state.stop_counting()
    for state in decided:
        if state.identifying_rank() is None:
            state.stop_counting()


def _report(
    table: TableSource,
    states: dict[str, ColumnState],
    rows: int,
    row_count: int | None,
    young_grades: int,
    rules: Rules,
) -> TableReport:
    answers = {name: state.answer() for name, state in states.items()}
    minors_evidence = _minors(table, states, answers, young_grades)
    estimate = None
    if row_count is None and (guess := row_estimate(table)) is not None and guess > rows:
        estimate = guess
    subjects = _subjects(states, answers, rows, row_count if row_count is not None else estimate)
    columns = []
    for name, state in states.items():
        found = answers[name]
        codes = tuple(answer.code for answer in found)
        column_minors = (
            bool(codes)
            and minors_evidence is not None
            and _about_pupils(table, state, codes, minors_evidence, rules)
        )
        context = ColumnContext(
            table_name=table.name,
            table_comment=table.comment,
            column_name=name,
            column_comment=state.comment,
            pi_types=codes,
            minors=column_minors,
            subjects=subjects,
            free_text=state.free_text,
        )
        graded = classify(rules, context)
        evidence = [line for answer in found for line in answer.evidence]
        if state.surrogate:
            evidence.insert(0, SURROGATE_EVIDENCE)
        masking = _masking(found)
        if masking is not None:
            evidence.append(
                f"已去标识化：{masking['masked']}/{masking['values']} 个值已脱敏"
                if masking["deidentified"]
                else f"泄露：{masking['unmasked']} 个值未脱敏（另有 {masking['masked']} 个已脱敏）"
            )
        if column_minors and minors_evidence:
            evidence.append(minors_evidence[0])
        evidence += graded.evidence
        confidence = max((answer.confidence for answer in found), default=0.9)
        columns.append(
            ColumnReport(
                name=name,
                comment=state.comment,
                pi_types=list(codes),
                sensitive=graded.sensitive or column_minors,
                minors=column_minors,
                category=graded.category,
                level=graded.level,
                confidence=round(min(confidence, 0.99), 4),
                evidence=list(dict.fromkeys(evidence)),
                masking=masking,
                sketch=state.sketch if set(codes) & SKETCHED_TYPES else None,
            )
        )
    held = TableContext(
        table.name,
        table.comment,
        frozenset(code for column in columns for code in column.pi_types),
        subjects,
    )
    return TableReport(
        name=table.name,
        comment=table.comment,
        row_count=row_count,
        row_count_estimate=estimate,
        rows_sampled=rows,
        level=highest_level([column.level for column in columns]),
        subjects=subjects,
        minors=any(column.minors for column in columns),
        columns=columns,
        proposals=propose(rules, held),
    )


def _masking(found: list[TypeAnswer]) -> dict[str, object] | None:
    """The share of the column's values written masked (its most masked type), or None."""
    answer = max(found, key=lambda answer: answer.masked, default=None)
    if answer is None or answer.masked == 0:
        return None
    return {
        "values": answer.checked,
        "masked": answer.masked,
        "unmasked": answer.unmasked,
        "share": round(answer.masked / max(answer.checked, 1), 4),
        "deidentified": answer.unmasked == 0,
    }


def _minors(
    table: TableSource,
    states: dict[str, ColumnState],
    answers: dict[str, list[TypeAnswer]],
    young_grades: int,
) -> list[str] | None:
    """Why the table's subjects include children under 14, or None."""
    reasons = []
    dated = 0  # birth dates read (from dates or ID numbers): they outweigh grade names
    for name, state in states.items():
        codes = {answer.code for answer in answers[name]}
        for code, (births, minors) in state.births.items():
            if code in codes:
                dated += births
            if code in codes and minors > 0:
                reasons.append(
                    f"未成年人：{minors}/{births} 个出生日期（列 {name}）显示不满十四周岁"
                )
    if dated and not reasons:
        return None  # every birth date read says 14 or older: 初一 pupils can be 14
    if young_grades:
        reasons.append(f"未成年人：{young_grades} 个年级/班级取值为小学、幼儿园或初一")
    school = f"{table.name} {table.comment or ''}".lower()
    match = _YOUNG_SCHOOL.search(school)
    if match:
        reasons.append(f"未成年人：表名/注释含“{match.group(0)}”")
    elif table.comment and (title := _YOUNG_TITLE.search(table.comment)):
        reasons.append(f"未成年人：标题含“{title.group(0)}”")
    return reasons or None


def _about_pupils(
    table: TableSource, state: ColumnState, codes: tuple[str, ...], reasons: list[str], rules: Rules
) -> bool:
    """Minors' information is the pupils' own: not their guardians' or teachers' columns."""
    if any(f"（列 {state.name}）" in reason for reason in reasons):
        return True
    context = ColumnContext(table.name, table.comment, state.name, state.comment, codes)
    return subject_of(rules, context) == "student" and any(code != "ORG_CODE" for code in codes)


def _subjects(
    states: dict[str, ColumnState],
    answers: dict[str, list[TypeAnswer]],
    rows: int,
    row_count: int | None,
) -> int | None:
    """Distinct people: distinct values of the best identifying column, scaled to the table."""
    best: tuple[int, str] | None = None
    for name, found in answers.items():
        for answer in found:
            rank = _SUBJECT_PRIORITY.get(answer.code)
            if (
                rank is not None
                and states[name].distinct is not None
                and (best is None or rank < best[0])
            ):
                best = (rank, name)
    if best is None:
        return None
    distinct = states[best[1]].subjects() or 0
    if row_count is not None and rows and row_count > rows:
        return min(row_count, round(distinct * row_count / rows))
    return distinct
