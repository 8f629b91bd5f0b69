"""``eduguard backup policy …`` and ``eduguard backup drill …`` on SQLite and PostgreSQL: the same
flows as the API, Chinese output; a bad date, an unknown system, an unreadable or wrong evidence
file or an unknown account is one Chinese error, exit 1, and nothing is written."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eduguard import labels
from eduguard.audit.models import AuditEvent
from eduguard.backup.models import BackupPolicy, DrillEvidence, RecoveryDrill
from eduguard.cli import common as cli_common
from eduguard.cli.main import app
from eduguard.config import get_settings
from eduguard.db.base import utcnow
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role

runner = CliRunner()
TODAY = labels.local_time(utcnow()).date()  # the platform's today (Asia/Shanghai by default)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated home with two units and two systems (学籍系统 id 1, 食堂系统 id 2)."""
    home = tmp_path / "home"
    for key, value in {
        "EDUGUARD_HOME": str(home),
        "EDUGUARD_DATABASE_URL": db_url,
        "EDUGUARD_SECRET_KEY": secrets.token_urlsafe(48),
        "COLUMNS": "240",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(cli_common.console, "_width", 240)  # wide rows, whatever COLUMNS was
    get_settings.cache_clear()
    for args in (
        ("init",),
        ("unit", "create", "丁县教育局", "--kind", "county"),
        ("unit", "create", "丁县一中", "--kind", "school", "--parent", "1"),
        ("system", "create", "学籍系统", "--unit", "2"),
        ("system", "create", "食堂系统", "--unit", "2"),
    ):
        code, out = run(*args)
        assert code == 0, out
    yield home
    get_settings.cache_clear()


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(BackupPolicy)) or 0,
            session.scalar(select(func.count()).select_from(RecoveryDrill)) or 0,
            session.scalar(select(func.count()).select_from(DrillEvidence)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def _set_policy(system: str = "1", *extra: str) -> tuple[int, str]:
    return run(
        "backup",
        "policy",
        "set",
        system,
        "--frequency",
        "daily",
        "--location",
        "校机房备份服务器；每周离线副本",
        "--retention-days",
        "90",
        "--offsite",
        "--encryption",
        "SM4",
        "--rto-target",
        "120",
        "--rpo-target",
        "1440",
        *extra,
    )


def _drill(system: str, when: str, *extra: str) -> tuple[int, str]:
    return run(
        "backup",
        "drill",
        "add",
        system,
        "--date",
        when,
        "--rto",
        "90",
        "--rpo",
        "600",
        "--result",
        "success",
        "--scope",
        "恢复前一日全量备份到测试机",
        *extra,
    )


def test_policy_set_list_and_change(cli: Path, engine: Engine) -> None:
    code, out = run("backup", "policy", "list", "--due")
    assert code == 1 and "缺少备份策略" in out and "学籍系统" in out

    code, out = _set_policy("学籍系统")  # by name
    assert code == 0, out
    assert "已保存 学籍系统 的备份策略（第 1 版）：每天，保存 90 天" in out

    # A change gives only what changes; the rest is kept.
    code, out = run("backup", "policy", "set", "1", "--retention-days", "180", "--no-offsite")
    assert code == 0, out
    assert "第 2 版" in out
    with Session(engine) as session:
        policy = session.scalars(select(BackupPolicy)).one()
        assert (policy.retention_days, policy.offsite, policy.encryption) == (180, False, "SM4")
        assert policy.rto_target_minutes == 120 and policy.updated_by.startswith("cli:")
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "backup_policy")
        ).all()
        assert len(events) == 2 and all(e.username.startswith("cli:") for e in events)

    code, out = run("backup", "policy", "list", "--unit", "2", "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert [(r["system"], r["status"]) for r in rows] == [
        ("学籍系统", "no_drill"),
        ("食堂系统", "no_policy"),
    ]
    assert rows[0]["policy"]["retention_days"] == 180


def test_drills_with_evidence(cli: Path, engine: Engine, tmp_path: Path) -> None:
    assert _set_policy()[0] == 0
    log = tmp_path / "restore.log"
    log.write_text("2026-05-01 09:00 开始恢复\n09:90 恢复完成，行数核对一致\n", encoding="utf-8")
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"signed_by": "张老师"}, ensure_ascii=False), encoding="utf-8")
    when = (TODAY - timedelta(days=30)).isoformat()
    code, out = _drill("1", when, "--evidence", str(log), "--evidence", str(record))
    assert code == 0, out
    assert "已登记恢复演练 1" in out and "证明文件 2 个" in out

    # RTO beyond the policy's target is said so.
    code, out = run(
        "backup", "drill", "add", "学籍系统", "--date", TODAY.isoformat(), "--rto", "300",
        "--rpo", "10", "--result", "partial", "--scope", "只恢复了成绩库",
    )  # fmt: skip
    assert code == 0, out
    assert "RTO 未达到备份策略的目标" in out

    code, out = run("backup", "drill", "list", "1")
    assert code == 0, out
    assert "有备份策略，一年内已演练" in out
    assert "restore.log" in out and "部分恢复" in out and "300 分钟（未达标）" in out

    code, out = run("backup", "drill", "list", "1", "--json")
    state = json.loads(out)
    assert [d["outcome"] for d in state["drills"]] == ["partial", "success"]
    assert [e["name"] for e in state["drills"][1]["evidence"]] == ["restore.log", "record.json"]
    assert state["status"] == "ok" and state["last_drill_on"] == TODAY.isoformat()

    settings = get_settings()
    with Session(engine) as session:
        stored = session.scalars(select(DrillEvidence).order_by(DrillEvidence.id)).all()
        assert (settings.uploads_dir / stored[0].path).read_bytes() == log.read_bytes()
        assert stored[0].uploaded_by.startswith("cli:")


