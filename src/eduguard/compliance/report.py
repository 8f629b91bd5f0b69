"""The compliance report of a unit scope as JSON, HTML (Jinja2) or PDF (reportlab).

The PDF embeds a Chinese TrueType font (``EDUGUARD_PDF_FONT`` or a system font; else the
reader's built-in STSong-Light, said so in its properties), numbers its pages and ends with a
signature/seal block (:mod:`eduguard.compliance.pdf_layout`); its times are in
``EDUGUARD_TIMEZONE`` (Beijing time by default).
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from eduguard import labels
from eduguard.compliance import pdf_layout
from eduguard.compliance.rules import OWNER_ROLES, SEVERITIES, RuleSet
from eduguard.compliance.schemas import FindingRead, UnitScore
from eduguard.errors import ValidationFailed

FORMATS = ("json", "html", "pdf")
MEDIA = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
STATUS_LABELS = {"open": "未整改", "resolved": "已整改"}
TASK_LABELS = {"open": "待整改", "closed": "已关闭", "resolved": "已完成"}
CHUNK = 25  # findings per PDF table
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def format_error() -> ValidationFailed:
    return ValidationFailed(
        "format_invalid", "报告格式须为 json、html 或 pdf", "format: json, html or pdf"
    )


def _meta(scope_label: str, ruleset: RuleSet) -> dict[str, Any]:
    return {
        "title": "教育数据安全合规报告",
        "scope": scope_label,
        "rules_version": ruleset.version,
        "rules_title": ruleset.title,
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "score_model": score_model(ruleset),
    }


def score_model(ruleset: RuleSet) -> str:
    """How the score is computed (compliance/scoring.py), in Chinese, with the rule set's weights."""
    weights = "、".join(
        f"{label} {ruleset.weights.get(sev, 0)}" for sev, label in SEVERITIES.items()
    )
    total = sum(ruleset.weights.get(rule.severity, 0) for rule in ruleset.rules)
    return (
        f"本单位得分 = 100 ×（1 − 有未整改发现的规则权重之和 ÷ 全部 {len(ruleset.rules)} 条规则的"
        f"权重之和 {total}），权重按严重性（{weights}）；每条规则不论涉及多少系统或数据集只计一次，"
        "最多扣去其自身权重所占的份额，因升级（如第三级以上系统的三员分离）而为高的发现按高计；"
        "整改完一条规则涉及的全部对象即恢复其分值。“得分”为本单位及所辖各单位本单位得分的平均值"
        f"（与数据看板一致）。规则版本 {ruleset.version} 起权重表示规则所占份额，不再是每项发现的扣分。"
    )


