"""A published rules version as a PDF: the compliance report's embedded Chinese font and page
numbers (:mod:`eduguard.compliance.pdf_layout`), the version and its SM3 digest on the page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from eduguard.compliance import pdf_layout


def to_pdf(
    document: dict[str, Any],
    *,
    number: int,
    sm3: str,
    published_at: str,
    font_path: Path | None = None,
) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    chosen = pdf_layout.choose_font(font_path)
    font = chosen.name
    body = ParagraphStyle("zh", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=6)
    heading = ParagraphStyle("h2", parent=body, fontSize=12, leading=17, spaceBefore=8)

    def p(text: object, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    def table(header: list[str], rows: list[list[str]], widths: list[float]) -> Table:
        data = [[p(h, small) for h in header]] + [[p(c, small) for c in row] for row in rows]
        grid = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return grid

    controller = document["controller"]
    story: list[Any] = [
        p(document["title"], title),
        p(f"第 {number} 版 · 发布于 {published_at} · SM3 {sm3}", small),
        p(f"依据：{document['basis']}", small),
        Spacer(1, 3 * mm),
        p("一、谁收集您的个人信息", heading),
        p(f"个人信息处理者：{controller['name']}；信息系统：{controller['system']}"),
    ]
    if controller["operator"]:
        story.append(p(f"受托运营：{controller['operator']}"))
    story.append(p(f"联系方式：{controller['contact']}"))
    for paragraph in document["children"]:
        story.append(p(paragraph))
    story.append(p("二、处理目的、方式与法律依据", heading))
    for purpose in document["purposes"]:
        story.append(p(f"【{purpose['name']}】{purpose['description']}"))
        story.append(
            p(
                f"法律依据：{purpose['legal_basis']}（{purpose['legal_basis_clause']}）"
                f"{'；' + purpose['basis_detail'] if purpose['basis_detail'] else ''}。"
                f"{purpose['necessity']}。收集方式：{purpose['method'] or '—'}。"
                f"个人信息种类：{'、'.join(purpose['categories']) or '—'}。"
                f"保存期限：{purpose['retention']}，到期后{purpose['after_retention']}。"
                f"自动化决策：{purpose['automated_decision']}。"
            )
        )
        if purpose["sensitive_categories"]:
            story.append(
                p(
                    f"敏感个人信息：{'、'.join(purpose['sensitive_categories'])}。"
                    f"必要性及对个人权益的影响：{purpose['sensitive_necessity'] or '—'}"
                    f"（{document['sensitive_basis']}）"
                )
            )
    story += [p("三、个人信息收集清单", heading)]
    story.append(
        table(
            ["个人信息", "种类", "敏感", "用途", "收集方式", "必要性"],
            [
                [
                    r["item"],
                    "、".join(r["categories"]),
                    r["sensitive"],
                    "、".join(r["purposes"]),
                    "、".join(r["methods"]),
                    "、".join(r["necessity"]),
                ]
                for r in document["collection_list"]
            ],
            [30, 28, 12, 40, 40, 30],
        )
    )
    story += [p("四、第三方共享清单", heading), p(f"（{document['sharing_basis']}）", small)]
    if document["sharing_list"]:
        story.append(
            table(
                ["接收方", "类型", "用途", "个人信息种类", "联系方式", "协议"],
                [
                    [
                        r["recipient"],
                        r["kind"],
                        "、".join(r["purposes"]) + (f"：{r['use']}" if r["use"] else ""),
                        "、".join(r["categories"]),
                        r["contact"],
                        r["agreement"],
                    ]
                    for r in document["sharing_list"]
                ],
                [28, 22, 40, 34, 28, 28],
            )
        )
    else:
        story.append(p("不向第三方提供，也不委托他人处理。"))
    story.append(p("五、您的权利及行使方式", heading))
    story += [p(text) for text in document["rights"]]
    story.append(p(f"{document['rights_channel']}（联系方式：{controller['contact']}）"))
    story.append(p(f"（{document['rights_basis']}）", small))

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=str(document["title"]),
        author=str(controller["name"]),
        subject=f"第 {number} 版 SM3 {sm3}；{chosen.note}",
        creator="eduguard",
    )
    pdf.build(story, canvasmaker=pdf_layout.numbered_canvas(font))
    return buffer.getvalue()
