"""The console pages (forms, timeline, download) and ``eduguard release …`` commands."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from eduguard.cli.main import app
from eduguard.config import get_settings

from .conftest import World, build_world, student_rows, write_sqlite

runner = CliRunner()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def test_console_request_decide_and_download(world: World) -> None:
    client = world.client
    world.login("researcher")
    listing = client.get("/releases")
    assert listing.status_code == 200 and "申请数据发布" in listing.text
    choose = client.get("/releases/new")
    assert choose.status_code == 200 and "一小学籍系统 · students.csv" in choose.text
    form = client.get("/releases/new", params={"dataset_id": world.dataset})
    assert form.status_code == 200 and 'value="sfzjh"' in form.text
    token = _csrf(form.text)
    bad = client.post(
        "/releases/new",
        data={"csrf_token": token, "dataset_id": str(world.dataset), "purpose": "统计"},
    )
    assert bad.status_code == 422 and "字段" in bad.text
    made = client.post(
        "/releases/new",
        data={
            "csrf_token": token,
            "dataset_id": str(world.dataset),
            "fields": ["xm", "sfzjh", "cj"],
            "purpose": "学业质量监测统计分析",
            "recipient": "市教育科学研究院",
            "legal_basis": "个人信息保护法第十三条",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    detail_url = made.headers["location"]
    release_id = int(detail_url.rsplit("/", 1)[1])
    detail = client.get(detail_url)
    assert "审批中" in detail.text and "数据主管单位审批" in detail.text
    assert 'id="decision-form"' not in detail.text  # the requester never decides

    for username in ("owner1", "pio1"):
        world.login(username)
        page = client.get(detail_url)
        assert 'id="decision-form"' in page.text, username
        empty = client.post(
            f"{detail_url}/decision",
            data={"csrf_token": _csrf(page.text), "decision": "approve"},
        )
        assert empty.status_code == 422 and "理由" in empty.text
        done = client.post(
            f"{detail_url}/decision",
            data={"csrf_token": _csrf(page.text), "decision": "approve", "reason": "同意发布"},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    assert world.work() == [release_id]

    world.login("researcher")
    page = client.get(detail_url)
    assert "已完成" in page.text and 'id="download-data"' in page.text
    fulfilled = client.get("/releases", params={"state": "fulfilled"})
    assert f'href="/releases/{release_id}"' in fulfilled.text
    drafts = client.get("/releases", params={"state": "draft"})
    assert f'href="/releases/{release_id}"' not in drafts.text
    assert "同意发布" in page.text  # the timeline shows the reasons
    got = client.get(f"{detail_url}/download")
    assert got.status_code == 200
    header = next(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert header == ["xm", "sfzjh", "cj"]
    world.login("county-sup")
    page = client.get(detail_url)
    assert page.status_code == 200 and 'id="download-data"' not in page.text
    client.get("/lang/en", follow_redirects=False)
    english = client.get(detail_url)
    assert "Timeline" in english.text and "Done" in english.text


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EDUGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDUGUARD_SCAN_ROOTS", str(tmp_path))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_cli_request_approve_run_download(
    cli_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite database source, end to end on the command line, in accounts' names."""
    assert run("init")[0] == 0
    assert run("unit", "create", "己县教育局", "--kind", "county")[0] == 0
    assert run("unit", "create", "己县一小", "--kind", "school", "--parent", "1")[0] == 0
    assert run("system", "create", "学籍系统", "--unit", "2")[0] == 0
    rows = student_rows(40, seed=3)
    db = write_sqlite(tmp_path / "school.db", rows)
    assert run("catalog", "source", "add", "1", f"sqlite:///{db}")[0] == 0
    code, out = run("catalog", "scan", "1", "--now")
    assert code == 0, out
    accounts = (("yan", "data_user", "1"), ("zhu", "data_owner", "2"), ("bao", "pi_officer", "2"))
    password = "Release-synthetic-Pw-7q"  # zxcvbn-strong (a repeated "x" no longer passes)
    for name, role, unit in accounts:
        code, out = run(
            "user", "create", name, "--role", role, "--unit", unit, "--password", password
        )
        assert code == 0, out
    request = (
        "release", "request", "--user", "yan", "--dataset", "1", "--fields", "xb,csrq,cj",
        "--purpose", "出生年份与成绩关系统计", "--recipient", "县教研室",
        "--legal-basis", "统计法", "--k", "4", "--quasi", "xb,csrq",
    )  # fmt: skip
    code, out = run(*request)
    assert code == 0 and "审批中" in out, out
    code, out = run("release", "approve", "1", "--user", "yan", "--reason", "自己批准")
    assert code == 1 and "不能审批本人提出的申请" in out, out
    code, out = run("release", "approve", "1", "--user", "bao", "--reason", "同意")
    assert code == 1 and "须由审批单位的相应角色决定" in out, out  # not yet its step
    code, out = run("release", "approve", "1", "--user", "zhu", "--reason", "同意")
    assert code == 0 and "审批中" in out, out  # pupils under 14: all of it is sensitive
    code, out = run("release", "approve", "1", "--user", "bao", "--reason", "同意，已做 k-匿名")
    assert code == 0 and "已批准" in out, out
    target = tmp_path / "out" / "data.csv"
    code, out = run("release", "download", "1", "--user", "yan", "--output", str(target))
    assert code == 1 and "尚未生成" in out and not target.exists(), out

    def stop(_seconds: float) -> None:
        raise KeyboardInterrupt  # --watch ends with Ctrl+C after one round

    monkeypatch.setattr("eduguard.cli.release.sleep", stop)  # this module only: other
    # threads (py4j's finalizer, left by an earlier Spark test) keep the real time.sleep
    code, out = run("release", "run", "--watch")
    assert code == 0 and "已处理 1 个" in out and "已生成" in out, out
    code, out = run("release", "run")
    assert code == 0 and "已处理 0 个" in out, out
    code, out = run("release", "download", "1", "--user", "zhu", "--output", str(target))
    assert code == 1 and "只有申请人" in out, out
    code, out = run("release", "download", "1", "--user", "yan", "--output", str(target))
    assert code == 0, out
    table = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert table[0] == ["xb", "csrq", "cj"] and len(table) == len(rows) + 1
    text = target.read_text(encoding="utf-8")
    assert not any(row["sfzjh"] in text or row["xm"] in text for row in rows)
    code, out = run("release", "show", "1")
    assert code == 0 and "已完成" in out and "同意" in out, out
    code, out = run("release", "list")
    assert code == 0 and "学籍系统" in out, out
    code, out = run("release", "approve", "9", "--user", "zhu", "--reason", "同意")
    assert code == 1 and "不存在" in out


