"""A .zip of attachments: each member scanned, the others listed, a zip bomb refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from .conftest import findings, make_docx, make_html, scan, table_named


def _attachments(tmp_path: Path) -> Path:
    docx = make_docx(tmp_path / "src.docx")
    clean = make_html(tmp_path / "src.html", hide=True)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as nested:
        nested.writestr("x.csv", "a\n1\n")
    path = tmp_path / "附件.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(docx, "通知/助学金公示.docx")
        archive.write(clean, "通知/公示.html")
        archive.writestr("照片.png", b"\x89PNG\r\n\x1a\n")
        archive.writestr("更多.zip", inner.getvalue())
        archive.writestr("__MACOSX/._助学金公示.docx", b"\x00\x05\x16\x07")
        archive.writestr("../../逃逸.txt", "身份证号 11010519491231002X 已登记，请核对。\n")
    docx.unlink()
    clean.unlink()
    return path


def test_members_are_scanned_and_located_and_the_rest_listed(tmp_path: Path) -> None:
    report = scan(_attachments(tmp_path))
    table = table_named(report, "附件.zip/通知/助学金公示.docx:表格1")
    assert table.leak and findings(table, "CN_RESIDENT_ID")[0]["unmasked"] == 6
    assert not table_named(report, "附件.zip/通知/公示.html:表格1").leak
    skipped = {entry["name"]: entry["code"] for entry in report.skipped}
    assert skipped == {
        "附件.zip/照片.png": "unsupported_format",
        "附件.zip/更多.zip": "unsupported_format",
        "附件.zip/__MACOSX/._助学金公示.docx": "hidden_file",
    }
    # a member named ../../ is read from the scratch folder, never written where it points
    escaped = table_named(report, "附件.zip/逃逸.txt:正文")
    assert escaped.leak
    assert not (tmp_path.parent / "逃逸.txt").exists()
    assert not (tmp_path.parent.parent / "逃逸.txt").exists()


def test_a_zip_bomb_is_refused_and_the_folder_goes_on(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.csv", b"0" * (30 << 20))  # 30 MB that deflate to ~30 KB
    make_html(tmp_path / "公示.html")
    report = scan(tmp_path)
    [bomb] = [table for table in report.tables if table.name == "bomb.zip"]
    assert bomb.error is not None and bomb.error["code"] == "zip_bomb"
    assert "压缩炸弹" in bomb.error["message"]
    assert table_named(report, "公示.html:表格1").leak


def test_a_corrupt_zip_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "坏.zip").write_bytes(b"PK\x03\x04 broken")
    [table] = scan(tmp_path / "坏.zip").tables
    assert table.error is not None and table.error["code"] == "unreadable_file"
    assert "压缩包" in table.error["message"]
