"""Each rule of the packaged rule file: a case where it holds and one where it fails."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.backup import flows as backup_flows
from eduguard.backup.models import DrillOutcome, Frequency
from eduguard.backup.schemas import DrillIn, PolicyIn
from eduguard.catalog import flows as catalog_flows
from eduguard.compliance import flows, rules
from eduguard.compliance.models import Finding, FindingStatus
from eduguard.compliance.schemas import FactsUpdate, UnitFactsUpdate
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import StorageLocation, SystemKind
from eduguard.orgs.schemas import SystemCreate, SystemUpdate, UnitUpdate
from eduguard.retention import flows as retention_flows
from eduguard.retention.models import Disposition, PeriodUnit, Trigger
from eduguard.retention.schemas import RuleIn

from .conftest import (
    TODAY,
    World,
    add_catalog,
    admins,
    agreement,
    column,
    publish_rules,
    purpose,
    students_table,
)

Setup = Callable[[Session, World, bool], tuple[str, int]]
RETENTION = 180


def facts(session: Session, system_id: int, **values: object) -> None:
    flows.save_facts(session, system_id, FactsUpdate(**values), scope="/", by="tester")


def large(session: Session, w: World) -> int:
    orgs_service.update_system(
        session, w.school_a_system, SystemUpdate(pi_subject_count=1_200_000, mlps_level=3)
    )
    return w.school_a_system


def pi_officer(session: Session, w: World, holds: bool) -> tuple[str, int]:
    system = large(session, w)
    if holds:
        facts(session, system, pi_officer_name="张示例")
    return f"system:{system}", RETENTION


def filing(session: Session, w: World, holds: bool) -> tuple[str, int]:
    system = large(session, w)
    facts(session, system, provincial_filing_no="示例备-2026-001")
    if holds:
        facts(session, system, provincial_filing_date=TODAY - timedelta(days=20))
    return f"system:{system}", RETENTION


def mlps(session: Session, w: World, holds: bool) -> tuple[str, int]:
    system = large(session, w)
    if not holds:
        orgs_service.update_system(session, system, SystemUpdate(mlps_level=2))
    return f"system:{system}", RETENTION


def annual_audit(session: Session, w: World, holds: bool) -> tuple[str, int]:
    system = large(session, w)
    age = 30 if holds else 400
    facts(session, system, last_security_audit_date=TODAY - timedelta(days=age))
    return f"system:{system}", RETENTION


def minors_fact(name: str) -> Setup:
    def setup(session: Session, w: World, holds: bool) -> tuple[str, int]:
        add_catalog(session, w.school_a_system, [students_table(minors=True)])
        if holds:
            facts(session, w.school_a_system, **{name: True})
        return f"system:{w.school_a_system}", RETENTION

    return setup


def sensitive_fact(**values: object) -> Setup:
    def setup(session: Session, w: World, holds: bool) -> tuple[str, int]:
        add_catalog(session, w.school_a_system, [students_table(minors=False, sensitive=True)])
        if holds:
            facts(session, w.school_a_system, **values)
        else:  # half-filled is not enough
            first = next(iter(values))
            if isinstance(values[first], str):
                facts(session, w.school_a_system, **{first: values[first]})
        return f"system:{w.school_a_system}", RETENTION

    return setup


def domestic(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Overseas storage needs an assessment with its number *and* date (a number alone fails);
    the system holds no PI: item 5 covers all non-public data."""
    orgs_service.update_system(
        session, w.school_a_system, SystemUpdate(storage_location=StorageLocation.overseas)
    )
    facts(session, w.school_a_system, cross_border_assessment_ref="示例评估〔2026〕1号")
    if holds:
        facts(session, w.school_a_system, cross_border_assessment_date=TODAY - timedelta(days=40))
    return f"system:{w.school_a_system}", RETENTION


def responsibility(session: Session, w: World, holds: bool) -> tuple[str, int]:
    update = UnitUpdate(principal_leader="钱校长", leader_in_charge="孙副校长")
    if holds:
        update = UnitUpdate(
            principal_leader="钱校长", leader_in_charge="孙副校长", security_department="信息中心"
        )
    orgs_service.update_unit(session, w.school_a, update)
    return f"unit:{w.school_a}", RETENTION