def test_sqlite_source_exports_only_approved_columns(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    world = build_world(admin_client, accounts, tmp_path, source="sqlite", count=30)
    world.login("researcher")
    made = world.client.post(
        "/api/v1/releases",
        json={
            "dataset_id": world.dataset,
            "fields": ["sfzjh", "cj"],
            "purpose": "身份证号脱敏效果核验",
            "recipient": "区数据中心",
            "legal_basis": "数据安全管理职责",
        },
    ).json()
    for step in made["steps"]:
        world.login({"data_owner": "owner1", "pi_officer": "pio1"}[step["role"]])
        world.client.post(
            f"/api/v1/releases/{made['id']}/decision",
            json={"decision": "approve", "reason": "同意"},
        )
    assert world.work() == [made["id"]]
    world.login("researcher")
    text = world.client.get(f"/api/v1/releases/{made['id']}/download").content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "sfzjh,cj" and len(lines) == 31
    for row in world.rows:
        assert row["sfzjh"] not in text and row["xm"] not in text and row["lxdh"] not in text


def test_console_draft_submit_and_withdraw(world: World) -> None:
    client = world.client
    world.login("researcher")
    draft = client.post(
        "/api/v1/releases",
        json={
            "dataset_id": world.dataset,
            "fields": ["cj"],
            "purpose": "成绩分布草稿",
            "recipient": "县教研室",
            "legal_basis": "教研工作职责",
            "submit": False,
        },
    ).json()
    assert draft["state"] == "draft" and draft["steps"][0]["status"] == "waiting"
    url = f"/releases/{draft['id']}"
    world.login("owner1")  # a decider sees the draft but has nothing to decide yet
    assert 'id="decision-form"' not in client.get(url).text
    world.login("researcher")
    page = client.get(url)
    assert 'id="resubmit"' in page.text and 'id="withdraw"' in page.text
    token = _csrf(page.text)
    sent = client.post(f"{url}/submit", data={"csrf_token": token}, follow_redirects=False)
    assert sent.status_code == 303
    assert "审批中" in client.get(url).text
    gone = client.post(f"{url}/withdraw", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303
    page = client.get(url)
    assert "已撤回" in page.text and 'id="withdraw"' not in page.text
    again = client.post(f"{url}/withdraw", data={"csrf_token": token})
    assert again.status_code == 422 and "不能撤回" in again.text
    client.headers.pop("X-CSRF-Token")
    forged = client.post(f"{url}/submit", data={})
    assert forged.status_code == 403  # no CSRF token: nothing changes
