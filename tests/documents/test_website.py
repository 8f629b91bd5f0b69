"""``eduguard scan https://…``: a school's site crawled from a real HTTP server in the test —
same host only, robots.txt respected, attachments read by type, limits that hold."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from eduguard.discovery import api
from eduguard.discovery.connectors.website import open_website
from eduguard.discovery.sources import FailedTable, SkippedFile
from eduguard.source_urls import CrawlLimits

from .conftest import make_docx, make_html, make_pdf
from .test_excel_layout import make_workbook

FAST = CrawlLimits(delay=0, timeout=5, max_seconds=120)


class _Handler(http.server.SimpleHTTPRequestHandler):
    requested: list[str]
    types: dict[str, str]

    def log_message(self, *_args: Any) -> None:  # quiet; the test reads `requested`
        pass

    def end_headers(self) -> None:
        if self.path.startswith("/notice/download.php"):  # a download script names its file
            self.send_header(
                "Content-Disposition",
                "attachment; filename*=UTF-8''%E5%8A%A9%E5%AD%A6%E9%87%91.docx",
            )
        super().end_headers()

    def do_GET(self) -> None:
        self.requested.append(self.path)
        if self.path.startswith("/redirect-away"):
            self.send_response(302)
            self.send_header("Location", "http://localhost.invalid/elsewhere.html")
            self.end_headers()
            return
        super().do_GET()

    def guess_type(self, path: str | Any) -> str:
        name = Path(str(path)).name
        return self.types.get(name) or super().guess_type(path)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, list[str], Path]]:
    root = tmp_path / "site"
    (root / "notice").mkdir(parents=True)
    (root / "private").mkdir()
    make_workbook(root / "notice" / "zxj.xlsx")
    make_docx(root / "notice" / "fb.docx")
    make_pdf(root / "notice" / "cj.pdf", count=12)
    make_docx(root / "notice" / "download.php")  # a .docx sent by a download script
    make_docx(root / "notice" / "fujian.docx", hide=True)  # the clean twin
    make_html(root / "private" / "raw.html")
    make_html(root / "secret.html")
    (root / "notice" / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    (root / "big.csv").write_bytes(b"a,b\n" + b"1,2\n" * 300_000)  # 1.2 MB
    port_holder: list[int] = []
    links = [
        "notice/list.html",
        "private/raw.html",
        "big.csv",
        "redirect-away",
        "image.png",
    ]
    handler = partial(_Handler, directory=str(root))
    _Handler.requested = []
    _Handler.types = {"download.php": "application/octet-stream"}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port_holder.append(server.server_address[1])
    port = port_holder[0]
    body = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
    off_site = f'<a href="http://localhost:{port}/secret.html">同端口不同主机名</a>'
    (root / "index.html").write_text(
        f'<html><head><meta charset="utf-8"><title>某某小学</title></head><body><ul>{body}</ul>'
        f'{off_site}<a href="https://www.other.example/x.xlsx">外站</a></body></html>',
        encoding="utf-8",
    )
    attachments = "".join(
        f'<a href="{name}">{name}</a>'
        for name in ("zxj.xlsx", "fb.docx", "cj.pdf", "download.php?id=7", "fujian.docx", "old.doc")
    )
    (root / "notice" / "list.html").write_text(
        f'<html><head><meta charset="gbk"><title>通知公告</title></head><body>{attachments}'
        '<a href="../index.html#top">首页</a></body></html>',
        encoding="gbk",
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/index.html", _Handler.requested, root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_pages_and_attachments_are_reported_by_url(site: tuple[str, list[str], Path]) -> None:
    start, requested, _root = site
    base = start.rsplit("/", 1)[0]
    report = api.scan(start, sample=None, crawl=CrawlLimits(delay=0, timeout=5, max_bytes=1 << 20))
    names = {table.name: table for table in report.tables}
    sheet = names[f"{base}/notice/zxj.xlsx:公示"]
    assert sheet.leak and sheet.document and sheet.document["path"] == f"{base}/notice/zxj.xlsx"
    [ids] = [f for f in sheet.findings if f["pi_type"] == "CN_RESIDENT_ID"]
    assert ids["where"][0] == "公示!C5"
    assert names[f"{base}/notice/fb.docx:表格1"].leak
    assert any(name.startswith(f"{base}/notice/cj.pdf:") and t.leak for name, t in names.items())
    # octet-stream from a script: read by the name its Content-Disposition gives
    assert names[f"{base}/notice/download.php?id=7:表格1"].leak
    assert not names[f"{base}/notice/fujian.docx:表格1"].leak  # the masked twin stays clean
    assert names[f"{base}/big.csv"].error["code"] == "file_too_large"  # type: ignore[index]
    skipped = {entry["name"]: entry["code"] for entry in report.skipped}
    assert skipped[f"{base}/private/raw.html"] == "robots_disallowed"
    assert skipped[f"{base}/notice/old.doc"] == "unsupported_format"
    assert skipped[f"{base}/redirect-away"] == "redirect_off_site"
    # never fetched: another host name, robots-disallowed, a type with no reader, an image
    assert "/secret.html" not in requested and "/private/raw.html" not in requested
    assert "/notice/old.doc" not in requested and "/image.png" not in requested
    assert requested.count("/index.html") == 1  # the fragment link is the same page


def test_depth_and_page_limits_hold(site: tuple[str, list[str], Path]) -> None:
    start, requested, _root = site
    tables = list(open_website(start, CrawlLimits(delay=0, max_depth=0), skipped=True))
    assert [t for t in tables if not isinstance(t, FailedTable)]  # the start page itself
    assert not any("/notice/" in path for path in requested)
    requested.clear()
    limited = list(open_website(start, CrawlLimits(delay=0, max_pages=2), skipped=True))
    fetched = [path for path in requested if path != "/robots.txt"]
    assert len(fetched) == 2
    [limit] = [t for t in limited if isinstance(t, SkippedFile) and t.error.code == "crawl_limit"]
    assert "另有" in limit.error.message_zh


def test_robots_disallowing_everything_fetches_nothing(site: tuple[str, list[str], Path]) -> None:
    start, requested, root = site
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    tables = list(open_website(start, FAST, skipped=True))
    assert requested == ["/robots.txt"]
    assert [t.error.code for t in tables if isinstance(t, FailedTable)] == ["robots_disallowed"]


def test_an_unreachable_site_is_an_error_not_a_clean_report() -> None:
    report = api.scan("http://127.0.0.1:9/", crawl=CrawlLimits(delay=0, timeout=2))
    assert report.failed or report.skipped
    assert not any(table.leak for table in report.tables)
