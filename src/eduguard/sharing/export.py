"""The 数据开放目录 and the 数据共享责任清单 as Excel workbooks, written like the catalog's
数据资源目录 (``eduguard.exports``: no formula, no control character, fitted widths, a frozen
header and a filter; display names for levels and attributes; a 说明 sheet)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eduguard import exports, labels
from eduguard.sharing.schemas import OpenDataset, OpenField, ResponsibilityRow

OPEN_TITLE = "数据开放目录"
LIST_TITLE = "数据共享责任清单"
OPEN_HEADER = (
    "序号",
    "信息系统",
    "数据集",
    "数据集说明",
    "数据集级别",
    "数据项",
    "数据项说明",
    "数据项级别",
)
LIST_HEADER = (
    "序号",
    "单位",
    "信息系统",
    "主管单位",
    "运营单位",
    "数据集",
    "数据项",
    "说明",
    "数据级别",
    "共享属性",
    "共享条件",
    "脱敏要求",
    "其他防护要求",
    "永不共享",
    "责任人/责任部门",
    "设置人",
)
BASIS = "教科信函〔2021〕20号 重点任务第7项：建立数据开放目录和数据共享责任清单"


def _level(code: str) -> str:
    return labels.label("level", code)


def open_rows(entries: Sequence[OpenDataset]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for entry in entries:
        fields: list[OpenField | None] = list(entry.fields) or [None]
        for field in fields:
            rows.append(
                [
                    len(rows) + 1,
                    entry.system,
                    entry.name,
                    entry.comment,
                    _level(entry.level),
                    field.name if field else None,
                    field.comment if field else None,
                    _level(field.level) if field else None,
                ]
            )
    return rows


def list_rows(entries: Sequence[ResponsibilityRow], masking: dict[str, str]) -> list[list[Any]]:
    return [
        [
            number,
            row.unit,
            row.system,
            row.owner_unit,
            row.operator,
            row.dataset,
            row.field or "（整个数据集）",
            row.description,
            _level(row.level),
            labels.label("share_attribute", row.attribute) if row.attribute else "未设置",
            row.conditions,
            masking.get(row.masking, row.masking) if row.masking else None,
            row.protection,
            "是" if row.never_shared else "否",
            row.responsible,
            row.updated_by,
        ]
        for number, row in enumerate(entries, start=1)
    ]


def file_name(unit: str, title: str, *, zone: str, now: datetime | None = None) -> str:
    day = labels.local_time(now or datetime.now(UTC), zone).strftime("%Y%m%d")
    return exports.file_name(unit, title, day, suffix="xlsx")


def workbook(
    title: str,
    header: Sequence[str],
    rows: list[list[Any]],
    *,
    unit: str,
    zone: str = labels.DEFAULT_TIMEZONE,
    now: datetime | None = None,
) -> bytes:
    book = exports.write_only_workbook()
    exports.write_table(book.create_sheet(title), list(header), rows)
    generated = labels.format_time(now or datetime.now(UTC), zone, "%Y-%m-%d %H:%M:%S")
    zone_name = "北京时间" if zone == labels.DEFAULT_TIMEZONE else zone
    exports.write_table(
        book.create_sheet("说明"),
        ["项目", "内容"],
        [
            ["单位", unit],
            [f"生成时间（{zone_name}）", generated],
            ["行数", len(rows)],
            ["依据", BASIS],
            ["说明", "只列名称、说明与级别，不含任何数据值"],
        ],
        maximum_width=80,
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
