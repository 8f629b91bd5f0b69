"""In real headless Chromium, under the console's strict CSP, the dashboard draws its ECharts
charts from the data- attributes and the ranking drills down to a school."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from eduguard.identity import service as identity_service
from eduguard.identity.models import Role

from .test_dashboard import seed

pytestmark = pytest.mark.browser
PASSWORD = "Browser-Passw0rd-synthetic"


def test_the_county_dashboard_draws_its_charts(live_server: tuple[str, Any], page: Page) -> None:
    base, app = live_server
    with app.state.session_factory() as session, session.begin():
        made = seed(session)
        identity_service.create_user(
            session,
            username="county-reader",
            password=PASSWORD,
            roles={Role.data_user},
            unit_id=made.county,
        )
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(  # CSP refusals and script errors; a missing favicon is no problem
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(f"{base}/login")
    page.fill("#username", "county-reader")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/dashboard")
    for chart in ("levels", "systems", "review", "retention"):
        expect(page.locator(f"#chart-{chart} canvas")).to_have_count(1)
    expect(page.locator("[data-kpi=fields]")).to_have_text("6")
    ranking = page.locator("#ranking tbody tr")
    expect(ranking).to_have_count(2)
    expect(ranking.first).to_contain_text("丁县二小")
    ranking.first.locator("a").click()
    page.wait_for_url(f"{base}/dashboard?unit={made.two}")
    expect(page.locator("[data-kpi=fields]")).to_have_text("2")
    expect(page.locator("#ranking")).to_have_count(0)
    assert problems == []
