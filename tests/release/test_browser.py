"""In real headless Chromium: a researcher requests a release through the console forms, the
owner approves it in the console, and the researcher downloads the de-identified file — with no
Content-Security-Policy violation on the way."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect, sync_playwright

from eduguard.config import Settings
from eduguard.web.app import create_app

from .conftest import World, build_world

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "Admin-Passw0rd-for-tests"  # the accounts fixture's synthetic default
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture
def live(settings: Settings, admin_client: TestClient) -> Iterator[str]:
    app = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def _login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_request_approve_download_in_chromium(
    admin_client: TestClient, accounts: Any, tmp_path: Path, live: str, page: Page
) -> None:
    world: World = build_world(admin_client, accounts, tmp_path, count=20)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    _login(page, live, "researcher")
    page.click("nav a[href='/releases']")
    page.click("#new-release")
    page.click("#choose-dataset")
    for name in ("xb", "cj"):
        page.check(f"#field-choice input[name='fields'][value='{name}']")
    page.fill("#purpose", "成绩与性别分布统计")
    page.fill("#recipient", "县教研室")
    page.fill("#legal_basis", "教研工作职责")
    page.click("#submit-release")
    expect(page.locator("#release-state")).to_have_text("审批中")
    detail = page.url
    release_id = int(detail.rsplit("/", 1)[1])

    _login(page, live, "owner1")
    page.goto(detail)
    page.select_option("#decision", "approve")
    page.fill("#reason", "用途明确")
    page.click("#decide")
    expect(page.locator("#steps-table")).to_contain_text("用途明确")
    # Pupils under 14: the PI officer's step follows (TOTP account: decided over the API).
    world.login("pio1")
    decided = world.client.post(
        f"/api/v1/releases/{release_id}/decision", json={"decision": "approve", "reason": "同意"}
    )
    assert decided.status_code == 200, decided.text
    assert world.work() == [release_id]

    _login(page, live, "researcher")
    page.goto(detail)
    expect(page.locator("#release-state")).to_have_text("已完成")
    with page.expect_download() as info:
        page.click("#download-data")
    saved = tmp_path / "downloaded.csv"
    info.value.save_as(saved)
    text = saved.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")  # a BOM: Excel on Chinese Windows reads UTF-8
    assert text.decode("utf-8-sig").splitlines()[0] == "xb,cj"
    assert violations == []