def to_json(
    rows: Sequence[FindingRead], scores: Sequence[UnitScore], meta: dict[str, Any]
) -> bytes:
    document = {
        **meta,
        "findings": [row.model_dump(mode="json") for row in rows],
        "units": [score.model_dump(mode="json") for score in scores],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def to_html(
    rows: Sequence[FindingRead], scores: Sequence[UnitScore], meta: dict[str, Any]
) -> bytes:
    template = _env.get_template("report.html")
    text = template.render(
        meta=meta,
        rows=rows,
        scores=scores,
        severities=SEVERITIES,
        status_labels=STATUS_LABELS,
        task_labels=TASK_LABELS,
        role_labels=OWNER_ROLES,
    )
    return text.encode("utf-8")


def _office_settings() -> tuple[str, Path | None]:
    """EDUGUARD_TIMEZONE and EDUGUARD_PDF_FONT (the defaults when settings cannot be read)."""
    from eduguard.config import get_settings

    try:
        settings = get_settings()
    except Exception:  # a report is still rendered with the defaults
        return labels.DEFAULT_TIMEZONE, None
    return settings.timezone, settings.pdf_font


def to_pdf(
    rows: Sequence[FindingRead],
    scores: Sequence[UnitScore],
    meta: dict[str, Any],
    *,
    zone: str | None = None,
    font_path: Path | None = None,
) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    configured_zone, configured_font = _office_settings()
    zone = zone or configured_zone
    chosen = pdf_layout.choose_font(font_path or configured_font)
    font = chosen.name
    zone_name = "北京时间" if zone == labels.DEFAULT_TIMEZONE else zone
    generated = labels.format_time(
        datetime.fromisoformat(meta["generated_at"]), zone, "%Y-%m-%d %H:%M:%S"
    )
    body = ParagraphStyle("zh", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    heading = ParagraphStyle("h", parent=body, fontSize=16, leading=22, spaceAfter=6)
    sub = ParagraphStyle("h2", parent=body, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4)
    rule_style = ParagraphStyle("h3", parent=body, fontSize=10, leading=14, spaceBefore=4)

    def p(text: object, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(html.escape(str(text), quote=False).replace("\n", "<br/>"), style)

    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ]
    )
    story: list[Any] = [
        p(meta["title"], heading),
        p(
            f"范围：{meta['scope']}　规则版本：{meta['rules_version']}"
            f"　生成时间：{generated}（{zone_name}）"
        ),
        Spacer(1, 4 * mm),
        p("一、各单位合规得分", sub),
        p(f"得分算法：{meta['score_model']}"),
        Spacer(1, 2 * mm),
    ]
    score_rows = [
        [p(h) for h in ("单位", "得分", "本单位得分", "高", "中", "低", "未整改", "已整改")]
    ]
    for s in scores:
        score_rows.append(
            [
                p(s.unit),
                p(s.score),
                p(s.own_score),
                *(p(s.open_by_severity.get(sev, 0)) for sev in SEVERITIES),
                p(s.open_findings),
                p(s.resolved_findings),
            ]
        )
    widths = [90 * mm, 20 * mm, 22 * mm, 15 * mm, 15 * mm, 15 * mm, 22 * mm, 22 * mm]
    story += [Table(score_rows, colWidths=widths, repeatRows=1, style=grid), Spacer(1, 4 * mm)]
    story.append(p(f"二、合规发现（共 {len(rows)} 项）", sub))
    # Grouped by rule: the rule's title, clauses and remediation once, then its findings. One
    # table per CHUNK rows (splitting one huge table across pages is quadratic in reportlab).
    head: list[Paragraph | str] = [
        p(h) for h in ("单位 / 系统 / 数据集", "状态", "证据", "整改任务")
    ]
    widths = [70 * mm, 16 * mm, 110 * mm, 81 * mm]
    groups: dict[str, list[FindingRead]] = {}
    for r in rows:
        groups.setdefault(r.rule_id, []).append(r)
    for rule_id, group in groups.items():
        first = group[0]
        severity = SEVERITIES.get(first.severity, first.severity)
        story.append(
            p(f"{rule_id}　{first.title}（严重性：{severity}，{len(group)} 项）", rule_style)
        )
        story.append(p(f"依据：{'；'.join(first.clauses)}"))
        if first.task is not None:
            story.append(p(f"整改要求：{first.task.description}"))
        table_rows: list[list[Paragraph | str]] = []
        for r in group:
            where = " / ".join(part for part in (r.unit, r.system, r.dataset) if part)
            task = ""
            if r.task is not None:
                owner = r.task.owner_username or r.task.owner_role_label
                status = TASK_LABELS.get(r.task.status.value, r.task.status.value)
                task = f"负责：{owner}　期限：{r.task.due_date.isoformat()}　{status}"
            table_rows.append(
                [
                    p(where),
                    STATUS_LABELS.get(r.status.value, r.status.value),  # short: no wrapping
                    p(r.evidence),
                    p(task),
                ]
            )
        for begin in range(0, len(table_rows), CHUNK):
            chunk: list[list[Paragraph | str]] = [head, *table_rows[begin : begin + CHUNK]]
            story.append(Table(chunk, colWidths=widths, repeatRows=1, style=grid))
        story.append(Spacer(1, 3 * mm))
    story += pdf_layout.seal_block(font, f"时间均为{zone_name}。")
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=meta["title"],
        author="eduguard",
        subject=f"{meta['scope']}；{chosen.note}",
        initialFontName=font,  # no unembedded Helvetica either
    )
    document.build(story, canvasmaker=pdf_layout.numbered_canvas(font))
    return buffer.getvalue()


def render(
    fmt: str,
    rows: Sequence[FindingRead],
    scores: Sequence[UnitScore],
    *,
    scope_label: str,
    ruleset: RuleSet,
) -> bytes:
    if fmt not in FORMATS:
        raise format_error()
    meta = _meta(scope_label, ruleset)
    if fmt == "json":
        return to_json(rows, scores, meta)
    if fmt == "html":
        return to_html(rows, scores, meta)
    return to_pdf(rows, scores, meta)
