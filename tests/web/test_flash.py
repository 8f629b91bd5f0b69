"""Every console action ends with a redirect (POST → 303 → GET) to a page that says, once and
in Chinese, what was done; a forged or altered message is not shown."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from eduguard.identity.models import Role
from eduguard.web.flash import FLASH_COOKIE

ADMIN_PASSWORD = "Admin-Passw0rd-for-tests"  # tests/conftest.py's synthetic credential


def _flash(page_text: str) -> str | None:
    marker = 'id="flash">'
    if marker not in page_text:
        return None
    return page_text.split(marker, 1)[1].split("</div>", 1)[0]


def test_actions_redirect_to_a_page_with_a_success_message(admin_client: TestClient) -> None:
    client = admin_client
    token = client.headers["X-CSRF-Token"]
    made = client.post(
        "/units/new",
        data={"csrf_token": token, "name": "戊县教育局", "kind": "county"},
        follow_redirects=False,
    )
    assert made.status_code == 303 and made.headers["location"] == "/units"
    assert FLASH_COOKIE in made.cookies
    shown = client.get("/units")
    assert "已新建单位“戊县教育局”" in (_flash(shown.text) or "")
    # Shown once: the next page has no message.
    assert _flash(client.get("/units").text) is None
    unit_id = client.get("/api/v1/units").json()[0]["id"]
    system = client.post(
        "/systems/new",
        data={"csrf_token": token, "name": "戊县学籍", "unit_id": str(unit_id)},
    )  # followed: the GET page after the redirect
    assert system.status_code == 200 and str(system.url).endswith("/systems")
    assert "已新建信息系统“戊县学籍”" in (_flash(system.text) or "")
    system_id = client.get("/api/v1/systems").json()[0]["id"]
    archived = client.post(f"/systems/{system_id}/archive", data={"csrf_token": token})
    assert archived.status_code == 200 and str(archived.url).endswith("/systems")
    assert "已归档信息系统“戊县学籍”" in (_flash(archived.text) or "")


def test_a_partial_leaves_the_message_for_the_page(admin_client: TestClient) -> None:
    client = admin_client
    token = client.headers["X-CSRF-Token"]
    client.post(
        "/units/new",
        data={"csrf_token": token, "name": "己县教育局", "kind": "county"},
        follow_redirects=False,
    )
    partial = client.get("/units", headers={"hx-request": "true"})
    assert _flash(partial.text) is None
    assert "已新建单位" in (_flash(client.get("/units").text) or "")


def test_a_forged_message_is_not_shown(admin_client: TestClient) -> None:
    client = admin_client
    client.cookies.set(FLASH_COOKIE, "5bey6L-H5LqG.0123456789abcdef0123456789abcdef")
    page = client.get("/units")
    assert page.status_code == 200 and _flash(page.text) is None


def test_user_and_account_actions_say_what_was_done(
    admin_client: TestClient, accounts: Any
) -> None:
    client = admin_client
    token = client.headers["X-CSRF-Token"]
    made = client.post(
        "/users/new",
        data={
            "csrf_token": token,
            "username": "teacher1",
            "password": "Teacher-Passw0rd-for-tests",
            "roles": "data_user",
        },
    )
    assert made.status_code == 200 and "已创建账户“teacher1”" in (_flash(made.text) or "")
    user_id = next(
        u["id"] for u in client.get("/api/v1/users").json() if u["username"] == "teacher1"
    )
    disabled = client.post(f"/users/{user_id}/disable", data={"csrf_token": token})
    assert "已停用账户“teacher1”" in (_flash(disabled.text) or "")
    accounts.create("teacher2", {Role.data_user})
    token = accounts.login(client, "teacher2")
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "old_password": ADMIN_PASSWORD,
            "new_password": "Another-Passw0rd-for-tests",
        },
    )
    assert changed.status_code == 200, changed.text
    assert str(changed.url).endswith("/account") and "密码已修改" in (_flash(changed.text) or "")


def test_every_console_action_says_it_in_english_too() -> None:
    """Each ``see_other`` with a message passes its English one as well (read by source, so a
    new action without it fails here, whichever role reaches it)."""
    routes = Path(__file__).resolve().parents[2] / "src" / "eduguard" / "web" / "routes"
    calls = 0
    missing = []
    for module in sorted(routes.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "see_other"):
                continue
            calls += 1
            has_message = len(node.args) >= 3 or any(k.arg == "message" for k in node.keywords)
            has_english = len(node.args) >= 4 or any(k.arg == "english" for k in node.keywords)
            if has_message and not has_english:
                missing.append(f"{module.name}:{node.lineno}")
    assert calls >= 30 and not missing, missing


def test_the_message_follows_the_console_language(admin_client: TestClient) -> None:
    client = admin_client
    token = client.headers["X-CSRF-Token"]
    client.cookies.set("lang", "en")
    made = client.post(
        "/units/new",
        data={"csrf_token": token, "name": "己县教育局", "kind": "county"},
        follow_redirects=True,
    )
    assert _flash(made.text) == "✓ Unit “己县教育局” created"
    client.cookies.set("lang", "zh")
    made = client.post(
        "/units/new",
        data={"csrf_token": token, "name": "庚县教育局", "kind": "county"},
        follow_redirects=True,
    )
    assert _flash(made.text) == "✓ 已新建单位“庚县教育局”"
