"""What a collection review and a system's approvals give out: the Excel summary of one review
(fields, pre-checks with their clauses, steps) and the system's 收集清单 (the fields its approved
collection reviews allow) as Excel or CSV. Pure functions over read models and rows: nothing
here reads the database."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from eduguard import exports, labels
from eduguard.collection.models import Acquisition, ApprovedField
from eduguard.collection.schemas import PlanRead

INVENTORY_HEADER = [
    "字段组",
    "字段",
    "说明",
    "个人信息类型",
    "定级",
    "敏感个人信息",
    "可选",
    "获取方式",
    "批准的审核",
    "批准时间",
]


def summary_json(read_model: PlanRead) -> str:
    return json.dumps(read_model.model_dump(mode="json"), ensure_ascii=False, indent=2)


def summary_xlsx(read_model: PlanRead) -> bytes:
    """The Excel summary of one review: its fields as classified, the pre-checks with their
    clauses, and the approval steps (one sheet each)."""
    workbook = exports.write_only_workbook()
    fields = workbook.create_sheet("采集字段")
    exports.write_table(
        fields,
        [
            "字段组",
            "字段",
            "说明",
            "个人信息类型",
            "定级",
            "敏感",
            "可选",
            "获取方式",
            "理由",
            "依据",
        ],
        (
            [
                f.group,
                f.name,
                f.label or "",
                "、".join(f.pi_type_labels),
                f.level_label,
                "是" if f.sensitive else "",
                "是" if f.optional else "",
                "共享/核验" if f.acquisition == "share" else "直接收集",
                f.justification,
                "；".join(f.evidence),
            ]
            for f in read_model.fields
        ),
    )
    found = workbook.create_sheet("预检")
    exports.write_table(
        found,
        ["预检", "结论", "说明", "明细", "依据"],
        (
            [c.label, c.status_label, c.summary, "\n".join(c.items), f"{c.cite} {c.clause}"]
            for c in read_model.checks
        ),
    )
    steps = workbook.create_sheet("审批")
    exports.write_table(
        steps,
        ["步骤", "单位", "状态", "决定人", "理由"],
        (
            [s.label, s.unit, s.status_label, s.decided_by or "", s.reason or ""]
            for s in read_model.steps
        ),
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _inventory_rows(approved: Sequence[ApprovedField], zone: str) -> Iterable[list[Any]]:
    for a in approved:
        types = [c for c in a.pi_types.split(",") if c]
        yield [
            a.group,
            a.name,
            a.label or "",
            "、".join(labels.label("pi_type", c) for c in types),
            labels.label("level", a.level),
            "是" if a.sensitive else "",
            "是" if a.optional else "",
            "共享/核验" if a.acquisition == Acquisition.share else "直接收集",
            f"#{a.plan_id}",
            labels.format_time(a.approved_at, zone),
        ]


def inventory_xlsx(approved: Sequence[ApprovedField], zone: str = labels.DEFAULT_TIMEZONE) -> bytes:
    """The system's 收集清单 as a workbook of one sheet."""
    workbook = exports.write_only_workbook()
    sheet = workbook.create_sheet("收集清单")
    exports.write_table(sheet, INVENTORY_HEADER, _inventory_rows(approved, zone))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def inventory_csv(approved: Sequence[ApprovedField], zone: str = labels.DEFAULT_TIMEZONE) -> str:
    """The same list as CSV (UTF-8 with BOM, as Excel opens it; formulas defused)."""
    out = io.StringIO()
    writer = exports.CsvExport(out)
    writer.writerow(INVENTORY_HEADER)
    for row in _inventory_rows(approved, zone):
        writer.writerow(row)
    return out.getvalue()
