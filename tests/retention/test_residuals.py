"""Residual copies on the 销毁/归档证明 (issue #20 part 5), on SQLite and PostgreSQL: the
dataset's processors and recipients are read from the processing register and the agreements,
each recorded as confirmed (date, who, letter) or stated as unconfirmed; the system's backup
policy gives "backups until <date>"; an answer after completion reissues the certificate
(signed again, anchored in the audit chain, still verifying offline); bad input stores nothing."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from eduguard import labels
from eduguard.audit.models import AuditEvent
from eduguard.catalog.models import Field
from eduguard.cli import common as cli_common
from eduguard.cli.main import app as cli
from eduguard.config import Settings, get_settings
from eduguard.db.base import utcnow
from eduguard.orgs.models import Agreement, InformationSystem
from eduguard.processing.models import (
    ProcessingPurpose,
    PurposeField,
    PurposeStatus,
    Recipient,
    RecipientKind,
)
from eduguard.retention import certificate, dispositions
from eduguard.retention.models import DispositionRun
from eduguard.retention.residual_models import ResidualConfirmation

from .conftest import World, approved_run, set_rule

TODAY = labels.local_time(utcnow()).date()
LETTER = b"%PDF-1.4\n% synthetic confirmation letter\n%%EOF\n"


def _agreement(world: World, provider: str) -> int:
    with world.factory.begin() as session:
        agreement = Agreement(
            unit_id=world.school,
            system_id=world.system,
            provider=provider,
            valid_from=date(2024, 9, 1),
            valid_until=date(2027, 8, 31),
        )
        session.add(agreement)
        session.flush()
        return agreement.id


def _register(world: World) -> dict[str, str]:
    """A purpose over xs_biye.xm with a processor (under agreement A) and a third party; an
    unlinked agreement B; an outside operator; and holders that must not be listed: a draft
    purpose's recipient, and a recipient of a purpose over another table."""
    linked = _agreement(world, "某云服务有限公司")
    unlinked = _agreement(world, "某测评平台")
    with world.factory.begin() as session:
        fields = {(f.dataset_id, f.name): f.id for f in session.scalars(select(Field)).all()}
        xm = fields[(world.datasets["xs_biye"], "xm")]
        kc = fields[(world.datasets["kc"], "kcm")]

        def purpose(name: str, field: int, status: PurposeStatus, *who: Recipient) -> None:
            session.add(
                ProcessingPurpose(
                    system_id=world.system,
                    name=name,
                    status=status,
                    fields=[PurposeField(field_id=field)],
                    recipients=list(who),
                )
            )

        purpose(
            "学籍管理",
            xm,
            PurposeStatus.active,
            Recipient(
                name="某云服务有限公司",
                kind=RecipientKind.processor,
                agreement_id=linked,
                use="托管学籍库",
            ),
            Recipient(name="区教育局", kind=RecipientKind.third_party, use="统计上报"),
        )
        purpose(
            "草稿目的", xm, PurposeStatus.draft, Recipient(name="草稿接收方", kind="third_party")
        )
        purpose("课程", kc, PurposeStatus.active, Recipient(name="课程平台", kind="processor"))
        session.get_one(InformationSystem, world.system).operator_name = "某运维公司"
        session.flush()
        ids = {r.name: r.id for r in session.scalars(select(Recipient)).all()}
    return {
        "processor": f"recipient:{ids['某云服务有限公司']}",
        "third_party": f"recipient:{ids['区教育局']}",
        "agreement": f"agreement:{unlinked}",
        "operator": f"operator:{world.system}",
    }


def _confirm(world: World, run_id: int, **body: Any) -> Any:
    return world.client.post(f"/api/v1/retention/runs/{run_id}/residuals", json=body)


def _stored(world: World) -> int:
    with world.factory() as session:
        return session.scalar(select(func.count()).select_from(ResidualConfirmation)) or 0


