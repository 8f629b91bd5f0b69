"""The main job in Chromium from a fresh demo with nothing configured (issue #15): upload a
GBK CSV → the scan runs in the web server's own worker → bulk-confirm the filtered rows →
the catalog shows them confirmed; every step ends on a GET page with a success message.

Screenshots of each step go to EDUGUARD_SHOTS (when set) for a person to look at.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect

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
    assert not path.endswith(("/upload", "/scan", "/sources", "/bulk-accept")), page.url


def test_upload_scan_confirm_in_a_fresh_demo(
    demo_server: tuple[str, str, Any], chromium: Browser, tmp_path: Path
) -> None:
    base, password, _app = demo_server
    csv = tmp_path / "学生名单.csv"
    rows = ["学号,姓名,身份证号,联系电话"] + [",".join(r) for r in students(60)]
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
        _success(page, "个扫描任务，后台任务执行时本页自动刷新进度")
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
    finally:
        context.close()
