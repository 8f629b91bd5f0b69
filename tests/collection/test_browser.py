"""In real headless Chromium (issue #19): the school's operator uploads an Excel 采集表 at phone
width, sees the pre-checks fail with their clauses, completes the plan (retention, arguments,
a justification, the 领导班子 minutes) and submits it; the data owner, the security department
and the PI officer each approve their step, and the review is approved. A corrupt workbook
gives a Chinese error and no review. No page overflows 390 px; no script or CSP error."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func, select
from tests.conftest import ADMIN_PASSWORD, serving

from eduguard.processing import service as processing_service
from eduguard.processing.models import LegalBasis
from eduguard.processing.schemas import PurposeCreate
from eduguard.reviews.models import ReviewRequest

from .conftest import World
from .test_console import workbook

pytestmark = pytest.mark.browser


@pytest.fixture
def base(world: World) -> Iterator[str]:
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    with serving(settings) as (url, _app):
        yield url


def _session(
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


def _fits(page: Page, problems: list[str]) -> None:
    scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if scroll > inner:
        problems.append(f"{page.url}: {scroll}px > {inner}px")


def _reviews(world: World) -> int:
    with world.factory() as session:
        return session.scalar(select(func.count()).select_from(ReviewRequest)) or 0


def test_upload_to_approval_in_chromium(world: World, base: str, chromium: Browser) -> None:
    problems: list[str] = []
    context, page = _session(chromium, base, world, "vendor", problems, 390)
    page.goto(f"{base}/collection/new")
    _fits(page, problems)
    page.select_option("#system", label="辛县实验小学 · 家校通 App")  # by name
    page.select_option("#system-type", label="家校沟通类 App")
    page.set_input_files(
        "#plan-file",
        files=[
            {
                "name": "报名表.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": workbook(["学生姓名", "家长手机号", "人脸照片"]),
            }
        ],
    )
    page.click("#create-review")
    page.wait_for_url(re.compile(r"/collection/\d+$"))
    review_url = page.url
    expect(page.locator("#flash")).to_contain_text("3 个字段")
    sensitive = page.locator('#checks-table tr[data-check="sensitive"]')
    expect(sensitive).to_contain_text("未通过")
    expect(sensitive).to_contain_text("第11项")
    expect(page.locator('#fields-table tr[data-field="人脸照片"]')).to_contain_text("照片")
    _fits(page, problems)

    page.fill("#purpose", "家校沟通与刷脸进校")
    page.fill("#necessity", "校门通行需核验身份，人脸核验比刷卡更难冒用；已比较刷卡方案的不足。")
    page.fill("#ethics", "不用于考勤排名或商业用途，可选择刷卡替代")
    page.fill("#details-form input.retention", "学生毕业后 1 年删除")
    page.click("#save-details")
    expect(page.locator("#flash")).to_contain_text("已保存采集计划的说明")
    page.fill('#fields-table tr[data-field="人脸照片"] textarea', "刷脸进校，家长可选刷卡替代")
    page.click("#save-fields")
    expect(page.locator("#flash")).to_contain_text("1 个字段")
    page.fill("#meeting-date-input", "2026-11-20")
    page.fill("#attendees", "校长\n副校长\n办公室主任")
    page.set_input_files(
        "#minutes-file",
        files=[
            {"name": "校长办公会纪要.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}
        ],
    )
    page.click("#save-minutes")
    expect(page.locator("#minutes-link")).to_have_text("校长办公会纪要.pdf")
    with world.factory() as session, session.begin():  # the register's separate-consent purpose
        processing_service.create_purpose(
            session,
            world.app,
            PurposeCreate(
                name="刷脸进校",
                legal_basis=LegalBasis.consent,
                sensitive_necessity="人脸用于校门身份核验，可选择刷卡替代",
            ),
        )
    page.reload()
    expect(page.locator('#checks-table tr[data-status="fail"]')).to_have_count(0)
    page.click("#submit-review")
    expect(page.locator("#review-state")).to_have_text("审批中")
    _fits(page, problems)
    context.close()

    for who, width in (("owner", 1366), ("secadmin", 390), ("pio", 1366)):
        context, page = _session(chromium, base, world, who, problems, width)
        page.goto(review_url)
        page.select_option("#decision", "approve")
        page.fill("#reason", "材料齐全，同意收集")
        page.click("#decide")
        expect(page.locator("#flash")).to_contain_text("已同意")
        _fits(page, problems)
        context.close()

    context, page = _session(chromium, base, world, "sup", problems, 390)
    page.goto(review_url)
    expect(page.locator("#review-state")).to_have_text("已批准")
    # no purpose was named: the approval wrote the fields into a new draft purpose
    expect(page.locator("#register-summary")).to_contain_text(
        "已写入处理活动记录：新建处理目的草稿"
    )
    _fits(page, problems)
    page.goto(f"{base}/collection/systems/{world.app}")
    expect(page.locator("#approved-table tbody tr")).to_have_count(3)
    _fits(page, problems)
    page.goto(f"{base}/collection")
    _fits(page, problems)
    context.close()
    assert problems == []


def test_a_corrupt_workbook_gives_a_chinese_error_in_chromium(
    world: World, base: str, chromium: Browser
) -> None:
    problems: list[str] = []
    context, page = _session(chromium, base, world, "vendor", problems, 1366)
    page.goto(f"{base}/collection/new")
    page.select_option("#system", label="辛县实验小学 · 家校通 App")
    page.set_input_files(
        "#plan-file",
        files=[{"name": "采集表.xlsx", "mimeType": "application/zip", "buffer": b"PK\x03\x04 x"}],
    )
    page.click("#create-review")
    errors = page.locator(".errors")
    expect(errors).to_contain_text("损坏")
    expect(page.locator("#new-review-form")).to_be_visible()
    assert "/collection/new" in page.url
    context.close()
    assert _reviews(world) == 0
    assert problems == []