def mlps_record(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Level 3 needs a filing number and a 测评 within a year."""
    orgs_service.update_system(
        session, w.school_a_system, SystemUpdate(mlps_level=3, mlps_filing_no="示例备-001")
    )
    age = 100 if holds else 500
    facts(session, w.school_a_system, last_mlps_assessment_date=TODAY - timedelta(days=age))
    return f"system:{w.school_a_system}", RETENTION


def unit_officer(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Two systems of 600,000 people each: the unit (the processor) passes 1,000,000."""
    for name in ("甲系统", "乙系统"):
        orgs_service.create_system(
            session, SystemCreate(name=name, unit_id=w.school_a, pi_subject_count=600_000)
        )
    if holds:
        facts(session, w.school_a_system, pi_officer_name="张示例")
    return f"unit:{w.school_a}", RETENTION


def app_cert(session: Session, w: World, holds: bool) -> tuple[str, int]:
    orgs_service.update_system(
        session,
        w.school_a_system,
        SystemUpdate(kind=SystemKind.app, pi_subject_count=1_500_000, mlps_level=3),
    )
    if holds:
        facts(session, w.school_a_system, pi_certification_ref="示例认证-2026-0001")
    return f"system:{w.school_a_system}", RETENTION


def pia(session: Session, w: World, holds: bool) -> tuple[str, int]:
    add_catalog(session, w.school_a_system, [students_table(minors=False, sensitive=True)])
    age = 300 if holds else 1200
    facts(session, w.school_a_system, pia_date=TODAY - timedelta(days=age))
    return f"system:{w.school_a_system}", RETENTION


def minors_audit(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """A school's system with PI but no under-14 flag (a high school): still minors' data."""
    add_catalog(session, w.school_a_system, [students_table(minors=False)])
    if holds:
        facts(session, w.school_a_system, minors_compliance_audit_date=TODAY - timedelta(days=90))
    return f"system:{w.school_a_system}", RETENTION


def important(session: Session, w: World) -> None:
    table = students_table(minors=False)
    table["level"] = "important"
    add_catalog(session, w.school_a_system, [table])


def unit_facts(session: Session, unit_id: int, **values: object) -> None:
    flows.save_unit_facts(session, unit_id, UnitFactsUpdate(**values), scope="/", by="tester")


def data_security_officer(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """NDSR Art. 30 is the processor's (the unit's) duty: an officer *and* a department."""
    important(session, w)
    unit_facts(session, w.school_a, data_security_officer_name="周主任")
    if holds:
        unit_facts(session, w.school_a, data_security_department="信息中心")
    return f"unit:{w.school_a}", RETENTION


def sharing_approval(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Sharing PI of 1,000,000+ people needs the provincial department's approval first."""
    system = large(session, w)
    add_catalog(session, system, [students_table(minors=False)])
    facts(session, system, pi_shared_with_others=True)
    if holds:
        facts(session, system, sharing_approval_ref="示例省教育厅审核同意〔2026〕5号")
    return f"system:{system}", RETENTION


def children_sharing(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Sharing children's data: an assessment and a signed letter (the assessment alone fails)."""
    add_catalog(session, w.school_a_system, [students_table(minors=True)])
    facts(
        session,
        w.school_a_system,
        pi_shared_with_others=True,
        children_sharing_assessment_ref="数据安全评估报告〔2026〕2号",
    )
    if holds:
        facts(session, w.school_a_system, children_sharing_letter_ref="安全责任书 2026-001")
    return f"system:{w.school_a_system}", RETENTION


def security_rules(session: Session, w: World, holds: bool) -> tuple[str, int]:
    unit_facts(session, w.school_a, security_rules_ref="一小数据安全管理办法")
    if holds:
        unit_facts(session, w.school_a, security_rules_date=TODAY - timedelta(days=200))
    return f"unit:{w.school_a}", RETENTION


def incident_plan(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """A plan on record that does not cover data incidents fails."""
    unit_facts(
        session,
        w.school_a,
        incident_plan_ref="一小网络安全事件应急预案",
        incident_plan_date=TODAY - timedelta(days=100),
        incident_plan_covers_data=holds,
    )
    return f"unit:{w.school_a}", RETENTION


def training(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Training with its record, within 12 months (the platform's reading of 定期)."""
    unit_facts(
        session,
        w.school_a,
        training_record_ref="网络安全宣传周培训签到表",
        last_training_date=TODAY - timedelta(days=120 if holds else 400),
    )
    return f"unit:{w.school_a}", RETENTION


def sharing_list(session: Session, w: World, holds: bool) -> tuple[str, int]:
    unit_facts(session, w.school_a, open_catalog_ref="学校官网/数据开放目录")
    if holds:
        unit_facts(session, w.school_a, sharing_list_ref="一小数据共享责任清单（2026）")
    return f"unit:{w.school_a}", RETENTION


def risk_assessment(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Assessed within the year is not enough: the report must have gone upward."""
    important(session, w)
    facts(
        session,
        w.school_a_system,
        risk_assessment_date=TODAY - timedelta(days=60),
        risk_assessment_reported=holds,
    )
    return f"system:{w.school_a_system}", RETENTION


def retention(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """A rule the platform enforces holds; a period only written in the catalog fails."""
    [dataset] = add_catalog(session, w.school_a_system, [students_table()])
    catalog_flows.set_retention(session, dataset.id, "毕业后 3 年", scope="/")
    if holds:
        rule = RuleIn(
            trigger=Trigger.event,
            event_name="学生毕业",
            period_value=3,
            period_unit=PeriodUnit.years,
            disposition=Disposition.delete,
            key_column="xh",
        )
        retention_flows.save_rule(session, dataset.id, rule, scope="/", by="admin")
    return f"dataset:{dataset.id}", RETENTION


def backup_recovery(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Notice item 5: a backup policy and a recovery drill within twelve months (one 400 days
    old fails); the policy and drill come from the backup domain, not from facts."""
    policy = PolicyIn(frequency=Frequency.daily, location="校机房备份服务器", retention_days=30)
    backup_flows.save_policy(session, w.school_a_system, policy, scope="/", by="admin")
    drill = DrillIn(
        drilled_on=TODAY - timedelta(days=100 if holds else 400),
        scope="恢复前一日全量备份到测试机",
        outcome=DrillOutcome.success,
        rto_minutes=60,
        rpo_minutes=1440,
    )
    backup_flows.record_drill(session, w.school_a_system, drill, scope="/", by="admin", today=TODAY)
    return f"system:{w.school_a_system}", RETENTION


def third_party(session: Session, w: World, holds: bool) -> tuple[str, int]:
    orgs_service.update_system(session, w.school_a_system, SystemUpdate(operator_name="示例科技"))
    agreement(session, w.school_a, w.school_a_system, "示例科技", 60 if holds else -10)
    return f"system:{w.school_a_system}", RETENTION


def log_retention(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """The system's own operation log (not eduguard's): complete and kept ≥ 180 days."""
    add_catalog(session, w.school_a_system, [students_table()])
    facts(
        session,
        w.school_a_system,
        operation_logs_complete=True,
        operation_log_retention_days=180 if holds else 90,
    )
    return f"system:{w.school_a_system}", RETENTION


def separation(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """The system's three administrators are recorded and are three people; eduguard's own
    accounts (even all three roles held at the province) do not make a system pass."""
    admins(session, w.county)
    auditor = "王审计" if holds else "李系统"
    facts(
        session,
        w.school_a_system,
        system_admin_name="李系统",
        security_admin_name="赵安全",
        audit_admin_name=auditor,
    )
    return f"system:{w.school_a_system}", RETENTION


def encryption(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Notice item 8: PI (not only sensitive fields) encrypted in storage and in transit."""
    add_catalog(session, w.school_a_system, [students_table(minors=False)])
    facts(session, w.school_a_system, pi_encrypted_storage=True, pi_encrypted_transit=holds)
    return f"system:{w.school_a_system}", RETENTION


def catalog_review(session: Session, w: World, holds: bool) -> tuple[str, int]:
    add_catalog(session, w.school_a_system, [students_table()], review=holds)
    return f"system:{w.school_a_system}", RETENTION


def collection_rules(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Notice item 4: the published collection rules, with where and since when."""
    add_catalog(session, w.school_a_system, [students_table(minors=False)])
    facts(
        session,
        w.school_a_system,
        collection_rules_ref="学校官网“个人信息收集使用规则”",
        collection_rules_date=TODAY - timedelta(days=100) if holds else None,
    )
    return f"system:{w.school_a_system}", RETENTION


def legal_basis(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """PIPL Art. 13: every PI field used by an active purpose with a basis."""
    add_catalog(session, w.school_a_system, [students_table(minors=False)])
    purpose(session, w.school_a_system, ["xm", "sfzjh"] if holds else ["xm"])
    return f"system:{w.school_a_system}", RETENTION


def sensitive_necessity(session: Session, w: World, holds: bool) -> tuple[str, int]:
    add_catalog(session, w.school_a_system, [students_table(minors=False, sensitive=True)])
    purpose(session, w.school_a_system, ["jkzk"], necessity="晨检与传染病防控所需" if holds else "")
    return f"system:{w.school_a_system}", RETENTION


def children_rules(session: Session, w: World, holds: bool) -> tuple[str, int]:
    add_catalog(session, w.school_a_system, [students_table(minors=True)])
    purpose(session, w.school_a_system, ["xm", "sfzjh"])
    if holds:
        publish_rules(session, w.school_a_system)
    return f"system:{w.school_a_system}", RETENTION


def collection_review(session: Session, w: World, holds: bool) -> tuple[str, int]:
    """Notice item 4: a later scan of the same source finds a new personal column (mobile
    number); without a collection review approving it the rule fails. The first scan's columns
    are what was collected before: they alone raise nothing."""
    from eduguard.catalog import service as catalog_service
    from eduguard.catalog.models import DataSource, RunStatus
    from eduguard.db.base import utcnow

    table = students_table(minors=False)
    add_catalog(session, w.school_a_system, [table])
    if not holds:
        source = session.scalars(
            select(DataSource).where(DataSource.system_id == w.school_a_system)
        ).one()
        run = catalog_service.queue_run(session, source, requested_by="test")
        run.status, run.finished_at = RunStatus.succeeded, utcnow()
        wider = {**table, "columns": [*table["columns"], column("lxdh", ["MOBILE_PHONE"])]}
        catalog_flows.apply_run(session, run, {"report_version": 1, "tables": [wider]})
    return f"system:{w.school_a_system}", RETENTION


CASES: dict[str, Setup] = {
    "N4-COLLECTION-REVIEW": collection_review,
    "N9-PI-OFFICER": pi_officer,
    "N9-PROVINCIAL-FILING": filing,
    "N9-MLPS-LEVEL3": mlps,
    "N9-ANNUAL-AUDIT": annual_audit,
    "N10-GUARDIAN-CONSENT": minors_fact("guardian_consent_recorded"),
    "N10-ACCESS-LOGGED": minors_fact("minors_access_logged"),
    "N11-SEPARATE-CONSENT": sensitive_fact(separate_consent_recorded=True),
    "N11-COLLECTIVE-DECISION": sensitive_fact(
        collective_decision_ref="校务会纪要〔2026〕3号",
        collective_decision_date=TODAY - timedelta(days=10),
    ),
    "N5-DOMESTIC-STORAGE": domestic,
    "N5-RETENTION": retention,
    "N5-BACKUP-RECOVERY": backup_recovery,
    "N8-ENCRYPTION": encryption,
    "N2-THIRD-PARTY-AGREEMENT": third_party,
    "N6-AUDIT-LOG-RETENTION": log_retention,
    "N6-ADMIN-SEPARATION": separation,
    "N3-CATALOG-REVIEWED": catalog_review,
    "N1-RESPONSIBILITY": responsibility,
    "N2-MLPS": mlps_record,
    "N9-PI-OFFICER-UNIT": unit_officer,
    "N9-APP-CERT": app_cert,
    "N13-PIA": pia,
    "N10-MINORS-AUDIT": minors_audit,
    "N13-DATA-SECURITY-OFFICER": data_security_officer,
    "N13-RISK-ASSESSMENT": risk_assessment,
    "N4-COLLECTION-RULES": collection_rules,
    "N9-SHARING-APPROVAL": sharing_approval,
    "N10-CHILDREN-SHARING": children_sharing,
    "N15-SECURITY-RULES": security_rules,
    "N15-INCIDENT-PLAN": incident_plan,
    "N16-TRAINING": training,
    "N7-SHARING-LIST": sharing_list,
    "N4-LEGAL-BASIS": legal_basis,
    "N11-SENSITIVE-NECESSITY": sensitive_necessity,
    "N10-CHILDREN-RULES": children_rules,
}


def test_every_packaged_rule_has_a_case() -> None:
    assert {rule.id for rule in rules.default_rules().rules} == set(CASES)


@pytest.mark.parametrize("holds", [True, False], ids=["holds", "fails"])
@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule(session: Session, world: World, rule_id: str, holds: bool) -> None:
    subject, retention_days = CASES[rule_id](session, world, holds)
    flows.evaluate(session, today=TODAY, audit_retention_days=retention_days)
    session.commit()
    finding = session.scalar(
        select(Finding).where(Finding.rule_id == rule_id, Finding.subject_key == subject)
    )
    if holds:
        assert finding is None
    else:
        assert finding is not None
        assert finding.status == FindingStatus.open
        assert finding.evidence
        assert finding.task is not None and finding.task.due_date > TODAY
        rule = rules.default_rules().by_id(rule_id)
        assert rule is not None and finding.clause_list == list(rule.clauses)
