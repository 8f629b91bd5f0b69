"""Pre-checks (each holds and fails), the review's steps, approval blocked without the
artefacts, approved fields written for the system, and a plan checked against them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from eduguard.cli.main import app
from eduguard.collection import flows, readers
from eduguard.collection.models import ApprovedField
from eduguard.collection.schemas import DecisionCreate, FieldChoice, PlanCreate, PlanDetails
from eduguard.compliance import service as compliance_service
from eduguard.compliance.schemas import FactsUpdate
from eduguard.config import get_settings
from eduguard.errors import EduguardError, ValidationFailed
from eduguard.orgs.models import InformationSystem
from eduguard.processing import service as processing_service
from eduguard.processing.models import Audience, LegalBasis
from eduguard.processing.schemas import PurposeCreate
from eduguard.reviews.models import ReviewRequest

from .conftest import World
from .plans import OPENAPI_YAML

APP_FORM = "学生姓名\n家长手机号\n身份证号\n家庭住址\n人脸照片 | 刷脸进校\n"


def _request(world: World, form: str = APP_FORM, **details: Any) -> int:
    with world.factory() as session, session.begin():
        data = PlanCreate(system_id=world.app, system_type="jiaxiao_app", **details)
        plan = flows.request(
            session, data, readers.read_form(form), flows.person_of(session, "vendor")
        )
        return plan.id


def _checks(world: World, plan_id: int, who: str = "vendor") -> dict[str, Any]:
    with world.factory() as session:
        read = flows.read(session, plan_id, flows.person_of(session, who))
        return {c.code: c for c in read.checks}


def _update(world: World, plan_id: int, **details: Any) -> None:
    with world.factory() as session, session.begin():
        flows.update(session, plan_id, PlanDetails(**details), flows.person_of(session, "vendor"))


def _decide(world: World, plan_id: int, who: str, decision: str = "approve") -> None:
    with world.factory() as session, session.begin():
        flows.decide(
            session,
            plan_id,
            DecisionCreate(decision=decision, reason="材料齐全，同意"),  # type: ignore[arg-type]
            flows.person_of(session, who),
        )


def _consent_purpose(world: World, *, separate: bool) -> None:
    with world.factory() as session, session.begin():
        processing_service.create_purpose(
            session,
            world.app,
            PurposeCreate(
                name="刷脸进校",
                legal_basis=LegalBasis.consent,
                sensitive_necessity="人脸用于校门身份核验，可选择刷卡替代" if separate else "",
            ),
        )


def _complete(world: World, plan_id: int, tmp: Any) -> None:
    _update(
        world,
        plan_id,
        retention={"表单": "学生毕业后 1 年删除"},
        necessity_argument="校门通行需核验身份，人脸核验比刷卡更难冒用；已比较刷卡方案的不足。",
        ethics_argument="不用于考勤排名或商业用途，可选择刷卡替代",
        meeting_date=date(2026, 11, 20),
        meeting_attendees=["校长", "副校长", "办公室主任"],
        fields=[
            FieldChoice(
                name="身份证号", acquisition="share", justification="入学时与学籍核验学生身份"
            ),
            FieldChoice(name="家庭住址", optional=True, acquisition="share"),
            FieldChoice(name="人脸照片", justification="刷脸进校，家长可选刷卡替代"),
        ],
    )
    with world.factory() as session, session.begin():
        flows.attach_minutes(
            session,
            plan_id,
            "会议纪要.pdf",
            b"%PDF-1.4 minutes",
            flows.person_of(session, "vendor"),
            uploads_dir=tmp,
        )
    _consent_purpose(world, separate=True)


def test_the_app_asking_for_id_address_and_face_fails_and_cannot_be_approved(world: World) -> None:
    plan_id = _request(world)
    checks = _checks(world, plan_id)
    necessary = checks["minimum_necessary"]
    assert necessary.status == "fail"
    assert "第4项" in necessary.cite
    text = "\n".join(necessary.items)
    for name in ("身份证号", "家庭住址", "人脸照片"):
        assert name in text
    assert "家长手机号" not in text  # in the 家校沟通 baseline
    one_source = checks["one_source"]
    assert one_source.status == "fail"
    assert "县学籍管理系统" in "\n".join(one_source.items)
    assert "身份证号" in one_source.items[0] and "共享" in one_source.items[0]
    sensitive = checks["sensitive"]
    assert sensitive.status == "fail" and "第11项" in sensitive.cite
    assert "会议纪要" in sensitive.summary and "单独同意" in sensitive.summary
    assert checks["retention"].status == "fail"
    assert checks["storage"].status == "pass"
    assert checks["large_scale"].status == "na"
    assert checks["children"].status == "na"
    # approval is blocked without the artefacts
    with world.factory() as session, session.begin():
        flows.submit(session, plan_id, flows.person_of(session, "vendor"))
    with pytest.raises(ValidationFailed) as caught:
        _decide(world, plan_id, "owner")
    assert caught.value.code == "collection_checks_failed"
    assert "最小必要" in caught.value.message_zh and "敏感个人信息" in caught.value.message_zh
    with world.factory() as session:
        read = flows.read(session, plan_id, flows.person_of(session, "owner"))
        assert read.state == "submitted" and read.steps[0].status == "pending"
        assert read.may_decide
        assert session.scalar(select(func.count()).select_from(ApprovedField)) == 0
    _decide(world, plan_id, "owner", "return")  # returning for changes is always possible
    with world.factory() as session:
        assert flows.read(session, plan_id, flows.person_of(session, "vendor")).state == "draft"


def test_complete_plan_passes_and_three_steps_approve_it(
    world: World, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_id = _request(world)
    _complete(world, plan_id, tmp_path)
    checks = _checks(world, plan_id)
    assert {code: c.status for code, c in checks.items()} == {
        "minimum_necessary": "pass",
        "one_source": "pass",
        "sensitive": "pass",
        "children": "na",
        "retention": "pass",
        "storage": "pass",
        "large_scale": "na",
    }
    with world.factory() as session, session.begin():
        flows.submit(session, plan_id, flows.person_of(session, "vendor"))
    with world.factory() as session:
        steps = flows.read(session, plan_id, flows.person_of(session, "vendor")).steps
    assert [s.label for s in steps] == [
        "数据主管单位审核",
        "网络安全职能部门审核",
        "个人信息保护负责人审核（含敏感个人信息）",
    ]
    with pytest.raises(EduguardError):
        _decide(world, plan_id, "secadmin")  # not yet their step
    for who in ("owner", "secadmin", "pio"):
        _decide(world, plan_id, who)
    with world.factory() as session:
        assert flows.read(session, plan_id, flows.person_of(session, "sup")).state == "approved"
        approved = {a["name"]: a for a in flows.approved_fields(session, world.app)}
    assert set(approved) == {"学生姓名", "家长手机号", "身份证号", "家庭住址", "人脸照片"}
    assert approved["身份证号"]["acquisition"] == "share" and approved["人脸照片"]["sensitive"]
    # the CI check: a migration adding only approved fields passes, a new one does not
    ddl = (
        "CREATE TABLE t (xm varchar(20) COMMENT '学生姓名', "
        "sj varchar(11) COMMENT '家长手机号', "
        "mz varchar(10) COMMENT '民族');"
    )
    with world.factory() as session:
        result = {
            r.name: r
            for r in flows.check(session, readers.read_ddl(ddl.encode(), "m.sql"), world.app)
        }
    assert result["xm"].approved and result["sj"].approved
    assert not result["mz"].approved and result["mz"].reason == "未经采集审核批准"
    # … and the same on the command line, as a CI step runs it
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setenv("EDUGUARD_HOME", str(settings.home))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", settings.secret_key.get_secret_value())
    get_settings.cache_clear()
    try:
        migration = tmp_path / "V4__add.sql"
        migration.write_text(ddl, encoding="utf-8")
        outcome = CliRunner().invoke(
            app,
            ["collection", "check", str(migration), "--system", str(world.app), "--format", "json"],
        )
        assert outcome.exit_code == 1, outcome.output
        document = json.loads(outcome.output)
        assert document["unapproved"] == 1 and not document["ok"]
        assert [f["name"] for f in document["fields"] if not f["approved"]] == ["mz"]
        migration.write_text(ddl.replace(", mz varchar(10) COMMENT '民族'", ""), encoding="utf-8")
        outcome = CliRunner().invoke(
            app, ["collection", "check", str(migration), "--system", str(world.app)]
        )
        assert outcome.exit_code == 0, outcome.output
        assert "均已批准" in outcome.output
        broken = tmp_path / "broken.xlsx"
        broken.write_bytes(b"PK\x03\x04 broken")
        outcome = CliRunner().invoke(
            app, ["collection", "check", str(broken), "--system", str(world.app)]
        )
        assert outcome.exit_code == 2 and "文件损坏" in outcome.output
        vendor_api = tmp_path / "openapi.yaml"  # a vendor's OpenAPI document in YAML
        vendor_api.write_text(OPENAPI_YAML, encoding="utf-8")
        outcome = CliRunner().invoke(
            app,
            [
                "collection",
                "check",
                str(vendor_api),
                "--system",
                str(world.app),
                "--format",
                "json",
            ],
        )
        assert outcome.exit_code == 1, outcome.output
        names = {f["name"] for f in json.loads(outcome.output)["fields"] if not f["approved"]}
        # 身份证号 was approved (the description names it); the guardian's name was not
        assert "guardian.guardianName" in names and "idCard" not in names
        vendor_api.write_text("openapi: 3.0.0\n  paths: x\n", encoding="utf-8")
        outcome = CliRunner().invoke(
            app, ["collection", "check", str(vendor_api), "--system", str(world.app)]
        )
        assert outcome.exit_code == 2 and "YAML" in outcome.output
    finally:
        get_settings.cache_clear()


def test_each_other_check_holds_and_fails(world: World) -> None:
    """Separate consent, children, storage, item 9 and retention: each fails, then holds once
    what it asks for is there (one world: building one costs seconds)."""
    plan_id = _request(world)
    _update(world, plan_id, necessity_argument="x" * 30, ethics_argument="伦理论证已完成说明")
    _consent_purpose(world, separate=False)  # consent, but nothing said of the sensitive data
    sensitive = _checks(world, plan_id)["sensitive"]
    assert sensitive.status == "fail"
    assert "单独同意" in sensitive.summary and "必要性、科学性论证" not in sensitive.summary

    plan_id = _request(world, "学生姓名\n家长手机号\n", children=True)
    children = _checks(world, plan_id)["children"]
    assert children.status == "fail" and "第10项" in children.cite
    assert "儿童" in children.summary and "监护人同意" not in children.summary  # purpose exists
    with world.factory() as session, session.begin():
        processing_service.publish_version(
            session, world.app, Audience.children, {"title": "儿童个人信息处理规则"}, by="owner"
        )
    assert _checks(world, plan_id)["children"].status == "pass"

    plan_id = _request(world, "学生姓名\n", storage_location="overseas")
    assert _checks(world, plan_id)["storage"].status == "fail"
    _update(world, plan_id, cross_border_ref="网信办出境评估〔2026〕12号")
    assert _checks(world, plan_id)["storage"].status == "pass"

    plan_id = _request(world, "学生姓名\n", expected_subjects=1_200_000)
    large = _checks(world, plan_id)["large_scale"]
    assert large.status == "fail" and "第9项" in large.cite
    assert "等级保护" in large.summary and "备案" in large.summary
    with world.factory() as session, session.begin():
        compliance_service.save_facts(
            session,
            world.app,
            FactsUpdate(pi_officer_name="李老师", provincial_filing_no="备2026-001"),
            by="owner",
        )
        session.get_one(InformationSystem, world.app).mlps_level = 3
    assert _checks(world, plan_id)["large_scale"].status == "pass"

    ddl = (
        "CREATE TABLE a (xm varchar(20) COMMENT '姓名');"
        "CREATE TABLE b (sj varchar(11) COMMENT '手机号', bz text);"
    )
    with world.factory() as session, session.begin():
        plan = flows.request(
            session,
            PlanCreate(system_id=world.app, system_type="jiaxiao_app", retention={"a": "3 年"}),
            readers.read_ddl(ddl.encode(), "m.sql"),
            flows.person_of(session, "vendor"),
        )
        plan_id = plan.id
    retention = _checks(world, plan_id)["retention"]
    assert retention.status == "fail" and retention.items == ["“b”未写明存储期限"]
    _update(world, plan_id, retention={"b": "毕业后 1 年"})
    assert _checks(world, plan_id)["retention"].status == "pass"
    with pytest.raises(ValidationFailed):  # a failing request leaves no half-made review
        _request(world, retention={"不存在的组": "1 年"})
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(ReviewRequest)) == 5
