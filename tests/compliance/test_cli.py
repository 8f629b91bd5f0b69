"""``eduguard compliance …`` on both databases."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from eduguard import labels
from eduguard.audit.models import AuditEvent
from eduguard.cli.main import app
from eduguard.compliance.models import Finding
from eduguard.config import get_settings
from eduguard.db.engine import make_engine, make_session_factory
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import StorageLocation
from eduguard.orgs.schemas import SystemUpdate

from .conftest import make_world

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EDUGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_evaluate_facts_task_and_reports(cli_env: None, db_url: str, tmp_path: Path) -> None:
    assert run("init")[0] == 0
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        world = make_world(session)
        orgs_service.update_system(
            session, world.school_a_system, SystemUpdate(storage_location=StorageLocation.overseas)
        )
    code, out = run("compliance", "rules")
    assert code == 0 and "N9-PI-OFFICER" in out, out
    code, out = run("compliance", "evaluate")
    assert code == 0 and "合规评估完成" in out, out
    code, out = run("compliance", "findings", "--unit", str(world.school_a))
    assert code == 0 and "N5-DOMESTIC" in out, out

    target = tmp_path / "out" / "report.json"
    code, out = run(
        "compliance", "report", "--format", "json", "--output", str(target),
        "--unit", str(world.county),
    )  # fmt: skip
    assert code == 0, out
    document = json.loads(target.read_text(encoding="utf-8"))
    rule_ids = {(f["rule_id"], f["system"], f["status"]) for f in document["findings"]}
    assert ("N5-DOMESTIC-STORAGE", "一小家校 App", "open") in rule_ids
    pdf = tmp_path / "report.pdf"
    assert run("compliance", "report", "--format", "pdf", "--output", str(pdf))[0] == 0
    assert len(PdfReader(io.BytesIO(pdf.read_bytes())).pages) >= 1

    # Facts via --set, then re-evaluate: resolved.
    code, out = run(
        "compliance", "facts", str(world.school_a_system),
        "--set", "cross_border_assessment_ref=示例评估〔2026〕5号",
        "--set", "cross_border_assessment_date=2025-11-03",
        "--set", "guardian_consent_recorded=true",
    )  # fmt: skip
    assert code == 0 and "示例评估" in out, out
    code, out = run("compliance", "evaluate", "--unit", str(world.school_a))
    assert code == 0 and "已整改 1 项" in out, out

    with factory() as session:
        finding = session.scalar(select(Finding).where(Finding.rule_id == "N9-PI-OFFICER"))
        assert finding is None
        task_id = session.scalar(select(Finding).where(Finding.rule_id == "N3-CATALOG-REVIEWED"))
        assert task_id is not None and task_id.task is not None
        tid = task_id.task.id
    code, out = run("compliance", "task", str(tid), "--close", "系统下线中")
    assert code == 0 and "已关闭" in out, out
    code, out = run("compliance", "task", str(tid), "--close", "再次关闭")
    assert code == 1 and "只能关闭待整改的任务" in out, out
    with factory() as session:
        actions = set(session.scalars(select(AuditEvent.action)).all())
    assert {"compliance.evaluate", "compliance.report.export", "compliance_facts.create"} <= actions
    assert "compliance_task.update" in actions
    engine.dispose()


def test_a_report_without_output_is_a_dated_file_here_or_goes_to_stdout(
    cli_env: None, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init")[0] == 0
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session, session.begin():
        world = make_world(session)
    engine.dispose()
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    day = labels.local_time(datetime.now(UTC), "Asia/Shanghai").strftime("%Y%m%d")
    code, out = run("compliance", "report", "--unit", str(world.county))
    assert code == 0, out
    made = folder / f"乙县教育局-合规报告-{day}.pdf"
    assert made.read_bytes().startswith(b"%PDF-")
    assert str(made) in out.replace("\n", "")  # the path is said, in full
    code, out = run("compliance", "report", "--unit", str(world.county))  # kept, not overwritten
    assert code == 0 and (folder / f"乙县教育局-合规报告-{day}-2.pdf").is_file(), out
    code, out = run("compliance", "report", "--format", "json", "--output", "-")
    assert code == 0 and json.loads(out)["findings"] is not None
    code, out = run("compliance", "report", "--output", "-")
    assert code == 1 and "PDF 不能输出到终端" in out
    assert sorted(p.name for p in folder.iterdir()) == [
        f"乙县教育局-合规报告-{day}-2.pdf",
        f"乙县教育局-合规报告-{day}.pdf",
    ]


def test_bad_input_is_one_chinese_line(cli_env: None, tmp_path: Path) -> None:
    assert run("init")[0] == 0
    code, out = run("compliance", "report", "--format", "docx", "--output", str(tmp_path / "x"))
    assert code == 1 and "报告格式须为 json、html 或 pdf" in out
    broken = tmp_path / "rules.toml"
    broken.write_text('version = "x"\n[weights]\nhigh = 1\n', encoding="utf-8")
    code, out = run("compliance", "evaluate", "--rules", str(broken))
    assert code == 1 and str(broken) in out and "weights" in out and "Traceback" not in out
    code, out = run("compliance", "facts", "999", "--set", "ghost=1")
    assert code == 1 and "无法识别的事实项" in out
    code, out = run("compliance", "facts", "999")
    assert code == 1 and "不存在" in out, out
    assert not (tmp_path / "x").exists()
