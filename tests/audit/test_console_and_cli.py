"""The auditor's console, API and CLI; the system administrator cannot reach any of it."""

from __future__ import annotations

import csv
import io
import re
import secrets
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from eduguard import labels
from eduguard.audit import service
from eduguard.audit.models import AuditEvent
from eduguard.audit.service import Actor
from eduguard.cli.main import app as cli_app
from eduguard.config import get_settings
from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.schemas import UnitCreate

from .conftest import drop_protection, restore_protection, write_events

AUDIT_URLS = (
    "/audit",
    "/audit/1",
    "/audit/verify",
    "/audit/export?format=csv",
    "/api/v1/audit/events",
    "/api/v1/audit/events/1",
    "/api/v1/audit/verify",
    "/api/v1/audit/export?format=csv",
)


def _factory(client: TestClient) -> sessionmaker[Session]:
    return client.app.state.session_factory  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def auditor(app_client: TestClient, accounts: object) -> TestClient:
    accounts.create("t.auditor", {Role.audit_admin})  # type: ignore[attr-defined]
    accounts.login(app_client, "t.auditor")  # type: ignore[attr-defined]
    write_events(_factory(app_client), 3)
    return app_client


def test_system_administrator_cannot_reach_the_audit_log(
    app_client: TestClient, accounts: object
) -> None:
    write_events(_factory(app_client), 1)
    accounts.create("t.sysadmin", {Role.system_admin})  # type: ignore[attr-defined]
    accounts.login(app_client, "t.sysadmin")  # type: ignore[attr-defined]
    for url in AUDIT_URLS:
        response = app_client.get(url)
        assert response.status_code == 403, url
    assert (
        "审计日志" not in app_client.get("/").text.split("<main>")[0].split('href="/audit"')[0][-1:]
    )
    assert 'href="/audit"' not in app_client.get("/").text


def test_anonymous_gets_401_from_the_api(app_client: TestClient) -> None:
    assert app_client.get("/api/v1/audit/events").status_code == 401


def test_auditor_searches_reads_and_sees_the_chain_status(auditor: TestClient) -> None:
    page = auditor.get("/audit", params={"action": "system.read", "account": "t.auditor"})
    assert page.status_code == 200, page.text
    assert "system.read" in page.text and "最近签名检查点" in page.text
    assert 'href="/audit"' in page.text  # the nav entry is live for the auditor
    assert "<script>" not in page.text and "style=" not in page.text  # CSP: nothing inline
    api = auditor.get("/api/v1/audit/events", params={"object_type": "system"}).json()
    assert [item["object_id"] for item in api["items"]] == ["3", "2", "1"]
    assert api["items"][0]["fields"] == ["mlps_level", "name"]
    assert api["items"][0]["id"] > api["items"][1]["id"] > api["items"][2]["id"]
    detail = auditor.get(f"/audit/{api['items'][0]['id']}")
    assert detail.status_code == 200 and "哈希(SM3)" in detail.text
    assert auditor.get("/audit/99999").status_code == 404
    assert auditor.get("/api/v1/audit/events", params={"since": "yesterday"}).status_code == 422
    verified = auditor.get("/api/v1/audit/verify").json()
    assert verified["ok"] is True and verified["events_checked"] >= 3
    assert "审计日志完好" in auditor.get("/audit/verify").text
    with _factory(auditor)() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert {"audit.search", "audit.verify"} <= set(actions)


