"""The auditor's reads: search with keyset pagination, one event, streaming export.

Every filter maps onto an index (see ``models.AuditEvent.__table_args__``); pages are
``id < before_id ORDER BY id DESC LIMIT n`` so page 1,000 costs what page 1 costs, and there is
no COUNT(*) over ten million rows.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from eduguard import exports, labels
from eduguard.audit.models import AuditEvent
from eduguard.errors import NotFound, ValidationFailed

# The event's own fields (JSON reads, the audit record of an export).
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "序号"),
    ("time", "时间(UTC)"),
    ("username", "账户"),
    ("user_id", "账户ID"),
    ("roles", "角色"),
    ("unit_id", "单位ID"),
    ("unit_path", "单位路径"),
    ("client_address", "客户端地址"),
    ("action", "操作"),
    ("object_type", "对象类型"),
    ("object_id", "对象ID"),
    ("fields", "涉及字段"),
    ("row_count", "行数"),
    ("result", "结果"),
    ("reason", "授权依据"),
    ("prev_hash", "前一哈希"),
    ("hash", "哈希(SM3)"),
)
XLSX_MAX_ROWS = 1_048_575  # one sheet, minus the header


@dataclass(frozen=True)
class ExportView:
    """How an export file reads for people: times in ``zone`` (EDUGUARD_TIMEZONE), units by
    name, roles, actions, object types and results by their Chinese names; the codes follow
    in hint columns at the end, beside the hashes that verify the chain."""

    zone: str = labels.DEFAULT_TIMEZONE
    unit_names: Mapping[str, str] = field(default_factory=dict)

    def header(self) -> list[str]:
        zone = "北京时间" if self.zone == labels.DEFAULT_TIMEZONE else self.zone
        return [
            "序号",
            f"时间（{zone}）",
            "账户",
            "账户ID",
            "角色",
            "单位",
            "客户端地址",
            "操作",
            "对象类型",
            "对象ID",
            "涉及字段",
            "行数",
            "结果",
            "授权依据",
            "操作代码",
            "结果代码",
            "单位路径",
            "前一哈希",
            "哈希(SM3)",
        ]

    def cells(self, event: AuditEvent) -> list[Any]:
        # An access denial's object type is the permission that was missing (as on the page).
        kind = "permission" if event.action == "access.denied" else "object_type"
        return [
            event.id,
            labels.format_time(event.time, self.zone, "%Y-%m-%d %H:%M:%S"),
            event.username,
            event.user_id,
            labels.labels("role", event.role_list),
            self.unit_names.get(event.unit_path, event.unit_path),
            event.client_address,
            labels.label("audit_action", event.action),
            labels.label(kind, event.object_type) if event.object_type else "",
            event.object_id,
            event.fields,
            event.row_count,
            labels.label("audit_result", event.result),
            event.reason,
            event.action,
            event.result,
            event.unit_path,
            event.prev_hash,
            event.hash,
        ]


@dataclass(frozen=True)
class EventFilter:
    since: datetime | None = None
    until: datetime | None = None
    username: str | None = None
    unit_path: str | None = None  # the unit and every unit below it
    action: str | None = None  # exact ("unit.create") or a family ("unit." / "unit.*")
    object_type: str | None = None
    object_id: str | None = None
    result: str | None = None
    scope: str = "/"  # the auditor's own unit path: only events of that subtree

    def describe(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("since", self.since),
                ("until", self.until),
                ("account", self.username),
                ("unit", self.unit_path),
                ("action", self.action),
                ("object_type", self.object_type),
                ("object_id", self.object_id),
                ("result", self.result),
            )
            if value not in (None, "")
        ]
        return "; ".join(parts) or "全部"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _apply(query: Select[Any], flt: EventFilter) -> Select[Any]:
    if flt.since is not None:
        query = query.where(AuditEvent.time >= _utc(flt.since))
    if flt.until is not None:
        query = query.where(AuditEvent.time < _utc(flt.until))
    if flt.username:
        query = query.where(AuditEvent.username == flt.username)
    if flt.scope and flt.scope != "/":
        query = query.where(AuditEvent.unit_path.like(_prefix(flt.scope), escape="\\"))
    if flt.unit_path and flt.unit_path != "/":
        query = query.where(AuditEvent.unit_path.like(_prefix(flt.unit_path), escape="\\"))
    if flt.action:
        action = flt.action.removesuffix("*")
        if action.endswith("."):
            query = query.where(AuditEvent.action.like(_prefix(action), escape="\\"))
        else:
            query = query.where(AuditEvent.action == action)
    if flt.object_type:
        query = query.where(AuditEvent.object_type == flt.object_type)
    if flt.object_id:
        query = query.where(AuditEvent.object_id == flt.object_id)
    if flt.result:
        query = query.where(AuditEvent.result == flt.result)
    return query


def search(
    session: Session, flt: EventFilter, *, before_id: int | None = None, limit: int = 50
) -> list[AuditEvent]:
    """Newest first; pass the last id of a page as ``before_id`` for the next one."""
    if not 1 <= limit <= 1000:
        raise ValidationFailed("limit_invalid", "每页条数须在 1–1000 之间", "limit must be 1–1000")
    query = _apply(select(AuditEvent), flt)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query.order_by(*_newest_first(flt)).limit(limit)))


def _newest_first(flt: EventFilter) -> tuple[Any, ...]:
    # Time never decreases along the chain (service.append), so (time, id) order is id order;
    # with a time bound, ordering by time lets the database walk ix_audit_events_time_id
    # from the bound instead of scanning ids from the newest event back to it.
    if flt.since is not None or flt.until is not None:
        return (AuditEvent.time.desc(), AuditEvent.id.desc())
    return (AuditEvent.id.desc(),)


def get_event(session: Session, event_id: int, *, scope: str = "/") -> AuditEvent:
    found = session.get(AuditEvent, event_id)
    if found is None or not found.unit_path.startswith(scope):
        raise NotFound("audit_event_not_found", f"审计事件 {event_id} 不存在", "no such event")
    return found


def iter_events(session: Session, flt: EventFilter, batch: int = 5000) -> Iterator[AuditEvent]:
    """All matching events, oldest first, in keyset batches (bounded memory)."""
    after = 0
    while True:
        query = _apply(select(AuditEvent), flt).where(AuditEvent.id > after)
        order = (
            (AuditEvent.time, AuditEvent.id)
            if flt.since is not None or flt.until is not None
            else (AuditEvent.id,)
        )
        rows = list(session.scalars(query.order_by(*order).limit(batch)))
        if not rows:
            return
        yield from rows
        after = rows[-1].id
        for row in rows:  # keep the identity map small on long exports
            session.expunge(row)


def write_csv(events: Iterator[AuditEvent], handle: IO[str], view: ExportView | None = None) -> int:
    """CSV for Excel (byte order mark first); every cell made safe by ``eduguard.exports``."""
    view = view or ExportView()
    writer = exports.CsvExport(handle)
    writer.writerow(view.header())
    count = 0
    for event in events:
        writer.writerow(view.cells(event))
        count += 1
    return count


def write_xlsx(
    events: Iterator[AuditEvent], target: Path | IO[bytes], view: ExportView | None = None
) -> int:
    view = view or ExportView()
    workbook = exports.write_only_workbook()
    sheet = workbook.create_sheet("审计日志")

    def rows() -> Iterator[list[Any]]:
        for count, event in enumerate(events):
            if count >= XLSX_MAX_ROWS:
                raise ValidationFailed(
                    "export_too_large",
                    "超出 Excel 单表行数上限，请缩小范围或改用 CSV",
                    "too many rows for one Excel sheet; narrow the filter or use CSV",
                )
            yield view.cells(event)

    # Fitted widths (hashes capped), a frozen header and a filter, rows streamed.
    count = exports.write_table(sheet, view.header(), rows())
    workbook.save(target)
    return count


def export_bytes(
    session: Session, flt: EventFilter, fmt: str, view: ExportView | None = None
) -> tuple[bytes, int]:
    """The whole export in memory (console/API downloads); the CLI streams to a file."""
    if fmt == "csv":
        text_buffer = io.StringIO()
        count = write_csv(iter_events(session, flt), text_buffer, view)
        return text_buffer.getvalue().encode("utf-8"), count
    if fmt == "xlsx":
        binary = io.BytesIO()
        count = write_xlsx(iter_events(session, flt), binary, view)
        return binary.getvalue(), count
    raise ValidationFailed(
        "format_invalid", "导出格式须为 csv 或 xlsx", "format must be csv or xlsx"
    )
