"""The main job in Chromium from a fresh demo with nothing configured (issue #15): upload a
GBK CSV → the scan runs in the web server's own worker → bulk-confirm the filtered rows →
the catalog shows them confirmed → the catalog Excel and the compliance PDF → a research
release of a field the default policy suppresses, its treatment shown to the requester and to
both approvers → approved → produced by the same worker → downloaded; every step ends on a GET
page with a success message.

Screenshots of each step go to EDUGUARD_SHOTS (when set) for a person to look at.
"""

from __future__ import annotations

import csv as csv_module
import io
import os
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from openpyxl import load_workbook
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfReader

from eduguard import labels
from eduguard.audit import capture as audit_capture
from eduguard.audit.service import Actor, bind_actor
from eduguard.config import Settings
from eduguard.db import migrate
from eduguard.db.engine import make_engine, make_session_factory
from eduguard.demo import flows as demo_flows
from eduguard.keys.keyring import Keyring
from eduguard.web.app import create_app

from .conftest import students

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SHOTS = os.environ.get("EDUGUARD_SHOTS")


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str, Any]]:
    """``eduguard demo`` as it starts: embedded SQLite in a fresh home, demo data, no scan
    roots, no worker configured — and the app's lifespan on (the in-process worker)."""
    settings = Settings(home=tmp_path / "demo", database_url=None, demo=True, scan_roots="")
    settings.home.mkdir()
    engine = make_engine(settings.effective_database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine, Keyring(settings.master_key_source()))
    audit_capture.install(factory)
    with factory() as session, session.begin():
        bind_actor(session, Actor.cli("生成演示数据"))
        login = demo_flows.seed(session)
    engine.dispose()
    assert settings.inline_worker
    app = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", login.password, app
    server.should_exit = True
    thread.join(timeout=15)
    app.state.engine.dispose()


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _success(page: Page, text: str) -> None:
    """The step ended on a page (reached by GET after the 303) that says what was done."""
    expect(page.locator("#flash")).to_contain_text(text)
    path = page.url.split("?")[0]
    ends = ("/upload", "/scan", "/sources", "/bulk-accept", "/new", "/decision", "/login")
    assert not path.endswith(ends), page.url


def _fits(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844 if width < 800 else 900})
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, (page.url, width, scroll)


def _log_in(chromium: Browser, base: str, username: str, password: str) -> BrowserContext:
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/(?!login)[^/]*$"))
    return context


# Type codes and level codes a person should never read in an office file (names instead).
CODES = re.compile(r"^(?:[A-Z][A-Z0-9]*_[A-Z0-9_]+|general-\d|[a-z]+\.[a-z_]+|/\d+/.*)$")


