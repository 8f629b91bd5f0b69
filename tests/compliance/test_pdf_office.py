"""The compliance PDF as an office document: embedded CJK font, page numbers, seal block,
Beijing time; without an embeddable font it still renders and says the font is not embedded."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from eduguard.compliance import pdf_layout, report
from eduguard.compliance.rules import default_rules
from eduguard.compliance.schemas import UnitScore

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # scripts/test installs it


def _scores(count: int) -> list[UnitScore]:
    return [
        UnitScore(
            unit_id=i,
            unit=f"示例县第{i}小学",
            path=f"/1/{i}/",
            score=80,
            open_by_severity={"high": 1},
            findings_by_clause={},
            open_findings=1,
            resolved_findings=0,
        )
        for i in range(1, count + 1)
    ]


def _pdf(font_path: Path | None, count: int = 60) -> PdfReader:
    meta = report._meta("示例县教育局", default_rules())
    meta["generated_at"] = "2026-12-01T23:30:00+00:00"
    body = report.to_pdf([], _scores(count), meta, zone="Asia/Shanghai", font_path=font_path)
    return PdfReader(io.BytesIO(body))


def _fonts(reader: PdfReader) -> list[dict[str, object]]:
    found = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            found.append(
                {
                    "name": str(font.get("/BaseFont")),
                    "descriptor": dict(descriptor.get_object()) if descriptor else {},
                }
            )
    return found


def _text(reader: PdfReader) -> list[str]:
    return [page.extract_text().replace(" ", "").replace("\n", "") for page in reader.pages]


@pytest.mark.skipif(not WQY.is_file(), reason="fonts-wqy-microhei not installed (scripts/test)")
def test_the_chinese_font_is_embedded_pages_are_numbered_and_it_ends_with_a_seal_block() -> None:
    reader = _pdf(WQY)
    pages = _text(reader)
    total = len(pages)
    assert total >= 2  # 60 units do not fit on one page
    for number, text in enumerate(pages, start=1):
        assert f"第{number}页/共{total}页" in text
    fonts = _fonts(reader)
    assert fonts and all("/FontFile2" in font["descriptor"] for font in fonts), fonts
    assert all("WenQuanYi" in str(font["name"]) for font in fonts)
    assert "单位（盖章）" in pages[-1] and "负责人签字" in pages[-1] and "日期" in pages[-1]
    assert "单位（盖章）" not in "".join(pages[:-1])
    # Beijing time: 23:30 UTC is 07:30 the next morning; no UTC offset anywhere.
    assert "生成时间：2026-12-0207:30:00（北京时间）" in pages[0]
    assert "+00:00" not in "".join(pages) and "UTC" not in "".join(pages)
    assert "字体已嵌入" in str(reader.metadata.subject)


def test_without_an_embeddable_font_the_report_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no-such-font.ttf"
    with caplog.at_level(logging.WARNING, logger=pdf_layout.__name__):
        reader = _pdf(missing, count=3)
    assert "字体未嵌入" in str(reader.metadata.subject)
    assert any("not embedded" in record.getMessage() for record in caplog.records)
    fonts = _fonts(reader)
    assert all("/FontFile2" not in font["descriptor"] for font in fonts)
    assert any("STSong" in str(font["name"]) for font in fonts)
    text = "".join(_text(reader))
    assert "第1页/共1页" in text and "单位（盖章）" in text


def test_a_font_reportlab_cannot_embed_falls_back(tmp_path: Path) -> None:
    not_a_font = tmp_path / "fake.ttf"
    not_a_font.write_bytes(b"OTTO" + b"\0" * 64)  # a CFF (OpenType) signature, no tables
    choice = pdf_layout.choose_font(not_a_font)
    assert not choice.embedded and choice.name == pdf_layout.FALLBACK
    assert re.search("无法嵌入", choice.note)