def test_holders_confirmations_backups_and_the_reissued_certificate(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    set_rule(world)
    world.login("sysadmin")
    keys = _register(world)
    run_id = approved_run(world)

    world.login("owner1")
    before = world.client.get(f"/api/v1/retention/runs/{run_id}/residuals")
    assert before.status_code == 200, before.text
    state = before.json()
    assert [(h["key"], h["name"], h["status"]) for h in state["holders"]] == [
        (keys["processor"], "某云服务有限公司", "unconfirmed"),
        (keys["third_party"], "区教育局", "unconfirmed"),
        (keys["agreement"], "某测评平台", "unconfirmed"),
        (keys["operator"], "某运维公司", "unconfirmed"),
    ]
    assert state["backups"]["policy"] is False and "未登记备份策略" in state["statements"][0]

    world.login("sysadmin")
    policy = world.client.put(
        f"/api/v1/backup/systems/{world.system}/policy",
        json={"frequency": "daily", "location": "校机房备份服务器", "retention_days": 90},
    )
    assert policy.status_code == 200, policy.text

    world.login("owner1")
    done = _confirm(
        world,
        run_id,
        holder_key=keys["processor"],
        confirmed=True,
        confirmed_on=(TODAY - timedelta(days=1)).isoformat(),
        note="来函确认已删除托管副本",
        evidence_name="确认函.pdf",
        evidence_base64=base64.b64encode(LETTER).decode(),
    )
    assert done.status_code == 201, done.text
    evidence_id = done.json()["id"]
    assert done.json()["recorded_by"] == "owner1" and done.json()["evidence_sha256"]
    assert (
        _confirm(  # an earlier answer: "not yet" — the newest one counts
            world, run_id, holder_key=keys["agreement"], confirmed=False, note="已发函，尚未回复"
        ).status_code
        == 201
    )

    with world.factory() as session:
        dispositions.execute(
            world.factory, run_id, executor_name="worker", keys_dir=settings.keys_dir
        )
        first = session.get_one(DispositionRun, run_id)
        session.refresh(first)
        first_sm3, text = first.certificate_sm3, first.certificate
    assert text is not None and first_sm3
    document = json.loads(text)
    assert certificate.verify(text.encode()) == []
    until = TODAY + timedelta(days=90)
    statements = document["residual_copies"]
    assert f"直至 {until.isoformat()} 前按备份策略到期销毁" in statements[0]
    assert document["residuals"]["backups"]["until"] == until.isoformat()
    assert any("某云服务有限公司" in s and "确认删除" in s and "SHA-256" in s for s in statements)
    unconfirmed = [s for s in statements if "未确认删除" in s]
    assert len(unconfirmed) == 3 and any("已发函，尚未回复" in s for s in unconfirmed)
    status = {h["key"]: h["status"] for h in document["residuals"]["holders"]}
    assert status == {
        keys["processor"]: "confirmed",
        keys["third_party"]: "unconfirmed",
        keys["agreement"]: "unconfirmed",
        keys["operator"]: "unconfirmed",
    }
    assert "草稿接收方" not in text and "课程平台" not in text

    # The register drops the third party: it was named on the certificate, so it stays listed.
    with world.factory.begin() as session:
        session.delete(session.scalars(select(Recipient).where(Recipient.name == "区教育局")).one())
    letter = tmp_path / "回函.txt"
    letter.write_text("区教育局：已删除上报数据中的相关学生信息。", encoding="utf-8")
    with letter.open("rb") as handle:
        page_form = world.client.post(
            f"/retention/runs/{run_id}/residuals",
            data={
                "holder_key": keys["third_party"],
                "confirmed": "yes",
                "confirmed_on": TODAY.isoformat(),
                "note": "",
                "csrf_token": world.client.headers["X-CSRF-Token"],
            },
            files={"file": ("回函.txt", handle, "text/plain")},
            follow_redirects=False,
        )
    assert page_form.status_code == 303, page_form.text

    reissued = world.client.get(f"/api/v1/retention/runs/{run_id}/certificate.json")
    second = json.loads(reissued.content)
    assert certificate.verify(reissued.content) == []
    assert second["revision"] == 2 and second["supersedes_sm3"] == first_sm3
    assert second["document_sm3"] != first_sm3
    assert second["counts"] == document["counts"] and second["approvers"] == document["approvers"]
    assert {h["key"]: h["status"] for h in second["residuals"]["holders"]}[
        keys["third_party"]
    ] == "confirmed"
    with world.factory() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.run.certificate")
        ).all()
        assert event.username == "owner1" and second["document_sm3"] in (event.reason or "")
        assert first_sm3 in (event.reason or "")
    pdf = world.client.get(f"/api/v1/retention/runs/{run_id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    page = world.client.get(f"/retention/runs/{run_id}")
    assert page.status_code == 200
    assert "仍存在的副本" in page.text and "某运维公司" in page.text and "回函.txt" in page.text
    assert until.isoformat() in page.text
    download = world.client.get(f"/api/v1/retention/runs/{run_id}/residuals/{evidence_id}/evidence")
    assert download.status_code == 200 and download.content == LETTER


def test_bad_answers_store_nothing(world: World) -> None:
    set_rule(world)
    world.login("sysadmin")
    keys = _register(world)
    run_id = approved_run(world)
    world.login("owner1")
    png_as_pdf = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"holder_key": "recipient:999", "confirmed": True, "confirmed_on": TODAY.isoformat()},
         404, "没有登记这一持有方"),
        ({"holder_key": "someone", "confirmed": False}, 422, ""),
        ({"holder_key": keys["processor"], "confirmed": True}, 422, "确认的日期"),
        ({"holder_key": keys["processor"], "confirmed": True, "confirmed_on": tomorrow},
         422, "晚于今天"),
        ({"holder_key": keys["processor"], "confirmed": True, "confirmed_on": TODAY.isoformat(),
          "evidence_name": "函.pdf", "evidence_base64": png_as_pdf}, 422, "不是有效的PDF"),
        ({"holder_key": keys["processor"], "confirmed": True, "confirmed_on": TODAY.isoformat(),
          "evidence_name": "函.exe", "evidence_base64": png_as_pdf}, 422, "不支持的确认函文件类型"),
        ({"holder_key": keys["processor"], "confirmed": False, "evidence_name": "函.pdf"},
         422, "evidence_base64"),
    ]  # fmt: skip
    for body, code, message in cases:
        answer = _confirm(world, run_id, **body)
        assert answer.status_code == code, (body, answer.text)
        assert message in answer.text, (body, answer.text)
    assert _stored(world) == 0

    world.login("owner2")  # another school: the run is not found
    other = _confirm(world, run_id, holder_key=keys["processor"], confirmed=False)
    assert other.status_code == 404
    assert world.client.get(f"/api/v1/retention/runs/{run_id}/residuals").status_code == 404
    world.login("sec1")  # may read, not record
    assert world.client.get(f"/api/v1/retention/runs/{run_id}/residuals").status_code == 200
    denied = _confirm(world, run_id, holder_key=keys["processor"], confirmed=False)
    assert denied.status_code == 403
    assert _stored(world) == 0