def test_upload_scan_confirm_in_a_fresh_demo(
    demo_server: tuple[str, str, Any], chromium: Browser, tmp_path: Path
) -> None:
    base, password, _app = demo_server
    csv = tmp_path / "学生名单.csv"
    health = random.Random(3)
    rows = ["学号,姓名,身份证号,联系电话,健康状况"] + [
        ",".join((*r, health.choice(("哮喘", "健康", "过敏性鼻炎", "近视", "先天性心脏病"))))
        for r in students(60)
    ]
    csv.write_bytes("\r\n".join(rows).encode("gbk"))
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        page.goto(f"{base}/login")
        page.fill("#username", "school-owner")
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/**")
        # The school's system: its sources page, from the catalog's list of systems.
        page.goto(f"{base}/catalog")
        page.click("#sources + ul a:has-text('第一中学家校沟通 App')")
        expect(page.locator("#upload-form")).to_be_visible()
        system_url = page.url
        system_id = system_url.rstrip("/").rsplit("/", 1)[-1]
        _shot(page, "1-system-page")
        page.set_input_files("#upload-file", str(csv))
        page.click("#upload-source")
        _success(page, "已上传并登记数据源“学生名单.csv”")
        expect(page.locator("#sources-table")).to_contain_text("学生名单.csv")
        _shot(page, "2-uploaded")
        page.click("#scan-now")
        _success(page, "已排队 1 个扫描任务，后台任务执行时本页自动刷新进度")
        # The demo's made-up database of this system is not queued (it can only fail).
        expect(page.locator("#flash")).to_contain_text("是虚构的数据库，未扫描")
        _shot(page, "3-queued")
        # The in-process worker scans it; the runs table refreshes itself until done.
        runs = page.locator("#runs")
        expect(runs).not_to_contain_text("排队中", timeout=90_000)
        expect(runs).not_to_contain_text("扫描中", timeout=90_000)
        newest = page.locator("#runs-table tbody tr").first
        expect(newest).to_contain_text("已完成")
        expect(newest).to_contain_text("1 个数据集")
        expect(page.locator("#worker-banner")).to_have_count(0)
        _shot(page, "4-scanned")
        page.click("text=查看该系统的数据资源目录")
        expect(page.locator("#catalog-table")).to_contain_text("身份证号")
        page.click("#bulk-accept-go")
        expect(page.locator("#bulk-scope")).to_contain_text("第一中学家校沟通 App")
        _shot(page, "5-bulk-preview")
        # The uploaded students are minors: their fields are sensitive, listed apart and
        # confirmed only when explicitly included (after the Chinese confirmation dialog).
        sensitive = page.locator("#bulk-sensitive + p + .table-wrap")
        expect(sensitive).to_contain_text("身份证号")
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        page.click("#bulk-confirm-sensitive button")
        _success(page, "已批量确认")
        assert dialogs and dialogs[0].startswith("将确认") and "敏感个人信息字段" in dialogs[0]
        _shot(page, "6-confirmed")
        page.goto(f"{base}/catalog?review_status=confirmed")
        table = page.locator("#catalog-table")
        expect(table).to_contain_text("学生名单")
        expect(table).to_contain_text("已确认")
        _shot(page, "7-catalog")
        # The new pages fit a phone's width (tables scroll inside their frame).
        page.set_viewport_size({"width": 390, "height": 844})
        for url in (system_url, f"{base}/catalog/bulk-accept?system_id={system_id}"):
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (url, width)
        _shot(page, "8-bulk-390px")
        page.set_viewport_size({"width": 1366, "height": 900})
        _office_exports(page, base, tmp_path)
    finally:
        context.close()
    _research_release(chromium, base, password, tmp_path)


def _office_exports(page: Page, base: str, tmp_path: Path) -> None:
    """The catalog Excel (names, not codes) and the compliance PDF (a real PDF with the unit's
    name), downloaded from the buttons a data owner sees."""
    page.goto(f"{base}/catalog")
    with page.expect_download() as catalog_download:
        page.click("#export-xlsx")
    download = catalog_download.value
    assert download.suggested_filename.endswith(".xlsx")
    assert "数据资源目录" in download.suggested_filename, download.suggested_filename
    path = tmp_path / "catalog.xlsx"
    download.save_as(path)
    book = load_workbook(path, read_only=True)
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()  # a read-only workbook left open warns in whichever test runs next
    cells = [str(c) for row in rows for c in row if c is not None]
    text = "\n".join(cells)
    assert "学生名单" in text and "示例县第一中学" in text
    assert labels.PI_TYPES["CN_RESIDENT_ID"][0] in text and labels.LEVELS["general-4"][0] in text
    coded = [c for c in cells if CODES.match(c)]
    assert not coded, coded[:10]
    page.goto(f"{base}/compliance")
    with page.expect_download() as report_download:
        page.click("#report-pdf")
    download = report_download.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    path = tmp_path / "report.pdf"
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(path)
    first = reader.pages[0].extract_text()
    assert "示例县第一中学" in first, first[:300]
    _shot(page, "9-compliance")
    # The API docs inside the console's shell, at both widths.
    page.goto(f"{base}/api/docs")
    expect(page.locator("main h1")).to_have_text("API 文档")
    expect(page.locator("#swagger-ui .opblock-tag").first).to_be_visible(timeout=60_000)
    _shot(page, "9-api-docs")
    _fits(page, 390)
    _shot(page, "9-api-docs-390px")
    page.set_viewport_size({"width": 1366, "height": 900})


def _research_release(chromium: Browser, base: str, password: str, tmp_path: Path) -> None:
    """A researcher asks for the uploaded students with their health column (suppressed by the
    default policy); the requester, the data owner and the PI officer each see every field's
    treatment; both approve knowingly; the in-process worker produces it; the researcher
    downloads a CSV (BOM for Excel) whose health column is empty and whose names are masked."""
    researcher = _log_in(chromium, base, "school-researcher", password)
    page = researcher.pages[0]
    page.goto(f"{base}/releases/new")
    option = page.locator("#dataset-choice option", has_text="学生名单")
    page.select_option("#dataset-choice", value=option.get_attribute("value"))
    page.click("#choose-dataset")
    choice = page.locator("#field-choice")
    for name in ("学号", "姓名", "健康状况"):
        choice.locator(f"label:text-is('{name}')").click()
    health_row = choice.locator("tr", has=page.locator("label:text-is('健康状况')"))
    expect(health_row.locator("td[data-treatment]")).to_have_attribute("data-treatment", "suppress")
    expect(health_row).to_contain_text("抑制")
    page.fill("#purpose", "学生健康与学业关系统计研究（合成数据）")
    page.fill("#recipient", "示例大学教育学院")
    page.fill("#legal_basis", "科研统计，去标识化后提供（个人信息保护法第十三条）")
    _shot(page, "10-release-form")
    page.click("#submit-release")
    _success(page, "已创建数据发布申请")
    release_url = page.url
    _treatments_shown(page)
    _shot(page, "11-release-requested")
    for approver, step in (
        ("school-owner", "数据主管单位审批"),
        ("school-pio", "个人信息保护负责人"),
    ):
        context = _log_in(chromium, base, approver, password)
        approver_page = context.pages[0]
        approver_page.goto(release_url)
        _treatments_shown(approver_page)
        expect(approver_page.locator("#steps-table")).to_contain_text(step)
        # Approving into an empty column is refused unless the approver says they know.
        approver_page.fill("#reason", "用途明确，健康字段不提供原值")
        approver_page.click("#decide")
        expect(approver_page.locator(".errors, .error, [role=alert]").first).to_be_visible()
        approver_page.check("#accept-empty")
        approver_page.fill("#reason", "用途明确，健康字段不提供原值")
        _shot(approver_page, f"12-approve-{approver}")
        approver_page.click("#decide")
        _success(approver_page, "已批准数据发布申请")
        _fits(approver_page, 390)
        _shot(approver_page, f"13-approved-{approver}-390px")
        context.close()
    page.goto(release_url)
    # The in-process worker produces the copy; the section refreshes itself until it is done.
    expect(page.locator("#job-status")).to_contain_text("已生成", timeout=90_000)
    expect(page.locator("#release-state")).not_to_contain_text("审批中")
    _shot(page, "14-release-produced")
    with page.expect_download() as release_download:
        page.click("#download-data")
    download = release_download.value
    path = tmp_path / "release.csv"
    download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]  # BOM: Excel on Chinese Windows reads UTF-8
    table = list(csv_module.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) == 60
    assert set(table[0]) >= {"学号", "姓名", "健康状况"}
    assert all(row["健康状况"] == "" for row in table)
    originals = {r[1] for r in students(60)}
    assert not originals & {row["姓名"] for row in table}
    _fits(page, 390)
    _shot(page, "15-release-390px")
    researcher.close()


def _treatments_shown(page: Page) -> None:
    """The release page lists each requested field's treatment and warns of the empty one."""
    rows = page.locator("#treatments tbody tr")
    expect(rows).to_have_count(3)
    health = page.locator("#treatments tr[data-field='健康状况']")
    expect(health).to_have_attribute("data-treatment", "suppress")
    expect(health).to_contain_text("抑制")
    expect(page.locator("#empty-fields")).to_contain_text("健康状况")
