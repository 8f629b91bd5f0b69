"""Name evidence of a column: the detectors' name/comment rules weighed by the column model.

A type is taken from the name and comment when the model gives it at least its threshold, or
when a rule says it and the model does not rule it out (probability ≥ ``RULE_VETO``): an
auto-increment ``student_id int`` matches the STUDENT_NO rule, but the model knows the corpus's
surrogate keys and vetoes it. A type the model saw in fewer than ``VETO_SUPPORT`` training
columns (LOCATION, BIOMETRIC, DEVICE_ID …) is not vetoed: there the rules know more. Money
(FINANCIAL) from the model alone needs a table that names or keys a person. Each hit carries
its readable Chinese evidence and confidence.

The lexicon (:mod:`.lexicon`: JY/T data elements, vendor words) speaks like a rule: its type is
kept unless the model rules it out, money words again only in a table about persons. A
measurement column of a health-examination table (体检/晨检/视力筛查) that nothing else
explains is HEALTH. A surrogate key (``student_id int``, “外键,学生id”) is given no type at all,
whatever its name says (pi-types.md: surrogate keys → none). An uncommented column named just
``name`` is a person's name only when the model, which reads the table, says so.
"""

from __future__ import annotations

import re

from eduguard.discovery.detectors import BY_CODE, NameHit
from eduguard.discovery.detectors.base import normalise_name
from eduguard.discovery.model import lexicon
from eduguard.discovery.model.features import (
    ColumnInput,
    is_surrogate_key,
    rule_hits,
    sql_type_parts,
)
from eduguard.discovery.model.infer import ColumnModel, Prediction

RULE_VETO = 0.05  # a rule's type is dropped when the model gives it less than this
VETO_SUPPORT = 40  # … but only by a model that saw at least this many columns of the type
# money is a person's only in a table about persons: one of its columns names or keys one
_PERSON_TYPES = frozenset(
    {"PERSON_NAME", "STUDENT_NO", "STAFF_NO", "CN_RESIDENT_ID", "MOBILE_PHONE", "EXAM_REG_NO"}
)
_PERSON_KEYS = re.compile(
    r"(?:^|_)(?:user|member|student|stu|teacher|staff|person|emp|employee|parent|child|reader|"
    r"customer|uid|userid|memberid|studentid|stuid|teacherid|xh|gh|xsid|jgh|zgh|sfzh|xm|"
    r"yonghu|xuesheng|jiaoshi|huiyuan|kh|card|cardno)(?:_|$)|学号|工号|姓名|学生|用户|会员|教师|人员"
)


def _readable(feature: str) -> str:
    """A feature name as a short Chinese phrase (e.g. ``cg=视力`` → 注释含“视力”)."""
    kind, _, value = feature.partition("=")
    phrases = {
        "n": f"列名 {value}",
        "t": f"列名词 {value}",
        "tl": f"列名末词 {value}",
        "g": f"列名片段“{value.strip('^$')}”",
        "c": f"注释“{value}”",
        "cg": f"注释含“{value}”",
        "ty": f"类型 {value.replace(':', ' 长度≤')}",
        "t×ty": f"列名词与类型 {value.replace(':', ' + ')}",
        "t×c": f"列名词与注释 {value.replace(':', ' + ')}",
        "n×nc": f"无注释的列名 {value}",
        "tt": f"表名词 {value}",
        "tc": f"表注释含“{value}”",
        "sn": f"同表有列 {value}",
        "sc": f"同表有注释“{value}”",
        "rule": f"列名规则提示{BY_CODE[value].label if value in BY_CODE else value}",
        "trule": f"表名提示{BY_CODE[value].label if value in BY_CODE else value}",
        "srule": f"同表他列为{BY_CODE[value].label if value in BY_CODE else value}",
        "lex": f"词表指{BY_CODE[value].label if value in BY_CODE else '非个人信息'}",
        "dom": f"表属{BY_CODE[value].label if value in BY_CODE else value}领域",
        "dom×ty": f"表的领域与类型 {value.replace(':', ' + ')}",
        "dom×nc": f"无注释、表属{value}领域",
        "tl×ptab": f"人员表中的列名末词 {value}",
    }
    if feature == "key":
        return "代理键（整数或注释为主键/外键/ID）"
    if feature == "exam":
        return "体检类表的检查项目"
    if feature == "ptab":
        return "表名指人员"
    if feature == "first":
        return "表的第一列"
    if feature == "nocomment":
        return "无注释"
    return phrases.get(kind, feature)


def model_evidence(prediction: Prediction) -> str:
    """E.g. ``列名与注释模型：HEALTH（健康生理）0.93（注释含“视力”）``."""
    label = BY_CODE[prediction.code].label if prediction.code in BY_CODE else prediction.code
    reasons = "、".join(dict.fromkeys(_readable(reason) for reason in prediction.reasons))
    tail = f"（{reasons}）" if reasons else ""
    return f"列名与注释模型：{prediction.code}（{label}）{prediction.probability:.2f}{tail}"


