"""A person in real headless Chromium logs in and registers a system through the console."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from eduguard.config import Settings
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import UnitCreate
from eduguard.web.app import create_app

pytestmark = pytest.mark.browser
PASSWORD = "Browser-Passw0rd-synthetic"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_server(settings: Settings, accounts: Any) -> Iterator[tuple[str, Any]]:
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


@pytest.fixture
def page() -> Iterator[Page]:
    if not shutil.which("chromium") and not shutil.which("/usr/bin/chromium"):
        pytest.fail("Debian's chromium is required for browser tests: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()
        browser.close()


def test_enrol_totp_log_in_with_it_and_register_a_system(
    live_server: tuple[str, Any], page: Page
) -> None:
    base, app = live_server
    factory = app.state.session_factory
    with factory() as session, session.begin():
        school = orgs_service.create_unit(
            session, UnitCreate(name="示例实验小学", kind=UnitKind.school)
        )
        school_id = school.id
        identity_service.create_user(
            session,
            username="browser-admin",
            password=PASSWORD,
            roles={Role.system_admin},
            unit_id=None,
        )

    csp_violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto(f"{base}/systems")
    assert "/login" in page.url  # not reachable without logging in
    page.fill("#username", "browser-admin")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")

    # A system administrator must enrol TOTP before anything else.
    page.wait_for_url(f"{base}/account/mfa")
    first_key = page.inner_text("#totp-key")
    page.goto(f"{base}/systems")
    page.wait_for_url(f"{base}/account/mfa")  # …nothing else is reachable meanwhile
    expect(page.locator(".qr svg")).to_be_visible()
    # The pending secret is kept: a second visit (or tab) shows the key the first one showed.
    key = page.inner_text("#totp-key")
    assert key == first_key and "otpauth" not in key
    totp = pyotp.TOTP(key.replace(" ", ""))
    page.fill("#code", totp.now())
    page.click("#mfa-confirm")
    page.wait_for_url(f"{base}/account")
    expect(page.locator("#mfa-status")).to_have_text("已启用")

    # Log out and in again: password, then the next one-time code.
    page.click("header form button")
    page.wait_for_url(f"{base}/login")
    page.fill("#username", "browser-admin")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/login/mfa")
    page.fill("#code", "000000")
    page.click("#mfa-submit")
    expect(page.locator(".errors")).to_contain_text("动态验证码错误")
    next_step = int(time.time() // totp.interval) + 1  # the enrolment used the current step
    page.fill("#code", totp.generate_otp(next_step))
    page.click("#mfa-submit")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/systems")
    page.click("#new-system")
    page.fill("#name", "智慧食堂系统")
    page.select_option("#unit_id", str(school_id))
    page.fill("#purpose", "就餐与缴费")
    page.select_option("#mlps_level", "2")
    page.fill("#pi_subject_count", "1450")
    page.click("#save")
    page.wait_for_url(f"{base}/systems")
    row = page.locator("#systems-table tbody tr", has_text="智慧食堂系统")
    assert row.count() == 1
    assert "示例实验小学" in row.inner_text()

    # htmx search runs under the CSP (no inline script) and narrows the table
    page.fill("input[name=q]", "不存在的系统")
    expect(page.locator("#systems-table")).not_to_contain_text("智慧食堂系统")
    expect(page.locator("#systems-table")).to_contain_text("暂无记录")
    assert csp_violations == []
