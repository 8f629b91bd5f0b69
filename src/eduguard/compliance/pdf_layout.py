"""What makes the compliance PDF an office document: an embedded Chinese font, page numbers
("第 N 页 / 共 M 页") and the signature/seal block a unit signs and stamps.

**The font.** A PDF whose Chinese font is not embedded shows whatever the reader substitutes
(or boxes). reportlab embeds TrueType outlines only (``.ttf``, or ``.ttc`` collections); the
OpenType CJK fonts with CFF outlines (Noto/Source Han ``.otf``/``.ttc``) it cannot. The font
is ``EDUGUARD_PDF_FONT`` when set, else the first of :data:`CANDIDATES` that exists (Debian's
``fonts-wqy-microhei``, which ``scripts/test`` installs, comes first). Without one the report
still renders, with reportlab's built-in CID font STSong-Light (not embedded: the reader's own
Song font), and says so in the PDF's properties (subject) and in the log.

No font is shipped: a CJK font is several megabytes and none with a clear licence is published
as a small Python package; the operating system's package manager installs one properly.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

logger = logging.getLogger(__name__)

EMBEDDED_NAME = "EduguardCJK"
FALLBACK = "STSong-Light"
# TrueType-outline CJK fonts of common Linux distributions, most preferred first.
CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),  # Fedora/RHEL
    Path("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc"),  # Arch
)


@dataclass(frozen=True)
class PdfFont:
    name: str  # the registered reportlab font name
    embedded: bool
    path: Path | None
    note: str  # for the PDF's properties


def _registered_name(path: Path) -> str:
    return f"{EMBEDDED_NAME}-{zlib.crc32(str(path).encode()):08x}"


def _register_ttf(path: Path) -> str | None:
    """Register ``path`` (first face of a collection); the error text if reportlab refuses."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    name = _registered_name(path)
    if name in pdfmetrics.getRegisteredFontNames():
        return None
    try:
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    except (TTFError, OSError, ValueError) as error:
        return str(error) or type(error).__name__
    return None


def choose_font(configured: Path | None) -> PdfFont:
    """The embedded font of ``configured`` (or the first candidate found), else the fallback."""
    paths = [configured] if configured is not None else [p for p in CANDIDATES if p.is_file()]
    problem = "未找到可嵌入的中文字体" if configured is None else f"找不到字体文件 {configured}"
    for path in paths:
        if not path.is_file():
            continue
        error = _register_ttf(path)
        if error is None:
            return PdfFont(_registered_name(path), True, path, f"字体已嵌入：{path.name}")
        problem = f"字体 {path} 无法嵌入（须为 TrueType 轮廓）：{error}"
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FALLBACK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    logger.warning(
        "compliance PDF: %s; using the reader's built-in %s (not embedded). "
        "Install fonts-wqy-microhei or set EDUGUARD_PDF_FONT.",
        problem,
        FALLBACK,
    )
    note = f"字体未嵌入（{problem}；使用阅读器自带的 {FALLBACK}）"
    return PdfFont(FALLBACK, False, None, note)


def numbered_canvas(font: str, size: float = 8) -> type[Canvas]:
    """A reportlab canvas class that writes "第 N 页 / 共 M 页" at the foot of every page
    (pages are kept until the end, when their count is known)."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                width = float(self._pagesize[0])  # type: ignore[attr-defined]
                number = self.getPageNumber()
                self.setFont(font, size)
                self.drawCentredString(width / 2, 6 * mm, f"第 {number} 页 / 共 {total} 页")
                super().showPage()
            super().save()

    return NumberedCanvas


def seal_block(font: str, zone_note: str) -> list[Any]:
    """The end of the report: who signs and stamps, and when (filled in by hand)."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

    style = ParagraphStyle("seal", fontName=font, fontSize=11, leading=18)
    small = ParagraphStyle("seal-note", fontName=font, fontSize=8, leading=11)
    blank = "＿" * 12
    rows = [
        [Paragraph("单位（盖章）：", style), Paragraph(blank, style)],
        [Paragraph("负责人签字：", style), Paragraph(blank, style)],
        [Paragraph("日期：", style), Paragraph("＿＿＿＿年＿＿月＿＿日", style)],
    ]
    table = Table(rows, colWidths=[40 * mm, 90 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),  # else the cells set Helvetica
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.black),
            ]
        )
    )
    return [
        KeepTogether(
            [
                Spacer(1, 10 * mm),
                Paragraph(
                    "本报告由 eduguard 根据登记的事实与扫描结果自动生成，经单位核实后签字盖章生效。"
                    f"{zone_note}",
                    small,
                ),
                Spacer(1, 4 * mm),
                table,
            ]
        )
    ]
