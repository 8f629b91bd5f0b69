"""Real-world document layouts generated in tmp_path: 公示名单 in Word, PDF, HTML, Excel, text.

Every person is synthetic; ID numbers carry valid GB 11643 check digits and bank cards valid
Luhn digits, so a leak is a leak the detectors can prove. Each maker writes a leaking document
or, with ``masked=True``, its clean twin: the same layout with 公示 masking (张*三,
4201**********1234, 138****1234, 6222 **** **** 1234).
"""

from __future__ import annotations

from pathlib import Path

import docx
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from eduguard.discovery import api
from eduguard.discovery.report import ScanReport, TableReport

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def resident_id(body17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(body17, _WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


def luhn(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return partial + str((10 - total % 10) % 10)


def person(index: int) -> dict[str, str]:
    """A synthetic pupil: name, ID (born 2012–2015), phone, bank card."""
    name = SURNAMES[index % 20] + GIVEN[(index * 7) % 20] + GIVEN[(index * 3 + 1) % 20]
    birth = f"{2012 + index % 4}{(index % 12) + 1:02d}{(index % 27) + 1:02d}"
    return {
        "name": name,
        "id": resident_id(f"420106{birth}{index % 1000:03d}"),
        "phone": f"139{index:08d}",
        "card": luhn(f"622202{index:09d}"),
    }


def masked(person: dict[str, str]) -> dict[str, str]:
    card = person["card"]
    return {
        "name": person["name"][0] + "*" + person["name"][-1],
        "id": person["id"][:4] + "*" * 10 + person["id"][-4:],
        "phone": person["phone"][:3] + "****" + person["phone"][-4:],
        "card": f"{card[:4]} **** **** {card[-4:]}",
    }


def people(count: int, hide: bool = False) -> list[dict[str, str]]:
    return [masked(person(i)) if hide else person(i) for i in range(1, count + 1)]


HEADER = ["序号", "姓名", "身份证号", "银行卡号", "联系电话"]
TITLE = "2026年秋季学期国家助学金拟资助学生公示名单"
NOTE = "公示期为5个工作日，如有异议请向学生资助管理中心反映。"


def rows(count: int, hide: bool = False) -> list[list[str]]:
    return [
        [str(i), p["name"], p["id"], p["card"], p["phone"]]
        for i, p in enumerate(people(count, hide), start=1)
    ]


def scan(path: Path) -> ScanReport:
    return api.scan(path, sample=None)


def table_named(report: ScanReport, suffix: str) -> TableReport:
    [table] = [table for table in report.tables if table.name.endswith(suffix)]
    return table


def findings(table: TableReport, code: str) -> list[dict[str, object]]:
    return [finding for finding in table.findings if finding["pi_type"] == code]


# -- makers ----------------------------------------------------------------------------------


def make_docx(path: Path, hide: bool = False, count: int = 6) -> Path:
    document = docx.Document()
    document.add_paragraph("关于2026年秋季学期国家助学金评审结果的公示")
    contact = "联系人李老师，电话1380000" + ("****" if hide else "1234")
    document.add_paragraph(f"经学生本人申请、班级评议，现将名单公示如下。{contact}。")
    data = rows(count, hide)
    table = document.add_table(rows=2 + len(data), cols=len(HEADER))
    title = table.cell(0, 0).merge(table.cell(0, len(HEADER) - 1))
    title.text = TITLE
    for column, label in enumerate(HEADER):
        table.cell(1, column).text = label
    for row_index, row in enumerate(data, start=2):
        for column, value in enumerate(row):
            table.cell(row_index, column).text = value
    document.add_paragraph(NOTE)
    document.sections[0].footer.paragraphs[0].text = "学生资助管理中心"
    document.save(str(path))
    return path


def _cjk() -> str:
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def make_pdf(path: Path, hide: bool = False, count: int = 70) -> Path:
    """A 公示 with a title paragraph and a table long enough to run onto page 2."""
    font = _cjk()
    style = ParagraphStyle("cn", fontName=font, fontSize=11)
    table = Table([HEADER, *rows(count, hide)], repeatRows=1)
    table.setStyle(
        TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("GRID", (0, 0), (-1, -1), 0.5, "black")])
    )
    document = SimpleDocTemplate(str(path), pagesize=A4)
    document.build([Paragraph(TITLE, style), table, Paragraph(NOTE, style)])
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A page that is only a picture (a scan): no text layer."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = path.with_suffix(".png")
    _png(image)
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawImage(ImageReader(str(image)), 50, 400, width=400, height=300)
    pdf.showPage()
    pdf.save()
    image.unlink()
    return path


def _png(path: Path) -> None:
    import struct
    import zlib

    width, height = 40, 30
    raw = b"".join(
        b"\x00" + bytes([(x * 7 + y * 3) % 256 for x in range(width)]) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def make_encrypted_pdf(path: Path, source: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(source)).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def make_html(path: Path, hide: bool = False, encoding: str = "utf-8", count: int = 5) -> Path:
    data = people(count, hide)
    body = "".join(
        f"<tr><td>{i}</td><td>{p['name']}</td><td>{p['id']}</td>"
        f"<td>{p['name'][0]}{'*' if hide else '大'}山</td><td>父亲</td></tr>"
        for i, p in enumerate(data, start=1)
    )
    phone = "138****5678" if hide else "13812345678"
    page = (
        f'<html><head><meta charset="{encoding}"><title>{TITLE}</title>'
        "<style>td{color:red}</style><script>var x='13900000000';</script></head><body>"
        f"<h1>{TITLE}</h1><p>各位家长：现将名单公示如下，咨询电话 {phone}。</p>"
        '<table><tr><th rowspan="2">序号</th><th rowspan="2">姓名</th><th rowspan="2">身份证号</th>'
        '<th colspan="2">家庭成员</th></tr><tr><th>姓名</th><th>关系</th></tr>'
        f"{body}</table><p>{NOTE}</p></body></html>"
    )
    path.write_bytes(page.encode(encoding))
    return path