def name_evidence(column: ColumnInput, model: ColumnModel | None) -> dict[str, NameHit]:
    """The types a column's name, comment, type and table say it holds, with evidence.

    ``model=None``: the rules alone (what the scanner did before the model).
    """
    rules = rule_hits(column.name, column.comment)
    if model is None:
        return {code: _rule_hit(code, column) for code in rules}
    words: dict[str, lexicon.Entry] = {}
    for entry in lexicon.column_hits(column.name, column.comment):
        for code in entry.types:
            words.setdefault(code, entry)
    floor = float(min(model.thresholds.min(), RULE_VETO))
    found = model.predict(column, floor=floor, also=frozenset(rules) | frozenset(words))
    predictions = {item.code: item for item in found}
    hits: dict[str, NameHit] = {}
    person = _person_link(column)
    for code, prediction in predictions.items():
        if code not in BY_CODE or prediction.probability < model.threshold(code):
            continue
        if code == "FINANCIAL" and code not in rules:
            if person is None:
                continue
            hits[code] = NameHit(f"{model_evidence(prediction)}；{person}", prediction.probability)
            continue
        hits[code] = NameHit(model_evidence(prediction), prediction.probability)
    weak = _weak_rule(column)
    for code in rules:
        known = predictions.get(code)
        probability = known.probability if known is not None else 1.0
        rule = _rule_hit(code, column)
        if code in hits:
            hits[code] = NameHit(f"{hits[code].evidence}；{rule.evidence}", hits[code].confidence)
        elif code in weak:
            continue  # a bare ``name``: the model, which reads the table, decides alone
        elif probability >= RULE_VETO or model.support(code) < VETO_SUPPORT:
            hits[code] = NameHit(
                f"{rule.evidence}（模型概率 {probability:.2f}）", max(0.5, min(0.6, probability))
            )
    for code, entry in words.items():
        if code not in BY_CODE:
            continue
        known = predictions.get(code)
        probability = known.probability if known is not None else 1.0
        if code in hits:
            if entry.evidence not in hits[code].evidence:
                hits[code] = NameHit(
                    f"{hits[code].evidence}；{entry.evidence}", hits[code].confidence
                )
        elif probability >= RULE_VETO or model.support(code) < VETO_SUPPORT:
            tail = ""
            if code == "FINANCIAL":  # money words: a person's only in a table about persons
                if person is None:
                    continue
                tail = f"；{person}"
            hits[code] = NameHit(
                f"{entry.evidence}（模型概率 {probability:.2f}）{tail}",
                max(0.5, min(0.6, probability)),
            )
    exam = lexicon.examination(
        column.name,
        column.comment,
        sql_type_parts(column.sql_type)[0],
        column.table,
        column.table_comment,
    )
    if exam is not None and not hits:
        known = predictions.get("HEALTH")
        probability = known.probability if known is not None else 0.0
        hits["HEALTH"] = NameHit(
            f"表 {column.table} 为{exam.evidence}，本列为检查项目（模型概率 {probability:.2f}）",
            max(0.5, min(0.6, probability)),
        )
    if is_surrogate_key(column):
        # pi-types.md: surrogate and foreign keys are not personal, whatever the name says
        # (``location_id bigint``, ``userId`` “违纪人Id”, ``wjId int``)
        hits.clear()
    return hits


def _weak_rule(column: ColumnInput) -> frozenset[str]:
    """Rule types too generic to stand against the model: an uncommented column named just
    ``name`` names its row's entity — a person in ``students``, not in ``class``/``role``/``dict``
    (pi-types.md: a column is labelled by what it holds, judged from its table too)."""
    _, compact = normalise_name(column.name)
    if compact == "name" and not column.comment:
        return frozenset({"PERSON_NAME"})
    return frozenset()


def _person_link(column: ColumnInput) -> str | None:
    """Why the table is about persons (a column that names or keys one), or None."""
    if not column.siblings:
        return "表结构未知，按个人数据对待"
    for name, comment in column.siblings:
        lowered = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
        if _PERSON_KEYS.search(lowered) or (comment and _PERSON_KEYS.search(comment)):
            return f"同表有列 {name} 指向个人"
        if set(rule_hits(name, comment)) & _PERSON_TYPES:
            return f"同表有列 {name} 指向个人"
    return None


def _rule_hit(code: str, column: ColumnInput) -> NameHit:
    from eduguard.discovery.detectors import match_name

    hit = match_name(BY_CODE[code], column.name, column.comment or None)
    return hit if hit is not None else NameHit(f"列名规则：{code}")


def polars_sql_type(dtype: object) -> str:
    """The SQL type a polars dtype stands for, in the corpus's words (``int``, ``varchar`` …)."""
    import polars as pl

    if not isinstance(dtype, pl.DataType) and not (
        isinstance(dtype, type) and issubclass(dtype, pl.DataType)
    ):
        return ""
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "double"
    if dtype.is_decimal():
        return "decimal"
    if dtype == pl.Boolean:
        return "bit"
    if dtype == pl.Date:
        return "date"
    if dtype.is_temporal():
        return "datetime"
    if dtype == pl.Binary:
        return "blob"
    if dtype == pl.String:
        # says nothing of a declared type: every CSV/Excel column is a String, amounts included
        # (the model reads ``varchar`` as “declared text”, which a 工资 column rarely is)
        return ""
    return sql_type_parts(str(dtype))[0]
