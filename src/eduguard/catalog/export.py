"""The catalog as a department asks for it: 数据资源目录, one row per data item (xlsx, JSON).

Rows are plain dicts built by ``catalog.flows.export_rows``; this module only writes them.
Cells go through ``eduguard.exports`` (no formula, no control character), since column names
and comments come from the scanned systems. The workbook is for people: display names for PI
types, categories and levels (``eduguard.labels``; the JSON keeps the codes), each unit with
its superior units by name, fitted widths, a frozen header and a filter, and times in
``EDUGUARD_TIMEZONE`` (Beijing time by default).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eduguard import exports, labels
from eduguard.errors import ValidationFailed

XLSX_MAX_ROWS = 1_048_575
COLUMNS: tuple[tuple[str, str], ...] = (
    ("unit", "单位"),
    ("unit_parents", "上级单位"),
    ("system", "信息系统"),
    ("source", "数据源"),
    ("dataset", "数据集（表/文件）"),
    ("dataset_comment", "数据集说明"),
    ("field", "数据项"),
    ("field_comment", "数据项说明"),
    ("pi_types", "个人信息类型"),
    ("category", "数据分类"),
    ("level", "数据级别"),
    ("sensitive", "敏感个人信息"),
    ("minors", "涉及未成年人"),
    ("row_count", "数据量（条）"),
    ("subjects", "个人信息主体数（估计）"),
    ("storage_location", "存储位置"),
    ("retention_period", "存储期限"),
    ("owner_unit", "主管单位"),
    ("operator_unit", "运营单位"),
    ("user_units", "使用单位"),
    ("review_status", "审核状态"),
    ("reviewed_by", "审核人"),
)
FORMATS = ("xlsx", "json")
TITLE = "数据资源目录"
# Columns holding codes: shown by their display names (labels.py kinds).
_NAMED = {"pi_types": "pi_type", "category": "category", "level": "level"}


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return None
    kind = _NAMED.get(key)
    if kind is not None:
        return labels.labels(kind, value) if isinstance(value, list) else labels.label(kind, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return ("/" if key == "unit_parents" else "、").join(str(v) for v in value)
    return value


def zone_label(zone: str) -> str:
    """How a time column says its zone: 北京时间 for Asia/Shanghai, else the zone's name."""
    return "北京时间" if zone == labels.DEFAULT_TIMEZONE else zone


def file_name(scope_name: str, fmt: str, *, zone: str, now: datetime | None = None) -> str:
    """``乙县一小-数据资源目录-20261202.xlsx`` (the date in ``zone``)."""
    day = labels.local_time(now or datetime.now(UTC), zone).strftime("%Y%m%d")
    return exports.file_name(scope_name, TITLE, day, suffix=fmt)


def write_xlsx(
    rows: Sequence[dict[str, Any]],
    *,
    scope_label: str,
    zone: str = labels.DEFAULT_TIMEZONE,
    now: datetime | None = None,
) -> bytes:
    if len(rows) > XLSX_MAX_ROWS:
        raise ValidationFailed(
            "export_too_large",
            "超出 Excel 单表行数上限，请按单位缩小范围或改用 JSON",
            "too many rows for one sheet; narrow by unit or use JSON",
        )
    workbook = exports.write_only_workbook()
    sheet = workbook.create_sheet(TITLE)
    exports.write_table(
        sheet,
        ["序号", *(label for _key, label in COLUMNS)],
        [
            [number, *(_cell(key, row.get(key)) for key, _label in COLUMNS)]
            for number, row in enumerate(rows, start=1)
        ],
    )
    about = workbook.create_sheet("说明")
    generated = labels.format_time(now or datetime.now(UTC), zone, "%Y-%m-%d %H:%M:%S")
    exports.write_table(
        about,
        ["项目", "内容"],
        [
            ["范围", scope_label],
            [f"生成时间（{zone_label(zone)}）", generated],
            ["数据项数", len(rows)],
            ["依据", "教科信函〔2021〕20号 重点任务第3项：形成教育系统数据资源目录"],
        ],
        maximum_width=80,
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_json(rows: Sequence[dict[str, Any]], *, scope_label: str) -> bytes:
    document = {
        "catalog_version": 1,
        "scope": scope_label,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": list(rows),
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def render(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    *,
    scope_label: str,
    zone: str = labels.DEFAULT_TIMEZONE,
) -> bytes:
    if fmt == "xlsx":
        return write_xlsx(rows, scope_label=scope_label, zone=zone)
    if fmt == "json":
        return write_json(rows, scope_label=scope_label)
    raise ValidationFailed("format_invalid", "导出格式须为 xlsx 或 json", "format: xlsx or json")
