"""公示前检查 (publish check): may this document be posted, and what must change before it is.

A school posts 公示名单, 录取名单, 成绩单 … as Excel, Word, PDF or web pages. The check reads the
document with discovery's readers (:func:`eduguard.discovery.connectors.open_source`), scans
every table and its prose, and answers in plain Chinese:

* ``publishable`` 可以发布 — no direct identifier left unmasked, nothing sensitive, nothing
  hidden that holds personal information, and no children's information;
* ``confirm`` 需确认 — nothing is left unmasked, but the document concerns children under 14
  (通知重点任务第10项: 除法律法规要求和监护人约定，不得披露儿童信息): a person must confirm the basis;
* ``fix`` 需处理 — each reason says where (sheet/cell, page/line, table row) and what to do.

Notice item 8 (公开个人信息应采取去标识化处理), PIPL Art. 25 (no publication of personal
information without separate consent) and item 11 (sensitive information) are the basis.
Values never appear in a result: only types, counts and locations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import polars as pl

from eduguard import labels
from eduguard.discovery import TableReport, scan_table
from eduguard.discovery.findings import (
    LEAK_TYPES,
    Locatable,
    RowsLocator,
    is_locatable,
    locate_findings,
)
from eduguard.discovery.sources import FailedTable, SkippedFile, SourceError, TableSource

Verdict = Literal["publishable", "confirm", "fix"]
VERDICT_LABELS: dict[str, tuple[str, str]] = {
    "publishable": ("可以发布", "May be published"),
    "confirm": ("需确认", "Confirm before publishing"),
    "fix": ("需处理", "Fix before publishing"),
}
# sensitive types a publication leaves out altogether, masked or not (通知重点任务第11项)
WITHHELD_TYPES = frozenset(
    {"HEALTH", "SPECIAL_IDENTITY", "DISCIPLINARY", "CRIMINAL_RECORD", "BIOMETRIC", "RELIGION",
     "ETHNICITY", "LOCATION", "PHOTO", "CREDENTIAL"}
)  # fmt: skip
# the types a de-identified copy changes: the direct identifiers and what is withheld
CHANGED_TYPES = LEAK_TYPES | WITHHELD_TYPES
# what a 公示 shows of each direct identifier once masked
CONVENTIONS: dict[str, str] = {
    "PERSON_NAME": "姓名只保留姓和末字（如 张*三）",
    "CN_RESIDENT_ID": "身份证号只保留前 4 位和后 4 位（如 4201**********1234），或整列删除",
    "MOBILE_PHONE": "手机号中间 4 位屏蔽（如 138****1234）",
    "LANDLINE_PHONE": "电话号码中间几位屏蔽",
    "BANK_CARD": "银行卡号只保留后 4 位，或整列删除",
    "ADDRESS": "家庭住址只保留到区县（如 湖北省武汉市洪山区），或整列删除",
    "EMAIL": "邮箱只保留首字母和域名",
    "STUDENT_NO": "学号屏蔽中间位，或整列删除",
    "STUDENT_REG_NO": "学籍号屏蔽中间位，或整列删除",
    "EXAM_REG_NO": "考生号屏蔽中间位",
    "STAFF_NO": "工号屏蔽中间位，或整列删除",
}
CONVENTIONS_EN: dict[str, str] = {
    "PERSON_NAME": "keep only the surname and the last character of a name (e.g. 张*三)",
    "CN_RESIDENT_ID": "keep only the first 4 and last 4 digits of an ID number "
    "(4201**********1234), or remove the column",
    "MOBILE_PHONE": "hide the middle 4 digits of a mobile number (138****1234)",
    "LANDLINE_PHONE": "hide the middle digits of a phone number",
    "BANK_CARD": "keep only the last 4 digits of a bank card, or remove the column",
    "ADDRESS": "keep an address only down to the district (湖北省武汉市洪山区), or remove the column",
    "EMAIL": "keep only the first letter and the domain of an e-mail address",
    "STUDENT_NO": "hide the middle digits of a student number, or remove the column",
    "STUDENT_REG_NO": "hide the middle digits of a student registration number, or remove the column",
    "EXAM_REG_NO": "hide the middle digits of an exam registration number",
    "STAFF_NO": "hide the middle digits of a staff number, or remove the column",
}
_PERIOD = re.compile(
    r"公示(?:期|时间)[^。；;\n]{0,20}?(?:为|：|:)?\s*"
    r"((?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*个?\s*(?:工作日|自然日|日|天))"
)
_PERIOD_DATES = re.compile(
    r"公示(?:期|时间)[^。；;\n]{0,8}?\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
)
_NOTICE_TITLE = re.compile(r"公示|名单|录取|公告|通报")


@dataclass
class Reason:
    """One thing to do before posting: what was found, where, and what to do."""

    kind: str  # leak | sensitive | hidden | children | unreadable | period | metadata
    severity: Literal["fix", "confirm", "advice"]
    message: str  # Chinese, for the person posting
    action: str  # what to do
    part: str | None = None
    pi_type: str | None = None
    count: int = 0
    where: list[str] = field(default_factory=list)
    message_en: str = ""  # the same in English (console English mode, --format json)
    action_en: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "action": self.action,
            "message_en": self.message_en or self.message,
            "action_en": self.action_en or self.action,
            "part": self.part,
            "pi_type": self.pi_type,
            "count": self.count,
            "where": list(self.where),
        }


@dataclass
class CheckedPart:
    """One table or prose part of the document, kept for the de-identified copy."""

    table: TableSource
    report: TableReport


@dataclass
class PublishCheck:
    name: str
    format: str
    verdict: Verdict = "publishable"
    reasons: list[Reason] = field(default_factory=list)
    parts: list[CheckedPart] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    minors: bool = False
    subjects: int | None = None

    @property
    def leak(self) -> bool:
        """Some direct identifier is unmasked somewhere (a hidden sheet included)."""
        return any(part.report.leak for part in self.parts) or any(
            reason.kind == "leak" for reason in self.reasons
        )

    def verdict_label(self, lang: str = "zh") -> str:
        zh, en = VERDICT_LABELS[self.verdict]
        return en if lang == "en" else zh

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "format": self.format,
            "verdict": self.verdict,
            "verdict_label": self.verdict_label(),
            "verdict_label_en": self.verdict_label("en"),
            "leak": self.leak,
            "minors": self.minors,
            "subjects": self.subjects,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "errors": [dict(error) for error in self.errors],
            "tables": [part.report.to_dict() for part in self.parts],
        }


def _type_label(code: str, lang: str = "zh") -> str:
    return labels.label("pi_type", code, lang)


def _column_labeller(table: object, lang: str = "zh") -> Callable[[str], str]:
    letters: dict[str, str] = getattr(table, "letters", {}) or {}

    def label(column: str) -> str:
        letter = letters.get(column)
        if lang == "en":
            if column == "正文":
                return "the text"
            if column.startswith("column_") and letter:
                return f"column {letter} (no header)"
            return f"column {letter} “{column}”" if letter else f"column “{column}”"
        if column == "正文":
            return "正文"
        if column.startswith("column_") and letter:
            return f"{letter} 列（表头为空）"
        return f"{letter} 列“{column}”" if letter else f"“{column}”列"

    return label


def _leak_reasons(report: TableReport, table: object) -> list[Reason]:
    found: list[Reason] = []
    _column_label = _column_labeller(table)
    _column_en = _column_labeller(table, "en")
    columns = {column.name: column for column in report.columns}
    for finding in report.findings:
        code = str(finding["pi_type"])
        unmasked = int(str(finding["unmasked"]))
        column = str(finding["column"])
        where = [str(place) for place in cast(list[object], finding["where"])]
        if code in LEAK_TYPES and unmasked > 0:
            convention = CONVENTIONS.get(code, "屏蔽后再发布，或整列删除")
            masked = int(str(finding["masked"]))
            mixed = f"（另有 {masked} 个已脱敏：同一列脱敏不全）" if masked else ""
            text = column == "正文"
            found.append(
                Reason(
                    "leak",
                    "fix",
                    f"{_column_label(column)}有 {unmasked} 处未脱敏的{_type_label(code)}{mixed}",
                    (
                        "在正文中把这些内容替换为脱敏写法："
                        if text
                        else f"把{_column_label(column)}按公示惯例脱敏："
                    )
                    + convention,
                    report.name,
                    code,
                    unmasked,
                    where,
                    f"{_column_en(column)}: {unmasked} unmasked {_type_label(code, 'en')}"
                    + (
                        f" ({masked} more masked: the column is masked only in part)"
                        if masked
                        else ""
                    ),
                    (
                        "replace these in the text with their masked form: "
                        if text
                        else f"mask {_column_en(column)} as 公示 lists do: "
                    )
                    + CONVENTIONS_EN.get(code, "mask it before publishing, or remove the column"),
                )
            )
        elif code in WITHHELD_TYPES and int(str(finding["values"])) > 0:
            shown = columns.get(column)
            if shown is not None and shown.masking and shown.masking.get("deidentified"):
                continue
            # withheld only where it is the column's own type (a 体检 table's model may add
            # HEALTH to its name column; the copy masks that column as a name)
            if shown is not None and column != "正文" and shown.pi_types[:1] != [code]:
                continue
            count = int(str(finding["values"]))
            found.append(
                Reason(
                    "sensitive",
                    "fix",
                    f"{_column_label(column)}含{_type_label(code)}（{count} 处），"
                    "属于敏感个人信息，不应公开（通知重点任务第11项）",
                    f"删除{_column_label(column)}" if column != "正文" else "删去正文中的这些内容",
                    report.name,
                    code,
                    count,
                    where or [str(place) for place in cast(list[object], finding["where"])],
                    f"{_column_en(column)} holds {_type_label(code, 'en')} ({count}): sensitive "
                    "personal information, not to be published (notice item 11)",
                    f"remove {_column_en(column)}"
                    if column != "正文"
                    else "remove these from the text",
                )
            )
    return found


def _hidden_reason(report: TableReport) -> Reason | None:
    hidden = report.hidden or {}
    holds = [column for column in report.columns if column.pi_types]
    if not hidden or not holds:
        return None
    codes = sorted({c for col in holds for c in col.pi_types})
    types = labels.labels("pi_type", codes)
    types_en = labels.labels("pi_type", codes, "en", ", ")
    if hidden.get("sheet"):
        sheet = report.name.rsplit(":", 1)[-1]
        return Reason(
            "hidden",
            "fix",
            f"隐藏工作表“{sheet}”含个人信息（{types}）：打开文件看不到，下载后一样能看到",
            f"删除隐藏工作表“{sheet}”（不是隐藏，而是删除）",
            report.name,
            message_en=f"hidden sheet “{sheet}” holds personal information ({types_en}): not seen "
            "when the file is opened, but there for anyone who downloads it",
            action_en=f"delete the hidden sheet “{sheet}” (delete it, do not hide it)",
        )
    pieces, pieces_en = [], []
    if hidden.get("rows"):
        rows = ", ".join(list(hidden["rows"])[:10])
        pieces.append(f"隐藏行 {rows}")
        pieces_en.append(f"hidden rows {rows}")
    if hidden.get("columns"):
        pieces.append(f"隐藏列 {', '.join(hidden['columns'])}")
        pieces_en.append(f"hidden columns {', '.join(hidden['columns'])}")
    return Reason(
        "hidden",
        "fix",
        f"“{report.name}”有{'、'.join(pieces)}，表中含个人信息（{types}）",
        "删除隐藏的行和列（隐藏不等于删除，下载后仍可取消隐藏）",
        report.name,
        message_en=f"“{report.name}” has {' and '.join(pieces_en)}; the table holds personal "
        f"information ({types_en})",
        action_en="delete the hidden rows and columns (hidden is not deleted: anyone can unhide "
        "them after downloading)",
    )


def _prose(parts: list[CheckedPart]) -> list[str]:
    lines: list[str] = []
    for part in parts:
        if part.table.comment:
            lines.append(part.table.comment)
        frame = getattr(part.table, "frame", None)
        if isinstance(frame, pl.DataFrame) and "正文" in frame.columns:
            lines.extend(str(value) for value in frame.get_column("正文").to_list() if value)
    return lines


def _period_reason(name: str, parts: list[CheckedPart]) -> Reason | None:
    """公示期: a posted list comes down when its period ends (通知重点任务第5项“最短周期”)."""
    text = "\n".join(_prose(parts))
    holds_pi = any(column.pi_types for part in parts for column in part.report.columns)
    if not holds_pi:
        return None
    match = _PERIOD.search(text)
    if match or _PERIOD_DATES.search(text):
        period = match.group(1).replace(" ", "") if match else "（起止日期）"
        return Reason(
            "period",
            "advice",
            f"文件写明了公示期 {period}",
            "公示期满后请及时从网站、公告栏撤下，不要长期挂在网上（通知重点任务第5项：存储期限为实现"
            "目的所必要的最短时间）",
            message_en=f"the document states its display period ({period})",
            action_en="take it down from the website and notice board when the period ends "
            "(notice item 5: kept no longer than its purpose needs)",
        )
    if _NOTICE_TITLE.search(f"{name}\n{text[:2000]}"):
        return Reason(
            "period",
            "advice",
            "文件没有写明公示期",
            "在文件中写明公示期（如 5 个工作日）和异议受理方式，期满后撤下",
            message_en="the document does not state its display period",
            action_en="state the display period (e.g. 5 working days) and how to object, and "
            "take it down when it ends",
        )
    return None


def _children_reason(parts: list[CheckedPart]) -> Reason | None:
    young = [part.report for part in parts if part.report.minors]
    if not young:
        return None
    evidence = next(
        (
            line
            for report in young
            for column in report.columns
            for line in column.evidence
            if line.startswith("未成年人")
        ),
        "未成年人：出生日期、身份证号或年级显示为不满十四周岁的儿童",
    )
    return Reason(
        "children",
        "confirm",
        "文件涉及不满十四周岁儿童的个人信息（" + evidence.removeprefix("未成年人：") + "）",
        "除法律法规要求和监护人约定外，不得披露儿童信息（通知重点任务第10项）：确需公示的，请确认"
        "公示依据、只保留必要的字段并去标识化，并经数据主管单位同意",
        message_en="the document concerns children under 14 (from birth dates, ID numbers, "
        "grades or its title)",
        action_en="children's information is not disclosed unless a law requires it or the "
        "guardians agreed (notice item 10): if it must be posted, confirm the basis, keep only "
        "the fields needed, de-identified, with the data owner's approval",
    )


def _error(name: str, error: SourceError) -> dict[str, str]:
    return {"name": name, "code": error.code, "message": error.message_zh}


def check_file(path: Path, name: str | None = None) -> PublishCheck:
    """Check one document; ``name`` is how it is called in the result (default: its name)."""
    from eduguard.classification import load_rules
    from eduguard.discovery.connectors.files import open_file
    from eduguard.discovery.model.infer import load_model

    label = name or path.name
    result = PublishCheck(label, path.suffix.lower().lstrip("."))
    rules = load_rules(None)
    load_model()
    try:
        for table in open_file(path, label, skipped=True):
            if isinstance(table, FailedTable):
                result.errors.append(_error(table.name, table.error))
                if isinstance(table, SkippedFile):
                    continue
                continue
            if not is_locatable(table):
                table = RowsLocator(table, result.format)
            try:
                report = scan_table(table, sample=None, rules=rules)
                locate_findings(cast(Locatable, table), report, None)
            except SourceError as error:
                result.errors.append(_error(table.name, error))
                continue
            result.parts.append(CheckedPart(table, report))
    except SourceError as error:
        result.errors.append(_error(label, error))
    decide(result)
    return result


def decide(result: PublishCheck) -> None:
    """Fill ``result.reasons`` and ``result.verdict`` from its scanned parts and errors."""
    reasons: list[Reason] = []
    for error in result.errors:
        reasons.append(
            Reason(
                "unreadable",
                "fix",
                f"“{error['name']}”无法检查：{error['message']}",
                "无法确认安全：请提供可读取的文件（扫描件请先做文字识别，加密文件请先解密）",
                error["name"],
                message_en=f"“{error['name']}” could not be checked ({error['code']})",
                action_en="it cannot be confirmed safe: provide a readable file (run OCR on a "
                "scan, decrypt an encrypted file first)",
            )
        )
    for part in result.parts:
        hidden = _hidden_reason(part.report)
        if hidden is not None:
            reasons.append(hidden)
        if hidden is None or not (part.report.hidden or {}).get("sheet"):
            # a hidden sheet's columns are not listed one by one: the sheet goes as a whole
            reasons.extend(_leak_reasons(part.report, part.table))
    children = _children_reason(result.parts)
    if children is not None:
        reasons.append(children)
    period = _period_reason(result.name, result.parts)
    if period is not None:
        reasons.append(period)
    result.reasons = reasons
    result.minors = children is not None
    counted = [part.report.subjects for part in result.parts if part.report.subjects]
    result.subjects = max(counted) if counted else None
    severities = {reason.severity for reason in reasons}
    result.verdict = (
        "fix" if "fix" in severities else "confirm" if "confirm" in severities else "publishable"
    )
