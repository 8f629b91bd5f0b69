"""In real headless Chromium (issue #20): the school's PI officer plans a disposition on the
dataset page (dry run: counts and the selection query shown) and submits it; the data owner
and the security function — two different accounts — approve it on the run page; the worker
executes it; the certificate downloads as JSON (it verifies offline) and as PDF. The run page
fits 390 px; no script or CSP error on the way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from tests.conftest import ADMIN_PASSWORD, serving

from eduguard.config import Settings
from eduguard.orgs import service as orgs_service
from eduguard.orgs.schemas import SystemUpdate
from eduguard.retention import certificate
from eduguard.retention import jobs as retention_jobs
from eduguard.tasks import runner

from .conftest import GRADUATES, OLD, World, rows_left, set_rule

pytestmark = pytest.mark.browser


@pytest.fixture
def base(world: World, settings: Settings) -> Iterator[str]:
    with serving(settings) as (url, _app):
        yield url


def _as(
    chromium: Browser, base: str, world: World, username: str, problems: list[str], width: int
) -> tuple[BrowserContext, Page]:
    context = chromium.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    body = {"username": username, "password": ADMIN_PASSWORD}
    totp = world.accounts.totp(username)
    if totp:
        body["totp"] = totp
    assert page.request.post(f"{base}/api/v1/auth/login", data=body).ok
    return context, page


def _approve(page: Page, base: str, run_id: int, reason: str) -> None:
    page.goto(f"{base}/retention/runs/{run_id}")
    form = page.locator("#decision-form")
    form.locator('select[name="decision"]').select_option("approve")
    form.locator('input[name="reason"]').fill(reason)
    form.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("审批意见已记录")


def test_plan_two_approvals_execute_and_download_the_certificate(
    world: World, base: str, chromium: Browser, settings: Settings
) -> None:
    set_rule(world)  # 毕业后 3 年删除 (as owner1, through the API)
    registered = world.client.put(
        f"/api/v1/retention/sources/{world.source}/write-credential", json={}
    )
    assert registered.status_code == 200, registered.text
    dataset = world.datasets["xs_biye"]
    problems: list[str] = []

    # the PI officer plans (a dry run on the real source) and submits
    context, page = _as(chromium, base, world, "pio1", problems, 1366)
    page.goto(f"{base}/retention/datasets/{dataset}")
    page.locator("#plan-form button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("已生成处置计划")
    run_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#run-selected")).to_have_text(str(OLD))
    expect(page.locator("#run-sql")).to_contain_text("biye_rq")
    page.locator("#submit-form button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("已提交审批")
    expect(page.locator("#decision-form")).to_have_count(0)  # the planner may not approve
    context.close()

    # the data owner approves the first step; the same person cannot approve the second
    context, page = _as(chromium, base, world, "owner1", problems, 1366)
    _approve(page, base, run_id, "已核对清单，仅三年前毕业的学生")
    expect(page.locator("#run-steps tbody tr").first).to_contain_text("owner1")
    context.close()

    # the security function approves the second: approved, waiting for the worker
    context, page = _as(chromium, base, world, "sec1", problems, 1366)
    _approve(page, base, run_id, "同意销毁")
    expect(page.locator("#run-status")).to_have_text("已批准，待执行")
    assert rows_left(world.source_path) == (GRADUATES, OLD)  # nothing done until executed

    # the worker takes the queued retention.execute task
    assert (
        runner.run_next(world.factory, retention_jobs.HANDLERS, settings, "test-worker") is not None
    )
    assert rows_left(world.source_path) == (GRADUATES - OLD, 0)
    page.reload()
    expect(page.locator("#run-status")).to_have_text("已完成")
    expect(page.locator("#run-processed")).to_have_text(str(OLD))
    expect(page.locator("#run-remaining")).to_have_text("0")

    # both downloads, from the links on the page
    json_href = page.locator("#cert-json").get_attribute("href")
    pdf_href = page.locator("#cert-pdf").get_attribute("href")
    assert json_href and pdf_href
    answer = page.request.get(f"{base}{json_href}")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert certificate.verify(answer.body()) == []
    document = answer.json()
    assert [a["by"] for a in document["approvers"]] == ["owner1", "sec1"]
    assert document["counts"]["processed"] == OLD
    printed = page.request.get(f"{base}{pdf_href}")
    assert printed.status == 200
    assert printed.headers["content-type"] == "application/pdf"
    assert printed.body().startswith(b"%PDF")
    with page.expect_download() as download:
        page.locator("#cert-json").click()
    assert download.value.suggested_filename == f"certificate-{run_id}.json"

    # the run page at phone width, with a residual holder listed: nothing wider than the screen
    with world.factory.begin() as session:
        orgs_service.update_system(
            session, world.system, SystemUpdate(operator_name="示例教育科技有限公司运维服务部")
        )
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#residual-holders")).to_contain_text("示例教育科技有限公司运维服务部")
    scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{scroll}px > {inner}px"
    context.close()
    assert problems == []
