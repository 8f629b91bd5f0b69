"""The catalog and compliance walk in real headless Chromium: a school's data owner scans a
system, reviews its one personal-information column and re-evaluates — the "catalog reviewed"
finding disappears — and the county supervisor sees the school's score rise on the dashboard."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from eduguard.catalog import jobs as catalog_jobs
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import SystemCreate, UnitCreate

pytestmark = pytest.mark.browser
PASSWORD = "Walk-Passw0rd-synthetic"
FINDING = "N3-CATALOG-REVIEWED"


def _write_source(folder: Path) -> Path:
    """Synthetic: one column of mobile numbers (personal information), one of course names."""
    path = folder / "contacts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sjhm", "kcmc"])
        for n in range(120):
            writer.writerow([f"139{n:08d}", ("语文", "数学", "英语")[n % 3]])
    return path


def _login(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context(locale="zh-CN").new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")
    return page


def _score(page: Page, base: str, school: int) -> int:
    page.goto(f"{base}/dashboard")
    cell = page.locator(f'#ranking tr[data-unit="{school}"] td.score')
    expect(cell).to_have_count(1)
    return int(cell.inner_text())


def test_scan_review_and_the_supervisor_score(
    live_server: tuple[str, Any], chromium: Browser, tmp_path: Path
) -> None:
    base, app = live_server
    with app.state.session_factory() as session, session.begin():
        county = orgs_service.create_unit(
            session, UnitCreate(name="己县教育局", kind=UnitKind.county)
        )
        session.flush()
        schools = [
            orgs_service.create_unit(
                session, UnitCreate(name=name, kind=UnitKind.school, parent_id=county.id)
            )
            for name in ("己县一小", "己县二小")
        ]
        session.flush()
        system = orgs_service.create_system(
            session, SystemCreate(name="一小家校通讯录", unit_id=schools[0].id)
        )
        session.flush()
        school, system_id = schools[0].id, system.id
        for username, role, unit in (
            ("walk-owner", Role.data_owner, school),
            ("walk-sup", Role.supervisor, county.id),
        ):
            identity_service.create_user(
                session, username=username, password=PASSWORD, roles={role}, unit_id=unit
            )
    source = _write_source(tmp_path)
    problems: list[str] = []

    owner = _login(chromium, base, "walk-owner")
    owner.on("pageerror", lambda error: problems.append(str(error)))
    # Scan the system: register its data source, queue a scan, the worker runs it.
    owner.goto(f"{base}/catalog/systems/{system_id}")
    owner.fill("#source-name", "通讯录导出")
    owner.fill("#source-location", str(source))
    owner.click("#add-source")
    expect(owner.locator("#sources-table")).to_contain_text("通讯录导出")
    owner.click("#scan-now")
    assert catalog_jobs.work(app.state.session_factory, once=True) == 1
    owner.goto(f"{base}/catalog?system_id={system_id}")
    row = owner.locator("#catalog-table tbody tr", has_text="sjhm")
    expect(row).to_contain_text("待审核")
    # Evaluate: the catalog has a column awaiting review, so N3 is a finding.
    owner.goto(f"{base}/compliance")
    owner.click("#evaluate button")
    expect(owner.locator("#findings")).to_contain_text(FINDING)

    supervisor = _login(chromium, base, "walk-sup")
    supervisor.on("pageerror", lambda error: problems.append(str(error)))
    before = _score(supervisor, base, school)

    # Review the column: confirm the scan's proposal, with a reason.
    owner.goto(f"{base}/catalog?system_id={system_id}")
    row.get_by_role("link", name="审核").click()
    owner.select_option("#decision", "confirm")
    owner.fill("#reason", "核对导出样本，确为家长手机号")
    owner.click("#save-review")
    owner.goto(f"{base}/catalog?system_id={system_id}")
    expect(owner.locator("#catalog-table tbody tr", has_text="sjhm")).to_contain_text("已确认")
    owner.goto(f"{base}/compliance")
    owner.click("#evaluate button")
    expect(owner.locator("#findings")).not_to_contain_text(FINDING)
    expect(owner.locator("#findings")).to_contain_text(re.compile(r"N5-RETENTION"))

    after = _score(supervisor, base, school)
    assert after > before, (before, after)
    assert problems == []
