"""Control characters (ESC, NUL …) in names: refused by the API, the console and the CLI with
a Chinese error, escaped in every export and in terminal output. A login attempt with
``\\x1b[2J`` in the username (no account needed) once made the audit XLSX export answer 500
for everyone after (openpyxl refuses the character)."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from eduguard.cli.main import app as cli_app
from eduguard.config import get_settings
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role, User
from eduguard.orgs.models import Unit

from .test_console import console_login

ESC_NAME = "\x1b[2J\x1b[31m攻击者"
HOSTILE = ["甲县\x1b[2J教育局", "甲县\x00教育局", "甲县\u202e局", "甲县\n教育局", "甲县\t局"]


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EDUGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, list(args))
    return result.exit_code, result.output


def _count(client: TestClient, model: Any) -> int:
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(model)))


def test_login_with_escape_then_audit_xlsx_export_opens(
    app_client: TestClient, accounts: Any
) -> None:
    refused = app_client.post(
        "/api/v1/auth/login", json={"username": ESC_NAME, "password": "x", "totp": None}
    )
    assert refused.status_code == 401
    accounts.create("t.auditor", {Role.audit_admin})
    accounts.login(app_client, "t.auditor")
    got = app_client.get("/api/v1/audit/export", params={"format": "xlsx"})
    assert got.status_code == 200, got.text
    workbook = openpyxl.load_workbook(io.BytesIO(got.content))
    texts = [
        cell
        for row in workbook.active.iter_rows(values_only=True)  # type: ignore[union-attr]
        for cell in row
        if isinstance(cell, str)
    ]
    workbook.close()
    assert "\\x1b[2J\\x1b[31m攻击者" in texts
    assert not any("\x1b" in text for text in texts)
    csv_export = app_client.get("/api/v1/audit/export", params={"format": "csv"})
    assert csv_export.status_code == 200 and b"\x1b" not in csv_export.content


def test_names_with_control_characters_are_refused_by_the_api(
    admin_client: TestClient,
) -> None:
    for name in HOSTILE:
        made = admin_client.post("/api/v1/units", json={"name": name, "kind": "county"})
        assert made.status_code == 422, (name, made.text)
        assert "控制字符" in made.text, made.text
    unit = admin_client.post("/api/v1/units", json={"name": "甲县教育局", "kind": "county"})
    assert unit.status_code == 201
    unit_id = unit.json()["id"]
    assert (
        admin_client.patch(
            f"/api/v1/units/{unit_id}", json={"principal_leader": "赵\x1b示例"}
        ).status_code
        == 422
    )
    system = admin_client.post("/api/v1/systems", json={"name": "学籍\x00系统", "unit_id": unit_id})
    assert system.status_code == 422 and "控制字符" in system.text
    for username, display in (("evil\x1b[2J", ""), ("ok.name", "张\x00三")):
        user = admin_client.post(
            "/api/v1/users",
            json={"username": username, "display_name": display, "password": "Xy7#kq!Lm29@pw"},
        )
        assert user.status_code == 422 and "控制字符" in user.text, user.text
    assert _count(admin_client, Unit) == 1
    assert _count(admin_client, User) == 1  # the administrator only


def test_names_with_control_characters_are_refused_by_the_console(
    app_client: TestClient, accounts: Any
) -> None:
    accounts.create("sysadmin", {Role.system_admin})
    csrf = console_login(app_client, "sysadmin", accounts)
    page = app_client.post(
        "/units/new", data={"csrf_token": csrf, "name": "甲县\x1b[2J教育局", "kind": "county"}
    )
    assert page.status_code == 422 and "控制字符" in page.text
    page = app_client.post(
        "/users/new",
        data={"csrf_token": csrf, "username": "evil\x00", "password": "Xy7#kq!Lm29@pw"},
    )
    assert page.status_code == 422 and "控制字符" in page.text
    assert _count(app_client, Unit) == 0
    assert _count(app_client, User) == 1


def test_names_with_control_characters_are_refused_by_the_cli(cli_env: None) -> None:
    assert run("init")[0] == 0
    for name in HOSTILE[:3]:
        code, out = run("unit", "create", name, "--kind", "county")
        assert code == 1 and "控制字符" in out and "Traceback" not in out, out
    code, out = run("unit", "create", "甲县教育局", "--kind", "county")
    assert code == 0, out
    code, out = run("system", "create", "学籍\x1b系统", "--unit", "1")
    assert code == 1 and "控制字符" in out, out
    code, out = run(
        "user", "create", "evil\x1b[2J", "--role", "data_user", "--password", "Xy7#kq!Lm29@pw"
    )
    assert code == 1 and "控制字符" in out, out
    code, out = run("user", "list")
    assert code == 0 and "evil" not in out
    code, out = run("unit", "create", "[link=http://127.0.0.1/]乙县[/link]", "--kind", "county")
    assert code == 0 and "[link=http://127.0.0.1/]乙县[/link]" in out, out  # text, not a link


def test_cli_listings_show_control_characters_escaped(
    app_client: TestClient, cli_env: None
) -> None:
    """Rows written before names were checked (or by a login attempt) reach the terminal
    escaped: no raw ESC in ``user list`` or ``audit search``."""
    app_client.post("/api/v1/auth/login", json={"username": ESC_NAME, "password": "x"})
    factory = app_client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        identity_service.create_user(
            session,
            username="old\x1b]8;;http://127.0.0.1/\x07name",
            password="Xy7#kq!Lm29@pw",
            roles={Role.data_user},
            unit_id=None,
        )
    code, out = run("user", "list")
    assert code == 0, out
    assert "\x1b" not in out and "\x07" not in out
    assert "old\\x1b]8" in out  # shown, not acted on (an OSC 8 hyperlink)
    code, out = run("audit", "search", "--action", "auth.login_failed")
    assert code == 0, out
    assert "\x1b" not in out and "\\x1b[2J" in out
    code, out = run("user", "disable", "old\x1b]8;;http://127.0.0.1/\x07name")
    assert code == 0, out
    assert "\x1b" not in out and "\x07" not in out and "已停用账户 old\\x1b]8" in out
