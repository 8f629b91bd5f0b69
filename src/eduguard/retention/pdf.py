"""A disposition certificate as a Chinese PDF: the compliance report's embedded font and page
numbers (:mod:`eduguard.compliance.pdf_layout`, as ``processing.pdf`` uses them), the document's
SM3 and signature on the page. The JSON file is the one that verifies; the PDF is its print."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from eduguard.compliance import pdf_layout


def to_pdf(document: dict[str, Any], *, font_path: Path | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    chosen = pdf_layout.choose_font(font_path)
    body = ParagraphStyle("zh", fontName=chosen.name, fontSize=10, leading=15, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=6)

    def p(text: object, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    counts = document["counts"]
    approvers = "；".join(f"{a['step']}：{a['by']}（{a['reason']}）" for a in document["approvers"])
    story: list[Any] = [
        p(document["title"], title),
        p(f"信息系统：{document['system']}；数据集：{document['dataset']}"),
        p(f"保存期限规则：{document['rule']}；依据：{document['legal_basis']}"),
        p(f"期满日界：{document['cutoff']}；处置方式：{document['method']}"),
        p(f"审批：{approvers or '—'}"),
        p(f"计划人：{document['planned_by']}；执行人：{document['executor']}"),
        p(f"执行时间：{document['started_at']} 至 {document['finished_at']}"),
        p(
            f"处置前行数 {counts['rows_before']}，计划选中 {counts['selected_at_plan']}，"
            f"实际处置 {counts['processed']}，处置后行数 {counts['rows_after']}，"
            f"清单记录 {counts['manifest_rows']}（未完成 {counts['manifest_pending']}）"
            + (
                f"；因主体保全未处置 {counts['kept_by_subject_holds']} 行"
                if counts.get("kept_by_subject_holds")
                else ""
            )
        ),
        p(
            f"核验查询：{document['verification']['query']}；"
            f"结果：仍被选中 {document['verification']['remaining_selected']} 行"
        ),
        p(f"处置清单（行键的带密钥摘要）SM3：{document['manifest_sm3']}", small),
        Spacer(1, 3 * mm),
        p("仍存在的副本："),
    ]
    story += [p(text) for text in document["residual_copies"]]
    story += [
        Spacer(1, 3 * mm),
        p(f"证明 SM3：{document['document_sm3']}（已记入审计日志）", small),
    ]
    if document.get("supersedes_sm3"):
        story.append(
            p(
                f"第 {document['revision']} 版（仍存在的副本已更新），"
                f"取代 SM3 {document['supersedes_sm3']} 的前一版",
                small,
            )
        )
    story += [
        p(f"签名（Ed25519）：{document['signature']}", small),
        p("核验：eduguard retention verify-cert 证明文件.json", small),
    ]
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=str(document["title"]),
        subject=f"SM3 {document['document_sm3']}；{chosen.note}",
        creator="eduguard",
    )
    pdf.build(story, canvasmaker=pdf_layout.numbered_canvas(chosen.name))
    return buffer.getvalue()
