"""The server-rendered console: login, pages in Chinese and English, forms that explain errors."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from eduguard.identity.models import Role

PASSWORD = "Admin-Passw0rd-for-tests"


def console_login(client: TestClient, username: str, accounts: Any) -> str:
    """Password, then the TOTP code when the account has one; returns the page CSRF token."""
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "login_csrf": token.group(1),
            "next": "/units",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    code = accounts.totp(username)
    if code is not None:
        assert response.headers["location"] == "/login/mfa"
        mfa_page = client.get("/login/mfa")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', mfa_page.text)
        assert csrf is not None
        verified = client.post(
            "/login/mfa", data={"csrf_token": csrf.group(1), "code": code}, follow_redirects=False
        )
        assert verified.status_code == 303, verified.text
    else:
        assert response.headers["location"] == "/units"
    units = client.get("/units")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', units.text)
    assert csrf is not None
    return csrf.group(1)


def test_login_page_is_chinese_first(app_client: TestClient) -> None:
    page = app_client.get("/login")
    assert page.status_code == 200
    assert "用户名" in page.text and "密码" in page.text
    assert 'lang="zh-CN"' in page.text


def test_wrong_password_on_the_form(app_client: TestClient, accounts: Any) -> None:
    accounts.create("sysadmin", {Role.system_admin})
    page = app_client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token is not None
    response = app_client.post(
        "/login",
        data={"username": "sysadmin", "password": "wrong", "login_csrf": token.group(1)},
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_login_form_without_its_token_is_refused(app_client: TestClient, accounts: Any) -> None:
    accounts.create("sysadmin", {Role.system_admin})
    response = app_client.post("/login", data={"username": "sysadmin", "password": PASSWORD})
    assert response.status_code in (403, 422)
    assert "eg_session" not in response.cookies


def test_create_unit_and_system_through_forms(app_client: TestClient, accounts: Any) -> None:
    accounts.create("sysadmin", {Role.system_admin})
    csrf = console_login(app_client, "sysadmin", accounts)
    response = app_client.post(
        "/units/new",
        data={
            "csrf_token": csrf,
            "name": "甲县教育局",
            "kind": "county",
            "principal_leader": "赵示例",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    units = app_client.get("/units")
    assert "甲县教育局" in units.text and "赵示例" in units.text
    unit_id = app_client.get("/api/v1/units", headers={"X-CSRF-Token": csrf}).json()[0]["id"]

    bad = app_client.post(
        "/systems/new",
        data={"csrf_token": csrf, "name": "", "unit_id": str(unit_id), "mlps_level": "9"},
    )
    assert bad.status_code == 422
    assert "请更正以下错误" in bad.text
    assert "名称" in bad.text and "等保级别" in bad.text
    assert app_client.get("/api/v1/systems").json() == []

    good = app_client.post(
        "/systems/new",
        data={
            "csrf_token": csrf,
            "name": "学籍系统",
            "unit_id": str(unit_id),
            "storage_location": "overseas",
            "pi_subject_count": "1200",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text
    listing = app_client.get("/systems")
    assert "学籍系统" in listing.text and "境外" in listing.text
    partial = app_client.get("/systems", params={"q": "学籍"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and "学籍系统" in partial.text
    overview = app_client.get("/")
    assert "存储在境外的系统（1）" in overview.text


def test_form_without_csrf_changes_nothing(app_client: TestClient, accounts: Any) -> None:
    accounts.create("sysadmin", {Role.system_admin})
    console_login(app_client, "sysadmin", accounts)
    response = app_client.post("/units/new", data={"name": "伪造", "kind": "county"})
    assert response.status_code == 403
    assert "表单已失效" in response.text
    assert "伪造" not in app_client.get("/units").text


def test_english_switch(app_client: TestClient, accounts: Any) -> None:
    accounts.create("sysadmin", {Role.system_admin})
    console_login(app_client, "sysadmin", accounts)
    switched = app_client.get("/lang/en?next=/systems", follow_redirects=False)
    assert switched.headers["location"] == "/systems"
    page = app_client.get("/systems")
    assert "Register a system" in page.text and 'lang="en"' in page.text
    escape = app_client.get("/lang/en?next=//evil.example", follow_redirects=False)
    assert escape.headers["location"] == "/"


def test_navigation_shows_only_the_roles_modules(app_client: TestClient, accounts: Any) -> None:
    """No "即将上线": a module the role may use is a link, one it may not is not shown (issue
    #15 item 3; the system administrator never reaches the audit log, 三员分立)."""
    accounts.create("sysadmin", {Role.system_admin})
    console_login(app_client, "sysadmin", accounts)
    page = app_client.get("/")
    nav = page.text.split('<nav class="side"', 1)[1].split("</nav>", 1)[0]
    assert "即将上线" not in nav and "aria-disabled" not in nav
    assert 'href="/systems"' in nav and 'href="/catalog#sources"' in nav
    assert 'href="/audit"' not in nav and 'href="/releases' not in nav


def test_unknown_page_is_a_chinese_404(app_client: TestClient, accounts: Any) -> None:
    accounts.create("sysadmin", {Role.system_admin})
    console_login(app_client, "sysadmin", accounts)
    response = app_client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.text


def test_api_docs_need_login_and_render(app_client: TestClient, accounts: Any) -> None:
    assert app_client.get("/api/v1/openapi.json").status_code == 401
    accounts.create("sysadmin", {Role.system_admin})
    console_login(app_client, "sysadmin", accounts)
    spec = app_client.get("/api/v1/openapi.json").json()
    assert "/api/v1/systems" in spec["paths"]
    docs = app_client.get("/api/docs")
    assert "swagger-ui-bundle.js" in docs.text and "<script>" not in docs.text
    # Inside the console's shell: its menu and breadcrumbs, a Chinese title and introduction.
    assert '<nav class="side"' in docs.text and 'class="crumbs"' in docs.text
    assert "<title>API 文档 · eduguard</title>" in docs.text and "<h1>API 文档</h1>" in docs.text
    assert "Authorization: Bearer" in docs.text and 'id="swagger-ui"' in docs.text
    app_client.cookies.set("lang", "en")
    assert "Everything the platform does is available" in app_client.get("/api/docs").text
    app_client.cookies.clear()
    assert app_client.get("/api/docs", follow_redirects=False).status_code in (303, 401)


def test_edit_an_agreement_in_the_console(app_client: TestClient, accounts: Any) -> None:
    accounts.create("sysadmin", {Role.system_admin})
    csrf = console_login(app_client, "sysadmin", accounts)
    unit = app_client.post(
        "/api/v1/units", json={"name": "甲县一中", "kind": "school"}, headers={"X-CSRF-Token": csrf}
    ).json()
    agreement = app_client.post(
        "/api/v1/agreements",
        data={
            "unit_id": str(unit["id"]),
            "provider": "示例科技公司",
            "valid_from": "2026-01-01",
            "valid_until": "2027-01-01",
        },
        headers={"X-CSRF-Token": csrf},
    ).json()
    form = app_client.get(f"/agreements/{agreement['id']}/edit")
    assert "编辑协议" in form.text
    assert 'value="示例科技公司"' in form.text
    bad = app_client.post(
        f"/agreements/{agreement['id']}/edit",
        data={
            "csrf_token": csrf,
            "provider": "示例科技公司",
            "valid_from": "2026-01-01",
            "valid_until": "2025-01-01",
        },
    )
    assert bad.status_code == 422
    assert "早于" in bad.text
    good = app_client.post(
        f"/agreements/{agreement['id']}/edit",
        data={
            "csrf_token": csrf,
            "provider": "示例教育科技公司",
            "valid_from": "2026-01-01",
            "valid_until": "2027-06-30",
        },
        files={"document": ("补充协议.pdf", b"%PDF-1.4 synthetic", "application/pdf")},
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text
    listing = app_client.get("/agreements")
    assert "示例教育科技公司" in listing.text
    assert "补充协议.pdf" in listing.text
