"""Facts a unit records of its own duties (items 7, 15, 16; NDSR Art. 30), the sharing facts of
a system, and the wider scopes the review asked for: minors under 18 for access records, sharing
as a PIA trigger, dates after the evaluation never evidence (issue #16)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.audit.models import AuditEvent
from eduguard.catalog import flows as catalog_flows
from eduguard.compliance import checks, flows, report
from eduguard.compliance.models import Finding, FindingStatus
from eduguard.compliance.rules import default_rules
from eduguard.compliance.schemas import FactsUpdate, UnitFactsUpdate
from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.schemas import UnitUpdate

from .conftest import TODAY, World, add_catalog, students_table
from .test_api import setup_world

RETENTION = 180


def _open(session: Session, rule_id: str, subject: str) -> Finding | None:
    return session.scalar(
        select(Finding).where(
            Finding.rule_id == rule_id,
            Finding.subject_key == subject,
            Finding.status == FindingStatus.open,
        )
    )


def _evaluate(session: Session) -> None:
    flows.evaluate(session, today=TODAY, audit_retention_days=RETENTION)
    session.commit()


def test_unit_duties_fail_until_recorded_then_resolve(session: Session, world: World) -> None:
    _evaluate(session)
    subject = f"unit:{world.school_a}"
    for rule_id in ("N15-SECURITY-RULES", "N15-INCIDENT-PLAN", "N16-TRAINING", "N7-SHARING-LIST"):
        finding = _open(session, rule_id, subject)
        assert finding is not None and finding.evidence.startswith("登记了 1 个信息系统；单位")
    flows.save_unit_facts(
        session,
        world.school_a,
        UnitFactsUpdate(
            security_rules_ref="一小数据安全管理办法",
            security_rules_date=TODAY - timedelta(days=30),
            incident_plan_ref="一小应急预案",
            incident_plan_date=TODAY - timedelta(days=30),
            incident_plan_covers_data=True,
            training_record_ref="培训签到表",
            last_training_date=TODAY - timedelta(days=30),
            open_catalog_ref="官网/开放目录",
            sharing_list_ref="共享责任清单",
        ),
        scope="/",
        by="tester",
    )
    _evaluate(session)
    for rule_id in ("N15-SECURITY-RULES", "N15-INCIDENT-PLAN", "N16-TRAINING", "N7-SHARING-LIST"):
        assert _open(session, rule_id, subject) is None
        assert _open(session, rule_id, f"unit:{world.school_b}") is not None  # per unit


def test_a_future_date_is_refused_and_is_never_evidence() -> None:
    with pytest.raises(ValueError, match="last_training_date"):
        UnitFactsUpdate(last_training_date=date.today() + timedelta(days=1))
    unit = checks.UnitSnap(1, "示例学校", "/1/", "school", 1)
    unit.facts = {"security_rules_ref": "办法", "security_rules_date": TODAY + timedelta(days=5)}
    context = checks.Context(TODAY, RETENTION)
    outcome = checks.unit_fact_present(
        unit, {"facts": ("security_rules_ref", "security_rules_date")}, context
    )
    assert outcome is not None and "晚于评估日期" in outcome.evidence
    unit.facts = {"training_record_ref": "签到表", "last_training_date": TODAY + timedelta(days=5)}
    params = {"ref": "training_record_ref", "date": "last_training_date", "max_age_days": 365}
    late = checks.unit_record_within_days(unit, params, context)
    assert late is not None and "晚于评估日期" in late.evidence
    system = checks.SystemSnap(1, "示例系统", 1, "domestic", 3, 100, None)
    system.facts = {"collection_rules_ref": "官网", "collection_rules_date": TODAY + timedelta(1)}
    refused = checks.fact_present(
        system, {"facts": ("collection_rules_ref", "collection_rules_date")}, context
    )
    assert refused is not None and "晚于评估日期" in refused.evidence


def test_data_security_officer_is_the_units_and_accepts_system_officer_and_department(
    session: Session, world: World
) -> None:
    table = students_table(minors=False)
    table["level"] = "important"
    add_catalog(session, world.school_a_system, [table])
    flows.save_facts(
        session,
        world.school_a_system,
        FactsUpdate(data_security_officer_name="周主任"),
        scope="/",
        by="t",
    )
    _evaluate(session)
    finding = _open(session, "N13-DATA-SECURITY-OFFICER", f"unit:{world.school_a}")
    assert finding is not None and "网络数据安全管理机构" in finding.evidence
    assert "网络数据安全负责人" not in finding.evidence.split("单位未明确")[1]
    assert _open(session, "N13-DATA-SECURITY-OFFICER", f"unit:{world.school_b}") is None
    orgs_service.update_unit(session, world.school_a, UnitUpdate(security_department="信息中心"))
    _evaluate(session)
    assert _open(session, "N13-DATA-SECURITY-OFFICER", f"unit:{world.school_a}") is None


def test_access_records_cover_high_school_pupils(session: Session, world: World) -> None:
    """未成年人网络保护条例 Art. 36 covers everyone under 18: a school's PI without the
    under-14 flag (14–17-year-olds) still needs access approval and records."""
    add_catalog(session, world.school_a_system, [students_table(minors=False)])
    _evaluate(session)
    subject = f"system:{world.school_a_system}"
    finding = _open(session, "N10-ACCESS-LOGGED", subject)
    assert finding is not None and finding.severity == "high"
    assert "不满十八周岁" in finding.evidence
    assert _open(session, "N10-GUARDIAN-CONSENT", subject) is None  # under 14 only
    flows.save_facts(
        session, world.school_a_system, FactsUpdate(minors_access_logged=True), scope="/", by="t"
    )
    _evaluate(session)
    assert _open(session, "N10-ACCESS-LOGGED", subject) is None


def test_sharing_calls_for_a_pia(session: Session, world: World) -> None:
    """PIPL Art. 55(三): providing PI to others is a PIA trigger, like sensitive PI."""
    add_catalog(session, world.school_b_system, [students_table(minors=False)])
    _evaluate(session)
    subject = f"system:{world.school_b_system}"
    assert _open(session, "N13-PIA", subject) is None
    flows.save_facts(
        session, world.school_b_system, FactsUpdate(pi_shared_with_others=True), scope="/", by="t"
    )
    _evaluate(session)
    pia = _open(session, "N13-PIA", subject)
    assert pia is not None and "向其他单位或第三方提供个人信息" in pia.evidence


def test_the_pdf_and_html_explain_the_score_model() -> None:
    ruleset = default_rules()
    text = report.score_model(ruleset)
    total = sum(ruleset.weights[rule.severity] for rule in ruleset.rules)
    assert f"权重之和 {total}" in text and ruleset.version in text
    assert f"全部 {len(ruleset.rules)} 条规则" in text


def test_unit_facts_through_api_console_and_audit(admin_client: TestClient, accounts: Any) -> None:
    ids = setup_world(admin_client)
    accounts.create("owner-a", {Role.data_owner}, unit_id=ids["a"])
    accounts.login(admin_client, "owner-a")
    url = f"/api/v1/units/{ids['a']}/compliance-facts"
    assert admin_client.get(url).json()["last_training_date"] is None
    saved = admin_client.patch(url, json={"sharing_list_ref": "共享责任清单（2026）"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["sharing_list_ref"] == "共享责任清单（2026）"
    future = admin_client.patch(url, json={"last_training_date": "2999-01-01"})
    assert future.status_code == 422
    unknown = admin_client.patch(url, json={"no_such_fact": "x"})
    assert unknown.status_code == 422
    other = f"/api/v1/units/{ids['b']}/compliance-facts"
    assert admin_client.get(other).status_code == 404
    assert admin_client.patch(other, json={"sharing_list_ref": "x"}).status_code == 404
    page = admin_client.get(f"/compliance/units/{ids['a']}")
    assert page.status_code == 200 and "数据共享责任清单" in page.text
    posted = admin_client.post(
        f"/compliance/units/{ids['a']}",
        data={
            "csrf_token": admin_client.headers["X-CSRF-Token"],
            "sharing_list_ref": "共享责任清单（2026）",
            "incident_plan_covers_data": "true",
            "last_training_date": "2999-01-01",
        },
    )
    assert posted.status_code == 422 and "晚于今天" in posted.text
    assert admin_client.get(url).json()["incident_plan_covers_data"] is False  # nothing written
    posted = admin_client.post(
        f"/compliance/units/{ids['a']}",
        data={
            "csrf_token": admin_client.headers["X-CSRF-Token"],
            "sharing_list_ref": "共享责任清单（2026）",
            "incident_plan_covers_data": "true",
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert admin_client.get(url).json()["incident_plan_covers_data"] is True
    assert admin_client.get(f"/compliance/units/{ids['b']}").status_code == 404
    state = admin_client.app.state  # type: ignore[attr-defined]
    with state.session_factory() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "compliance_unit_facts")
        ).all()
    assert events and all("共享责任清单" not in (e.reason or "") for e in events)


def test_an_agreement_must_state_scope_scenarios_and_boundaries() -> None:
    """Item 2: a current agreement without 使用边界 is not the agreement the notice asks for."""
    system = checks.SystemSnap(7, "示例平台", 1, "domestic", 2, 500, "示例科技")
    context = checks.Context(TODAY, RETENTION)
    window = (TODAY - timedelta(days=10), TODAY + timedelta(days=300))
    system.agreements = [checks.AgreementSnap("示例科技", 7, *window, "学生信息", "作业批改", "")]
    missing = checks.agreement_valid(system, {}, context)
    assert missing is not None and "使用边界" in missing.evidence
    system.agreements = [
        checks.AgreementSnap("示例科技", 7, *window, "学生信息", "作业批改", "不得留存")
    ]
    assert checks.agreement_valid(system, {}, context) is None


def test_whole_table_important_data_proposals_are_kept_for_review(
    session: Session, world: World
) -> None:
    table = students_table(minors=False)
    table["proposals"] = ["建议复核为 important（整表）：区域性学生健康数据（示例依据）"]
    [dataset] = add_catalog(session, world.school_a_system, [table])
    assert dataset.level == "general-4"  # a proposal never grades the table
    shown = flows.important_proposals(session, world.school_a_system, scope="/")
    assert shown == [("xs_jbxx", table["proposals"][0])]
    assert catalog_flows.dataset_reads(session, [dataset])[0].proposals == table["proposals"]
    assert flows.important_proposals(session, world.school_b_system, scope="/") == []
