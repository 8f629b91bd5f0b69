"""In real headless Chromium (issue #18): a guardian opens the school's one-time link, refuses
one purpose and agrees to another, later withdraws the agreement through the change link; the
school's data owner sees both in the console — with no script or CSP error on the way."""

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
    mother = world.guardian(child, "P-9300")
    world.accounts.login(world.client, "owner1")
    made = world.client.post(
        f"/api/v1/consent/subjects/{child}/links",
        json={"system_id": world.system, "guardian_id": mother},
    )
    assert made.status_code == 201, made.text
    path = made.json()["url"].split("://", 1)[-1].split("/", 1)[-1]
    problems: list[str] = []

    guardian = chromium.new_context(locale="zh-CN")
    page = _watch(guardian.new_page(), problems)
    page.goto(f"{base}/{path}")
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

    school = chromium.new_context(locale="zh-CN")
    page = _watch(school.new_page(), problems)
    page.goto(f"{base}/login")
    page.fill("#username", "owner1")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/consent/subjects/{child}")
    states = page.locator("main")
    expect(states).to_contain_text("已拒绝")
    expect(states).to_contain_text("已撤回")
    expect(states).to_contain_text("一次性链接")
    school.close()
    assert problems == []
