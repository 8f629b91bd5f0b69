"""公示前检查 in the console: upload → verdict → de-identified copy; the upload is never kept,
the check is audited without content, and a check is its owner's alone."""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from tests.documents.conftest import make_pdf
from tests.documents.test_excel_layout import make_workbook

from eduguard.audit.models import AuditEvent
from eduguard.config import Settings
from eduguard.discovery import api
from eduguard.identity.models import Role

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=db_url,
        secret_key=secrets.token_urlsafe(48),
        demo=False,
        scan_roots="",
    )


def _poster(client: TestClient, accounts: Any, name: str = "teacher") -> str:
    unit = client.post("/api/v1/units", json={"name": f"丙县一小{name}", "kind": "school"}).json()
    accounts.create(name, {Role.data_user}, unit_id=unit["id"])
    return str(accounts.login(client, name))


def _upload(client: TestClient, token: str, name: str, content: bytes) -> Any:
    return client.post(
        "/publish-check",
        data={"csrf_token": token},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def test_a_leaking_workbook_gets_a_verdict_and_a_clean_copy(
    admin_client: TestClient, accounts: Any, settings: Settings, tmp_path: Path
) -> None:
    client = admin_client
    token = _poster(client, accounts)
    original = make_workbook(tmp_path / "助学金公示.xlsx")
    sent = _upload(client, token, "助学金公示.xlsx", original.read_bytes())
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    result = client.get(location)
    assert result.status_code == 200
    assert 'data-verdict="fix"' in result.text
    assert "C 列“身份证号”有 6 处未脱敏的居民身份证号" in result.text
    assert "公示!C5" in result.text and "删除隐藏工作表“原始数据”" in result.text
    assert "通知重点任务第10项" in result.text  # the pupils are under 14 (IDs born 2012–2015)
    # the original is gone; only the verdict and the copy are left
    folders = list((settings.home / "publish").iterdir())
    assert [sorted(p.name for p in f.iterdir()) for f in folders] == [["copy.xlsx", "result.json"]]
    for value in ("11010", "4201061"):  # no ID number in what is kept about the check
        assert value not in (folders[0] / "result.json").read_text(encoding="utf-8")
    copy = client.get(f"{location}/download")
    assert copy.status_code == 200 and copy.headers["content-type"] == XLSX
    fixed = tmp_path / "copy.xlsx"
    fixed.write_bytes(copy.content)
    workbook = openpyxl.load_workbook(fixed)
    assert workbook.sheetnames == ["公示"]  # the hidden sheet is removed
    report = api.scan(fixed, sample=None)
    assert report.tables and not any(table.leak for table in report.tables)
    assert all(not t.hidden for t in report.tables)
    with admin_client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("publish.%")).order_by(AuditEvent.id)
        ).all()
    assert [event.action for event in events] == ["publish.check", "publish.download"]
    assert "CN_RESIDENT_ID" in events[0].fields and "需处理" in (events[0].reason or "")
    assert "助学金" not in (events[0].reason or "")  # no file name, no content


def test_a_check_is_its_owners_and_can_be_deleted(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    client = admin_client
    token = _poster(client, accounts)
    sent = _upload(client, token, "名单.pdf", make_pdf(tmp_path / "名单.pdf", count=8).read_bytes())
    location = sent.headers["location"]
    page = client.get(location)
    assert 'data-verdict="fix"' in page.text and "暂不能自动生成" in page.text  # a PDF: advice
    accounts.create("other", {Role.data_user})
    accounts.login(client, "other")
    assert client.get(location).status_code == 404
    assert client.get(f"{location}/download").status_code == 404
    token = accounts.login(client, "teacher")
    deleted = client.post(f"{location}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert deleted.status_code == 303
    assert client.get(location).status_code == 404


def test_bad_uploads_are_refused_in_chinese(admin_client: TestClient, accounts: Any) -> None:
    client = admin_client
    token = _poster(client, accounts)
    refused = _upload(client, token, "名单.exe", b"MZ")
    assert refused.status_code == 422 and "不支持该文件格式" in refused.text
    empty = client.post("/publish-check", data={"csrf_token": token}, follow_redirects=False)
    assert empty.status_code == 422 and "请选择要检查的文件" in empty.text
    masked = make_workbook_bytes(hide=True)
    clean = _upload(client, token, "已脱敏.xlsx", masked)
    page = client.get(clean.headers["location"])
    # masked, but the hidden sheet still holds the raw data
    assert "删除隐藏工作表“原始数据”" in page.text


def make_workbook_bytes(hide: bool) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return make_workbook(Path(folder) / "x.xlsx", hide=hide).read_bytes()


@pytest.mark.browser
def test_publish_check_in_the_browser(
    live_server: tuple[str, Any], chromium: Browser, tmp_path: Path
) -> None:
    from tests.conftest import ADMIN_PASSWORD, Accounts

    base, app = live_server
    accounts = Accounts(app.state.session_factory)
    accounts.create("poster", {Role.data_user}, enrol_mfa=False)
    original = make_workbook(tmp_path / "助学金公示.xlsx")
    context = chromium.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{base}/login")
        page.fill("#username", "poster")
        page.fill("#password", ADMIN_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/**")
        page.goto(f"{base}/publish-check")
        page.set_input_files("#publish-file", str(original))
        page.click("#publish-submit")
        expect(page.locator("#verdict")).to_have_text("需处理")
        expect(page.locator("#reasons")).to_contain_text("未脱敏的居民身份证号")
        with page.expect_download() as download:
            page.click("#download-fixed")
        fixed = tmp_path / "fixed.xlsx"
        download.value.save_as(fixed)
        assert download.value.suggested_filename == "助学金公示_脱敏.xlsx"
    finally:
        context.close()
    report = api.scan(fixed, sample=None)
    assert report.tables and not any(table.leak for table in report.tables)
    workbook = openpyxl.load_workbook(io.BytesIO(fixed.read_bytes()))
    assert workbook.sheetnames == ["公示"]