def test_no_registered_holder_is_said_so(world: World) -> None:
    set_rule(world)
    run_id = approved_run(world)
    world.login("owner1")
    state = world.client.get(f"/api/v1/retention/runs/{run_id}/residuals").json()
    assert state["holders"] == []
    assert "没有该数据集的受托处理者或接收方" in state["statements"][-1]
    page = world.client.get(f"/retention/runs/{run_id}")
    assert "没有该数据集的受托处理者或接收方" in page.text


def test_the_cli_lists_and_records_answers(
    world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_rule(world)
    world.login("sysadmin")
    keys = _register(world)
    run_id = approved_run(world)
    dispositions.execute(world.factory, run_id, executor_name="worker", keys_dir=settings.keys_dir)
    for name, value in {
        "EDUGUARD_HOME": str(settings.home),
        "EDUGUARD_DATABASE_URL": settings.effective_database_url,
        "EDUGUARD_SECRET_KEY": settings.secret_key.get_secret_value(),
        "COLUMNS": "240",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    monkeypatch.setattr(cli_common.console, "_width", 240)  # COLUMNS is read at import
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, ["retention", *args])
        return result.exit_code, result.output

    try:
        code, out = run("residuals", str(run_id))
        assert code == 0, out
        assert "某云服务有限公司" in out and "未确认" in out and keys["operator"] in out
        letter = tmp_path / "回函.txt"
        letter.write_text("某运维公司：运维过程中未留存任何副本。", encoding="utf-8")
        today = TODAY.isoformat()
        for args, message in (
            (("--confirmed", "--date", "2026-02-30"), "确认日期格式应为 YYYY-MM-DD"),
            (("--confirmed",), "确认的日期"),
            (("--confirmed", "--date", today, "--evidence", str(tmp_path / "无.pdf")), "不存在"),
            (("--holder", "recipient:999", "--not-confirmed"), "没有登记这一持有方"),
        ):
            holder = () if "--holder" in args else ("--holder", keys["operator"])
            code, out = run("confirm", str(run_id), *holder, *args)
            assert code == 1 and "错误：" in out and message in out, (args, out)
        assert _stored(world) == 0
        world.login("owner1")
        before = world.client.get(f"/api/v1/retention/runs/{run_id}").json()["certificate_sm3"]
        code, out = run(
            "confirm", str(run_id), "--holder", keys["operator"], "--confirmed", "--date", today,
            "--evidence", str(letter), "--user", "owner1",
        )  # fmt: skip
        assert code == 0, out
        assert "已登记 某运维公司：已确认删除" in out and "证明已重新出具" in out
        code, out = run("residuals", str(run_id), "--json")
        state = json.loads(out)
        [operator] = [h for h in state["holders"] if h["key"] == keys["operator"]]
        assert operator["status"] == "confirmed" and operator["latest"]["recorded_by"] == "owner1"
        assert operator["latest"]["evidence_name"] == "回函.txt"
        after = world.client.get(f"/api/v1/retention/runs/{run_id}/certificate.json").json()
        assert after["supersedes_sm3"] == before and after["document_sm3"] != before
    finally:
        get_settings.cache_clear()