def test_bad_input_writes_nothing(cli: Path, engine: Engine, tmp_path: Path) -> None:
    assert _set_policy()[0] == 0
    before = _counts(engine)
    renamed = tmp_path / "photo.pdf"
    renamed.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    binary = tmp_path / "dump.log"
    binary.write_bytes(b"\x00\x01\x02 binary")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    unreadable = tmp_path / "secret.txt"
    unreadable.write_text("受限的文件", encoding="utf-8")
    unreadable.chmod(0)
    good = tmp_path / "ok.txt"
    good.write_text("恢复日志", encoding="utf-8")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    cases: list[tuple[tuple[str, ...], str]] = [
        (("1", "2026-13-01"), "演练日期格式应为 YYYY-MM-DD"),
        (("1", "昨天"), "演练日期格式应为 YYYY-MM-DD"),
        (("1", tomorrow), "晚于今天"),
        (("99", TODAY.isoformat()), "信息系统不存在：99"),
        (("图书系统", TODAY.isoformat()), "信息系统不存在：图书系统"),
        (("1", TODAY.isoformat(), "--evidence", str(tmp_path / "none.txt")), "证明文件不存在"),
        (("1", TODAY.isoformat(), "--evidence", str(good), "--evidence", str(renamed)), "pdf"),
        (("1", TODAY.isoformat(), "--evidence", str(binary)), "不是 UTF-8 文本文件"),
        (("1", TODAY.isoformat(), "--evidence", str(empty)), "演练证明文件为空"),
        (("1", TODAY.isoformat(), "--evidence", str(tmp_path)), "证明文件不存在或不是文件"),
        (("1", TODAY.isoformat(), "--user", "nobody"), "账户不存在：nobody"),
    ]
    if os.geteuid() != 0:  # root reads a mode-000 file
        cases.append((("1", TODAY.isoformat(), "--evidence", str(unreadable)), "无法读取证明文件"))
    for args, message in cases:
        code, out = _drill(*args)
        assert code == 1, (args, out)
        assert "错误：" in out and message in out, (args, out)
        assert "Traceback" not in out
    for args, message in (
        (("2", "--frequency", "daily"), "尚无备份策略，登记时须给出 --location、--retention-days"),
        (("1", "--retention-days", "0"), "备份策略不正确"),
        (("1", "--location", "x"), "备份策略不正确"),
        (("99", "--retention-days", "30"), "信息系统不存在：99"),
    ):
        code, out = run("backup", "policy", "set", *args)
        assert code == 1 and message in out, (args, out)
    code, out = run("backup", "drill", "list", "99")
    assert code == 1 and "信息系统不存在：99" in out
    assert _counts(engine) == before
    assert not list((get_settings().uploads_dir).glob("backup/**/*.*"))


def test_acting_as_an_account_uses_its_scope(cli: Path, engine: Engine) -> None:
    from eduguard.db.engine import make_session_factory

    code, out = run("unit", "create", "丁县二中", "--kind", "school", "--parent", "1")
    assert code == 0, out
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        identity_service.create_user(
            session,
            username="owner2",
            password="Owner-Passw0rd-for-tests",
            roles={Role.data_owner},
            unit_id=2,
        )
        identity_service.create_user(
            session,
            username="owner_other",
            password="Owner-Passw0rd-for-tests",
            roles={Role.data_owner},
            unit_id=3,
        )
    code, out = _set_policy("1", "--user", "owner2")
    assert code == 0, out
    with Session(engine) as session:
        assert session.scalars(select(BackupPolicy)).one().updated_by == "owner2"
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "backup_policy")
        ).one()
        assert event.username == "owner2" and event.user_id is not None
    # Another school's account does not see the system at all.
    code, out = _drill("1", TODAY.isoformat(), "--user", "owner_other")
    assert code == 1 and "信息系统不存在：1" in out
    code, out = run("backup", "policy", "list", "--user", "owner_other", "--json")
    assert code == 0 and json.loads(out) == []