def test_export_is_itself_an_audited_event(auditor: TestClient) -> None:
    factory = _factory(auditor)
    with factory() as session, session.begin():
        county = orgs_service.create_unit(session, UnitCreate(name="甲县教育局", kind="county"))
        service.record(
            session,
            action="access.denied",
            object_type="unit:write",
            result="denied",
            actor=Actor(username="t.owner", roles=("data_owner",), unit_path=county.path),
        )
    response = auditor.get("/audit/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97-"
        in (  # 审计日志-…
            response.headers["content-disposition"]
        )
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["序号", "时间（北京时间）", "账户"] and "时间(UTC)" not in header
    column = {name: header.index(name) for name in header}
    reads = [row for row in rows[1:] if row[column["操作代码"]] == "system.read"]
    assert [(row[column["操作"]], row[column["对象ID"]]) for row in reads] == [
        ("查看信息系统", "1"),
        ("查看信息系统", "2"),
        ("查看信息系统", "3"),
    ]
    assert {row[column["结果"]] for row in reads} == {"成功"}
    denied = next(row for row in rows[1:] if row[column["操作代码"]] == "access.denied")
    assert denied[column["单位"]] == "甲县教育局" and denied[column["单位路径"]] == county.path
    assert denied[column["结果"]] == "拒绝" and denied[column["结果代码"]] == "denied"
    assert denied[column["角色"]] == "数据主管"
    assert denied[column["对象类型"]] == "新建/编辑/归档单位"  # the missing permission
    with factory() as session:
        first = session.get(AuditEvent, int(reads[0][column["序号"]]))
        assert first is not None
        beijing = labels.local_time(first.time, "Asia/Shanghai")
    assert reads[0][column["时间（北京时间）"]] == f"{beijing:%Y-%m-%d %H:%M:%S}"
    xlsx = auditor.get("/api/v1/audit/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(xlsx.content))["审计日志"]
    last = get_column_letter(len(header))
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}"
    assert sheet.column_dimensions[last].width > sheet.column_dimensions["A"].width  # hash vs id
    assert [c.value for c in sheet[1]] == header
    assert auditor.get("/api/v1/audit/export", params={"format": "pdf"}).status_code == 422
    with _factory(auditor)() as session:
        exports = list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "audit.export", AuditEvent.object_type == "audit_event"
                )
            )
        )
    assert exports[0].row_count == len(rows) - 1  # every event the CSV holds
    assert exports[0].username == "t.auditor" and exports[0].reason


def test_console_shows_a_tampered_log(auditor: TestClient, engine: Engine) -> None:
    drop_protection(engine)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE audit_events SET object_id = '9' WHERE id = 2"))
        page = auditor.get("/audit/verify")
        assert "审计日志校验失败" in page.text and "#2" in page.text
    finally:
        restore_protection(engine)


runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("EDUGUARD_HOME", str(home))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def test_cli_verify_exit_codes_and_the_other_commands(
    cli_env: Path, session_factory: sessionmaker[Session], engine: Engine, tmp_path: Path
) -> None:
    write_events(session_factory, 12)
    result = runner.invoke(cli_app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "审计日志完好" in result.output
    result = runner.invoke(cli_app, ["audit", "checkpoint"])
    assert result.exit_code == 0 and "#12" in result.output, result.output
    assert (cli_env / "audit" / "checkpoints.jsonl").exists()
    result = runner.invoke(cli_app, ["audit", "search", "--action", "system.read", "--limit", "5"])
    assert result.exit_code == 0 and "查看信息" in result.output, result.output
    assert "时间（北京时间）" in result.output and "UTC" not in result.output
    target = tmp_path / "out.csv"
    result = runner.invoke(cli_app, ["audit", "export", "--format", "csv", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 1 + 13
    result = runner.invoke(cli_app, ["audit", "purge", "--before", "2999-01-01", "--yes"])
    assert result.exit_code == 1 and "保留期" in result.output
    with session_factory() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        accounts = set(session.scalars(select(AuditEvent.username).where(AuditEvent.id > 12)))
    assert actions[12:] == ["audit.search", "audit.export"]
    assert all(name.startswith("cli:") for name in accounts)
    drop_protection(engine)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_events WHERE id > 10"))
        result = runner.invoke(cli_app, ["audit", "verify"])
        assert result.exit_code == 1
        assert "校验失败" in result.output and "#11" in result.output
        # The parallel columnar path names the same event.
        result = runner.invoke(cli_app, ["audit", "verify", "--workers", "2"])
        assert result.exit_code == 1
        assert "校验失败" in result.output and "#11" in result.output
    finally:
        restore_protection(engine)


def test_console_time_filters_are_read_in_beijing_time_the_api_in_utc(
    auditor: TestClient,
) -> None:
    """The console shows Beijing time, so a time typed there without an offset is Beijing
    time; the API stays in UTC. An hour ago in Beijing is eight hours ahead in UTC."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    auditor.get("/api/v1/audit/events")  # at least one event (the search itself) exists now
    hour_ago_beijing = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=1)).replace(
        tzinfo=None
    )
    typed = hour_ago_beijing.strftime("%Y-%m-%dT%H:%M")
    page = auditor.get("/audit", params={"since": typed, "action": "audit.search"})
    assert page.status_code == 200
    assert re.search(r'href="/audit/\d+"', page.text)  # the recent searches are listed
    api = auditor.get("/api/v1/audit/events", params={"since": typed, "action": "audit.search"})
    assert api.json()["items"] == []  # read as UTC that is seven hours from now
    hour_ago_utc = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None)
    api_utc = auditor.get(
        "/api/v1/audit/events",
        params={"since": hour_ago_utc.strftime("%Y-%m-%dT%H:%M"), "action": "audit.search"},
    )
    assert api_utc.json()["items"]
