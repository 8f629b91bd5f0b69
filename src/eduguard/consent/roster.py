"""A school's roster into the consent domain (``eduguard consent import``): one row per pupil or
staff member and, optionally, one of their guardians — as a school exports it from its student
register (学籍) into Excel or CSV. A second row with the same 学籍号 adds another guardian.

The school's ids (学籍号, 监护人编号) are kept only as their keyed HMAC-SM3 (``consent.service``);
labels are sealed. A row already registered is left as it is (its new guardians are added), so
importing the same roster twice changes nothing. Every row is checked before anything is written;
one bad row refuses the whole file with its row number, in Chinese — nothing is half-imported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import ValidationError
from sqlalchemy.orm import Session

from eduguard.consent import flows, service
from eduguard.consent.models import GuardianPolicy, SubjectKind
from eduguard.consent.schemas import GuardianCreate, SubjectCreate
from eduguard.errors import Conflict, ValidationFailed

MAX_ROWS = 50_000
COLUMNS = {  # header (as schools write it) → field
    "学籍号": "external_id",
    "学号": "external_id",
    "工号": "external_id",
    "编号": "external_id",
    "出生日期": "birth_date",
    "显示名": "label",
    "姓名": "label",
    "监护人规则": "guardian_policy",
    "监护人编号": "guardian_id",
    "监护人关系": "relation",
    "关系": "relation",
    "监护人显示名": "guardian_label",
    "监护人姓名": "guardian_label",
}
POLICIES = {"任一": GuardianPolicy.any, "全部": GuardianPolicy.all, "": GuardianPolicy.any}


@dataclass(frozen=True)
class Row:
    number: int  # the row in the file (the header is row 1)
    subject: SubjectCreate
    guardian: GuardianCreate | None


@dataclass
class Imported:
    subjects: int = 0  # newly registered
    existing: int = 0  # rows whose subject was registered already
    guardians: int = 0  # newly registered guardians
    ids: list[int] = field(default_factory=list)


def _bad(number: int, problem: str) -> ValidationFailed:
    return ValidationFailed(
        "roster_row_invalid",
        f"第 {number} 行：{problem}；未导入任何记录",
        f"row {number}: {problem}",
    )


def _date(value: str, number: int) -> date | None:
    text = value.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    raise _bad(number, f"出生日期“{text[:20]}”无法识别（例如 2016-09-01）")


def _cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value).strip()


def parse(records: Iterable[Sequence[object]], unit_id: int, kind: SubjectKind) -> list[Row]:
    """Rows of a roster (the first record is the header) → checked rows, or the first problem."""
    iterator = iter(records)
    header = [_cell(h) for h in next(iterator, [])]
    names = [COLUMNS.get(h.replace(" ", "")) for h in header]
    if "external_id" not in names:
        raise ValidationFailed(
            "roster_header",
            "第 1 行须是标题行，且含“学籍号”（或学号、工号、编号）一列；未导入任何记录",
            "the header row needs a 学籍号 column",
        )
    rows: list[Row] = []
    for number, record in enumerate(iterator, start=2):
        values = {n: _cell(v) for n, v in zip(names, record, strict=False) if n is not None}
        if not any(values.values()):
            continue
        if len(rows) >= MAX_ROWS:
            raise _bad(number, f"超过 {MAX_ROWS:,} 行，请分批导入")
        policy = POLICIES.get(values.get("guardian_policy", ""))
        if policy is None:
            raise _bad(number, "监护人规则须为“任一”或“全部”")
        try:
            subject = SubjectCreate(
                unit_id=unit_id,
                kind=kind,
                external_id=values.get("external_id", ""),
                birth_date=_date(values.get("birth_date", ""), number),
                label=values.get("label") or None,
                guardian_policy=policy,
            )
            guardian = None
            if values.get("guardian_id"):
                guardian = GuardianCreate(
                    external_id=values["guardian_id"],
                    relation=values.get("relation") or "guardian",
                    label=values.get("guardian_label") or None,
                )
        except ValidationError as error:
            where = str(error.errors()[0]["loc"][0])
            label = {v: k for k, v in COLUMNS.items()}.get(where, where)
            raise _bad(number, f"“{label}”不符合要求（空白或过长）") from None
        rows.append(Row(number, subject, guardian))
    return rows


def read_csv(content: bytes, encoding: str) -> list[list[str]]:
    try:
        text = content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise ValidationFailed(
            "roster_encoding", "文件编码无法识别（请另存为 UTF-8 或 GBK 的 CSV）", "unreadable"
        ) from None
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def read(filename: str, content: bytes) -> list[list[object]]:
    """A roster file's rows by its name's extension: .xlsx, or .csv/.txt in whatever encoding a
    school's export uses (UTF-8 with or without BOM, GBK/GB18030 — detected, never guessed)."""
    from eduguard.discovery.connectors.encoding import detect_sample
    from eduguard.discovery.sources import SourceError

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        return read_xlsx(content)
    if suffix in ("csv", "txt"):
        try:
            encoding = detect_sample(content, at_end=True, name=filename)
        except SourceError as error:
            raise ValidationFailed(
                "roster_encoding", f"名册无法读取：{error.message_zh}", "unreadable"
            ) from None
        return [list(r) for r in read_csv(content, encoding)]
    raise ValidationFailed(
        "roster_format",
        f"不支持的名册格式：{'.' + suffix if suffix else '无扩展名'}（支持 .xlsx、.csv）",
        "unsupported roster format",
    )


def read_xlsx(content: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise ValidationFailed(
            "roster_unreadable", "无法读取该 Excel 文件（文件损坏或不是 .xlsx）", "unreadable"
        ) from None
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def apply(session: Session, rows: Sequence[Row], *, scope: str) -> Imported:
    """Register the rows' subjects and guardians (in the caller's transaction)."""
    done = Imported()
    for row in rows:
        data = row.subject
        found = service.find_subject(session, data.unit_id, data.kind, data.external_id)
        if found is None:
            try:
                found = flows.register_subject(session, data, scope=scope)
            except ValidationFailed as error:
                raise _bad(row.number, error.message_zh) from None
            done.subjects += 1
            done.ids.append(found.id)
        else:
            done.existing += 1
        if row.guardian is not None:
            try:
                flows.add_guardian(session, found.id, row.guardian, scope=scope)
            except Conflict as error:
                if error.code != "consent_guardian_exists":
                    raise
            else:
                done.guardians += 1
    return done
