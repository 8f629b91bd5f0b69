"""In real headless Chromium (issue #18): the school's data owner makes a one-time link in the
console and prints its QR slip; the guardian opens it, refuses one purpose and agrees to
another, later withdraws the agreement through the change link; the data owner sees both in
the console — with no script or CSP error on the way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.conftest import ADMIN_PASSWORD, serving

from .conftest import World

pytestmark = pytest.mark.browser


@pytest.fixture
def base(world: World) -> Iterator[str]:
    with serving(world.settings) as (url, _app):
        yield url


def _watch(page: Page, problems: list[str]) -> Page:
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    return page


def test_guardian_refuses_one_agrees_other_withdraws_and_the_school_sees_it(
    world: World, base: str, chromium: Browser
) -> None:
    child = world.subject("S9300", date(2017, 3, 1), label="一年级二班 学生己")
    world.guardian(child, "P-9300", relation="母亲")
    problems: list[str] = []
    school = chromium.new_context(locale="zh-CN")
    desk = _watch(school.new_page(), problems)
    desk.goto(f"{base}/login")
    desk.fill("#username", "owner1")
    desk.fill("#password", ADMIN_PASSWORD)
    desk.click("#login-submit")
    desk.wait_for_url(f"{base}/")
    # the school makes the link in the console: the system by name, the guardian by relation,
    # and prints the slip with its QR code
    desk.goto(f"{base}/consent/subjects/{child}")
    form = desk.locator("#consent-link-form")
    expect(form.locator('select[name="system_id"] option')).to_have_text(["一小家校通"])
    form.locator('select[name="guardian_id"]').select_option(label="监护人 · 母亲")
    form.locator("button[type=submit]").click()
    slip = desk.locator("#consent-slip")
    expect(slip).to_contain_text("辛县一小")
    expect(slip).to_contain_text("一年级二班 学生己 · 监护人 母亲")
    expect(slip.locator("li")).to_have_text(["校园宣传照片", "课后托管服务"])
    expect(slip.locator(".qr svg")).to_have_count(1)
    address = slip.locator(".slip-address").inner_text().strip()
    assert address.startswith(f"{base}/consent/l/")
    desk.emulate_media(media="print")  # only the slip is printed
    assert desk.locator("nav.side").evaluate("e => getComputedStyle(e).visibility") == "hidden"
    assert slip.evaluate("e => getComputedStyle(e).visibility") == "visible"
    desk.emulate_media(media="screen")

    guardian = chromium.new_context(locale="zh-CN")
    page = _watch(guardian.new_page(), problems)
    page.goto(address)
    expect(page.locator("#consent-choices fieldset")).to_have_count(2)
    expect(page.locator("#consent-choices input:checked")).to_have_count(0)
    page.check(f'input[name="p{world.photos}"][value="refuse"]')
    page.check(f'input[name="p{world.afterschool}"][value="grant"]')
    page.click("#consent-choices button[type=submit]")
    expect(page.locator("#consent-done")).to_contain_text("2")
    change = page.locator("#withdrawal-link").get_attribute("href")
    assert change
    page.goto(change if change.startswith("http") else f"{base}{change}")
    page.check(f'input[name="p{world.afterschool}"][value="withdraw"]')
    page.click("#consent-choices button[type=submit]")
    expect(page.locator("#consent-done")).to_be_visible()
    guardian.close()

    page = desk
    page.goto(f"{base}/consent/subjects/{child}")
    states = page.locator("main")
    expect(states).to_contain_text("已拒绝")
    expect(states).to_contain_text("已撤回")
    expect(states).to_contain_text("一次性链接")
    expect(page.locator("#consent-ledger")).to_contain_text("监护人 母亲")  # who, not a number
    school.close()
    assert problems == []
