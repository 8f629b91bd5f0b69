"""Findings across re-evaluations, unit scope, scores, and the rule file's own checks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from eduguard.audit.models import AuditEvent
from eduguard.catalog import flows as catalog_flows
from eduguard.compliance import flows, rules
from eduguard.compliance.models import Finding, FindingStatus, TaskStatus
from eduguard.compliance.schemas import FactsUpdate, TaskUpdate
from eduguard.errors import NotFound, ValidationFailed
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import StorageLocation
from eduguard.orgs.schemas import SystemUpdate
from eduguard.retention import flows as retention_flows
from eduguard.retention.models import RetentionExemption

from .conftest import PASSWORD, TODAY, World, add_catalog, students_table


def open_keys(session: Session) -> set[tuple[str, str]]:
    rows = session.scalars(select(Finding).where(Finding.status == FindingStatus.open))
    return {(f.rule_id, f.subject_key) for f in rows}


def test_reevaluation_keeps_tasks_and_resolves_fixed_findings(
    session: Session, world: World
) -> None:
    owner = identity_service.create_user(
        session,
        username="a-owner",
        password=PASSWORD,
        roles={Role.data_owner},
        unit_id=world.school_a,
    )
    [dataset] = add_catalog(session, world.school_a_system, [students_table()])
    first = flows.evaluate(session, today=TODAY)
    session.commit()
    key = ("N5-RETENTION", f"dataset:{dataset.id}")
    assert key in open_keys(session) and first.new_findings >= 3
    finding = session.scalar(select(Finding).where(Finding.rule_id == "N5-RETENTION"))
    assert finding is not None and finding.task is not None
    task_id, due = finding.task.id, finding.task.due_date
    assert finding.task.owner_user_id == owner.id  # the unit's data owner
    assert due == TODAY + timedelta(days=60)

    # A person moves the due date; evaluating again keeps the task as it is.
    flows.update_task(
        session, task_id, TaskUpdate(due_date=TODAY + timedelta(days=5)), scope="/", by="t"
    )
    second = flows.evaluate(session, today=TODAY + timedelta(days=1))
    session.commit()
    assert second.new_findings == 0 and second.resolved == 0
    session.refresh(finding)
    assert finding.task is not None and finding.task.id == task_id
    assert finding.task.due_date == TODAY + timedelta(days=5)

    # A period written in the catalog is not a rule: still open.
    catalog_flows.set_retention(session, dataset.id, "毕业后 3 年", scope="/")
    assert flows.evaluate(session, today=TODAY + timedelta(days=1)).resolved == 0
    assert key in open_keys(session)

    # Fixed: a recorded exemption → resolved, with its task.
    retention_flows.record_exemption(
        session, dataset.id, "仅存统计口径，不含明细", scope="/", by="t"
    )
    third = flows.evaluate(session, today=TODAY + timedelta(days=2))
    session.commit()
    assert third.resolved == 1
    session.refresh(finding)
    assert finding.status == FindingStatus.resolved and finding.resolved_at is not None
    assert finding.task is not None and finding.task.status == TaskStatus.resolved
    assert key not in open_keys(session)

    # Broken again (the exemption withdrawn): the same finding and task reopen.
    session.execute(delete(RetentionExemption).where(RetentionExemption.dataset_id == dataset.id))
    fourth = flows.evaluate(session, today=TODAY + timedelta(days=3))
    session.commit()
    assert fourth.reopened == 1 and fourth.new_findings == 0
    session.refresh(finding)
    assert finding.status == FindingStatus.open
    assert finding.task is not None and finding.task.id == task_id
    assert finding.task.status == TaskStatus.open
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "compliance.evaluate")
    ).all()
    assert len(actions) == 5


def test_scope_school_sees_own_county_sees_both(session: Session, world: World) -> None:
    for system in (world.school_a_system, world.school_b_system):
        orgs_service.update_system(
            session, system, SystemUpdate(storage_location=StorageLocation.overseas)
        )
    flows.evaluate(session, today=TODAY)
    session.commit()
    school_a = orgs_service.get_unit(session, world.school_a)
    county = orgs_service.get_unit(session, world.county)
    seen_a = flows.findings(session, school_a.path, rule_id="N5-DOMESTIC-STORAGE")
    seen_county = flows.findings(session, county.path, rule_id="N5-DOMESTIC-STORAGE")
    assert {f.system_id for f in seen_a} == {world.school_a_system}
    assert {f.system_id for f in seen_county} == {world.school_a_system, world.school_b_system}
    with pytest.raises(NotFound):  # the other school is outside school A's scope
        flows.findings(session, school_a.path, unit_id=world.school_b)
    scores = {s.unit_id: s for s in flows.unit_scores(session, county.path)}
    assert set(scores) == {world.county, world.school_a, world.school_b}
    a = scores[world.school_a]
    assert a.open_by_severity["high"] >= 1
    assert a.findings_by_clause["教科信函〔2021〕20号 重点任务第5项"] >= 1
    assert any(i.item == 5 and i.count >= 1 for i in a.findings_by_item)
    # one score (compliance.scoring): a school's is its own; the county's is the mean
    assert 0 < a.own_score < 100 and a.score == a.own_score
    mean = sum(s.own_score for s in scores.values()) / 3
    assert abs(scores[world.county].score - mean) <= 1
    assert [s.unit_id for s in flows.unit_scores(session, school_a.path)] == [world.school_a]


def test_evaluating_one_unit_leaves_the_others_alone(session: Session, world: World) -> None:
    orgs_service.update_system(
        session, world.school_b_system, SystemUpdate(storage_location=StorageLocation.overseas)
    )
    flows.evaluate(session, today=TODAY)
    session.commit()
    b_key = ("N5-DOMESTIC-STORAGE", f"system:{world.school_b_system}")
    assert b_key in open_keys(session)
    flows.save_facts(
        session,
        world.school_b_system,
        FactsUpdate(
            cross_border_assessment_ref="示例评估〔2026〕2号",
            cross_border_assessment_date=TODAY - timedelta(days=30),
        ),
        scope="/",
        by="t",
    )
    flows.evaluate(session, unit_id=world.school_a, today=TODAY)  # school B not evaluated
    session.commit()
    assert b_key in open_keys(session)
    flows.evaluate(session, unit_id=world.school_b, today=TODAY)
    session.commit()
    assert b_key not in open_keys(session)


def test_task_close_needs_reason_and_owner_of_the_unit(session: Session, world: World) -> None:
    orgs_service.update_system(
        session, world.school_a_system, SystemUpdate(storage_location=StorageLocation.overseas)
    )
    flows.evaluate(session, today=TODAY)
    session.commit()
    finding = session.scalar(select(Finding).where(Finding.rule_id == "N5-DOMESTIC-STORAGE"))
    assert finding is not None and finding.task is not None
    task_id = finding.task.id
    with pytest.raises(ValueError, match="理由"):
        TaskUpdate(action="close")
    stranger = identity_service.create_user(
        session,
        username="b-owner",
        password=PASSWORD,
        roles={Role.data_owner},
        unit_id=world.school_b,
    )
    with pytest.raises(ValidationFailed):
        flows.update_task(
            session, task_id, TaskUpdate(owner_user_id=stranger.id), scope="/", by="t"
        )
    school_b = orgs_service.get_unit(session, world.school_b)
    with pytest.raises(NotFound):
        flows.update_task(
            session,
            task_id,
            TaskUpdate(action="close", reason="不在范围"),
            scope=school_b.path,
            by="t",
        )
    row = flows.update_task(
        session,
        task_id,
        TaskUpdate(action="close", reason="已报请迁移，风险接受"),
        scope="/",
        by="t",
    )
    session.commit()
    assert row.task is not None and row.task.status == TaskStatus.closed
    assert row.task.close_reason == "已报请迁移，风险接受" and row.task.closed_by == "t"
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "compliance_task.update")
    ).all()
    assert events and "close_reason" in events[-1].fields


def test_facts_are_audited_by_name_only(session: Session, world: World) -> None:
    flows.save_facts(
        session,
        world.school_a_system,
        FactsUpdate(pi_officer_name="李示例", guardian_consent_recorded=True),
        scope="/",
        by="t",
    )
    session.commit()
    [event] = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "compliance_facts.create")
    ).all()
    assert "pi_officer_name" in event.fields and "李示例" not in (event.reason or "")
    with pytest.raises(ValueError, match="晚于今天"):
        FactsUpdate(last_security_audit_date=TODAY + timedelta(days=3))


# ---------------------------------------------------------------- the rule file


def test_owner_roles_match_the_identity_roles() -> None:
    assert set(rules.OWNER_ROLES) == {role.value for role in Role}


GOOD = """
version = "t-1"
[weights]
high = 10
medium = 5
low = 1
[[rule]]
id = "T-RETENTION"
title_zh = "保存期限"
clauses = ["教科信函〔2021〕20号 重点任务第5项"]
severity = "low"
target = "dataset"
applies_to = { has_pi = true }
check = "retention_set"
remediation_zh = "设定保存期限"
owner_role = "data_owner"
due_in_days = 7
"""


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (
            ('check = "retention_set"', 'check = "no_such_check"'),
            "rule[0]（T-RETENTION）.check",
            "未知的检查项",
        ),
        (('target = "dataset"', 'target = "system"'), "rule[0]（T-RETENTION）.check", "只能用于"),
        (('severity = "low"', 'severity = "urgent"'), "rule[0]（T-RETENTION）.severity", "high"),
        (
            ('owner_role = "data_owner"', 'owner_role = "janitor"'),
            "rule[0]（T-RETENTION）.owner_role",
            "未知的角色",
        ),
        (("due_in_days = 7", "due_in_days = 0"), "rule[0]（T-RETENTION）.due_in_days", "整数"),
        (
            ('clauses = ["教科信函〔2021〕20号 重点任务第5项"]', "clauses = []"),
            "rule[0]（T-RETENTION）.clauses",
            "条款",
        ),
        (
            ("has_pi = true", "has_minors = true"),
            "rule[0]（T-RETENTION）.applies_to.has_minors",
            "条件",
        ),
        (('version = "t-1"', ""), "version", "非空"),
        (
            ('remediation_zh = "设定保存期限"', 'remedy = "x"'),
            "rule[0]（T-RETENTION）.remedy",
            "未知的键",
        ),
    ],
)
def test_broken_rule_files_name_file_and_key(
    tmp_path: Path, change: tuple[str, str], key: str, problem: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        rules.load(path)
    message = caught.value.message_zh
    assert str(path) in message and key in message and problem in message, message


def test_unknown_fact_and_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    text = (
        GOOD.replace('target = "dataset"', 'target = "system"')
        .replace(
            'check = "retention_set"', 'check = "fact_present"\nparams = { facts = ["ghost"] }'
        )
        .replace("applies_to = { has_pi = true }", "")
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"params\.facts.*ghost"):
        rules.load(path)
    path.write_text("version = ", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="不是有效的 TOML"):
        rules.load(path)
    with pytest.raises(ValidationFailed, match="不存在"):
        rules.load(tmp_path / "missing.toml")


def test_another_rule_file_is_used_for_evaluation(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GOOD, encoding="utf-8")
    ruleset = rules.load(path)
    [dataset] = add_catalog(session, world.school_a_system, [students_table()])
    summary = flows.evaluate(session, today=TODAY, ruleset=ruleset)
    session.commit()
    assert summary.rules_version == "t-1" and summary.failing == 1
    assert open_keys(session) == {("T-RETENTION", f"dataset:{dataset.id}")}
    finding = session.scalar(select(Finding))
    assert finding is not None and finding.severity == "low" and finding.rules_version == "t-1"


def test_a_subject_moved_into_the_scope_keeps_its_finding(session: Session, world: World) -> None:
    orgs_service.update_system(
        session, world.school_a_system, SystemUpdate(storage_location=StorageLocation.overseas)
    )
    flows.evaluate(session, today=TODAY)
    session.commit()
    before = session.scalar(select(Finding).where(Finding.rule_id == "N5-DOMESTIC-STORAGE"))
    assert before is not None and before.task is not None
    finding_id, task_id = before.id, before.task.id
    # Registry repair outside the services: the system belongs to school B after all.
    orgs_service.get_system(session, world.school_a_system).unit_id = world.school_b
    session.commit()
    flows.evaluate(session, unit_id=world.school_b, today=TODAY)
    session.commit()
    after = session.scalar(select(Finding).where(Finding.rule_id == "N5-DOMESTIC-STORAGE"))
    assert after is not None and after.id == finding_id and after.unit_id == world.school_b
    assert after.task is not None and after.task.id == task_id
    assert after.status == FindingStatus.open
