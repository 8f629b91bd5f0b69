"""De-identified copies of web pages and the English of the reasons (issue #17)."""

from __future__ import annotations

from pathlib import Path

import lxml.html

from eduguard.protection.publish import check_file
from eduguard.protection.publish_fix import can_fix, write_fixed

from .conftest import make_html, people


def test_a_page_copy_masks_cells_and_text_and_drops_what_is_unseen(tmp_path: Path) -> None:
    source = make_html(tmp_path / "公示.html", encoding="gbk")
    page = source.read_bytes().decode("gbk")
    page = page.replace("</head>", '<meta name="author" content="王老师"></head>').replace(
        "</body>",
        "<!-- 原始名单：13912345678 --><p data-id='x'>附：联系电话13912345678。</p></body>",
    )
    source.write_bytes(page.encode("gbk"))
    check = check_file(source)
    assert check.verdict == "fix" and can_fix(check)
    fixed = tmp_path / "公示_脱敏.html"
    write_fixed(check, source, fixed)
    text = fixed.read_text(encoding="utf-8")
    root = lxml.html.document_fromstring(text)
    pupil = people(1)[0]
    assert pupil["id"] not in text and pupil["name"] not in text
    assert "13812345678" not in text and "13912345678" not in text
    assert "王老师" not in text and "<!--" not in text and "<script" not in text
    row = [td.text_content().strip() for td in list(root.iter("tr"))[2]]
    assert row[0] == "1" and row[1][1] == "*" and "*" * 10 in row[2]
    assert row[4] == "父亲"  # 序号 and 关系 kept
    assert "国家助学金" in text  # what the 公示 is about stays
    again = check_file(fixed)
    assert not again.leak, [r.message for r in again.reasons]


def test_every_reason_has_its_english(tmp_path: Path) -> None:
    check = check_file(make_html(tmp_path / "公示.html"))
    assert {r.kind for r in check.reasons} >= {"leak", "children", "period"}
    for reason in check.to_dict()["reasons"]:
        assert reason["message_en"] != reason["message"] and reason["action_en"] != reason["action"]
        assert reason["action_en"][:1].isascii()  # English (column names stay as written)
    leak = next(r for r in check.reasons if r.kind == "leak" and r.pi_type == "CN_RESIDENT_ID")
    assert "unmasked" in leak.message_en and "4201**********1234" in leak.action_en
