"""What the expert review of the rules asked for (issue #16): item 11's narrower list, 三员 per
system with the severity its MLPS level calls for, dates that cannot be evidence, and a cap on
what one rule takes from a unit's score."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.compliance import checks, flows, rules, scoring
from eduguard.compliance.models import Finding, FindingStatus
from eduguard.compliance.schemas import FactsUpdate
from eduguard.orgs import service as orgs_service
from eduguard.orgs.schemas import SystemUpdate

from .conftest import TODAY, World, add_catalog, column

RETENTION = 180


def _table(name: str, columns: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "row_count": 100,
        "rows_sampled": 100,
        "subjects": 100,
        "minors": any(c["minors"] for c in columns),
        "level": "general-3",
        "columns": columns,
    }


def _open(session: Session, rule_id: str, subject: str) -> Finding | None:
    return session.scalar(
        select(Finding).where(
            Finding.rule_id == rule_id,
            Finding.subject_key == subject,
            Finding.status == FindingStatus.open,
        )
    )


def test_photos_passwords_and_children_do_not_call_for_a_collective_decision(
    session: Session, world: World
) -> None:
    """学籍 photos, password hashes and under-14 names are not item 11's list; a health column is."""
    add_catalog(
        session,
        world.school_a_system,
        [
            _table(
                "xs_jbxx",
                [
                    column("xm", ["PERSON_NAME"], minors=True, sensitive=True),
                    column("zp", ["PHOTO"], sensitive=True),
                    column("mm", ["CREDENTIAL"], sensitive=True),
                ],
            )
        ],
    )
    add_catalog(
        session,
        world.school_b_system,
        [_table("tj", [column("sl", ["HEALTH"], sensitive=True)])],
    )
    flows.evaluate(session, today=TODAY, audit_retention_days=RETENTION)
    session.commit()
    photo_system = f"system:{world.school_a_system}"
    health_system = f"system:{world.school_b_system}"
    assert _open(session, "N11-COLLECTIVE-DECISION", photo_system) is None
    decision = _open(session, "N11-COLLECTIVE-DECISION", health_system)
    assert decision is not None and decision.severity == "high"
    assert "tj.sl" in (decision.field_names or "")
    # Photos are PIPL Art. 28 material (biometric): separate consent still applies to them,
    # but not to a password hash.
    consent = _open(session, "N11-SEPARATE-CONSENT", photo_system)
    assert consent is not None and "zp" in (consent.field_names or "")
    assert "mm" not in (consent.field_names or "")


def test_admin_separation_is_high_on_level_three_systems(session: Session, world: World) -> None:
    orgs_service.update_system(session, world.school_a_system, SystemUpdate(mlps_level=3))
    orgs_service.update_system(session, world.school_b_system, SystemUpdate(mlps_level=2))
    flows.evaluate(session, today=TODAY, audit_retention_days=RETENTION)
    session.commit()
    high = _open(session, "N6-ADMIN-SEPARATION", f"system:{world.school_a_system}")
    medium = _open(session, "N6-ADMIN-SEPARATION", f"system:{world.school_b_system}")
    assert high is not None and high.severity == "high"
    assert medium is not None and medium.severity == "medium"
    assert "未登记系统管理员" in high.evidence


def test_a_date_after_the_evaluation_is_not_evidence() -> None:
    system = checks.SystemSnap(1, "示例系统", 1, "domestic", 3, 1_200_000, None)
    system.facts["last_security_audit_date"] = TODAY + timedelta(days=30)
    outcome = checks.fact_within_days(
        system,
        {"fact": "last_security_audit_date", "max_age_days": 365},
        checks.Context(TODAY, RETENTION),
    )
    assert outcome is not None and "晚于评估日期" in outcome.evidence


def test_one_rule_takes_at_most_its_share() -> None:
    ruleset = rules.default_rules()
    total = sum(ruleset.weights[rule.severity] for rule in ruleset.rules)
    one = scoring.unit_score({"N5-RETENTION": {"medium": 1}}, ruleset)
    many = scoring.unit_score({"N5-RETENTION": {"medium": 40}}, ruleset)
    assert one == many == pytest.approx(100 * (1 - ruleset.weights["medium"] / total))
    abroad = scoring.unit_score(
        {"N5-DOMESTIC-STORAGE": {"high": 1}, "N9-MLPS-LEVEL3": {"high": 1}}, ruleset
    )
    assert abroad < many
    # an escalated failure weighs as its severity
    escalated = scoring.unit_score({"N6-ADMIN-SEPARATION": {"high": 1}}, ruleset)
    assert escalated < scoring.unit_score({"N6-ADMIN-SEPARATION": {"medium": 1}}, ruleset)
    assert scoring.unit_score({"NO-SUCH-RULE": {"high": 3}}, ruleset) == 100.0
    assert scoring.unit_score({}, ruleset) == 100.0


def test_a_county_scores_the_mean_of_its_units() -> None:
    own = {"/1/": 50.0, "/1/2/": 100.0, "/1/3/": 0.0, "/1/3/4/": 30.0, "/9/": 10.0}
    scores = scoring.scope_scores(own, ["/1/", "/1/3/", "/1/2/", "/7/"])
    assert scores == {"/1/": 45, "/1/3/": 15, "/1/2/": 100, "/7/": 100}
    assert scoring.common_scope(["/1/2/", "/1/2/3/", "/1/2/4/"]) == "/1/2/"
    assert scoring.common_scope(["/1/", "/9/"]) == "/"


def test_many_datasets_without_storage_period_cost_one_rule(session: Session, world: World) -> None:
    tables = [_table(f"t{n}", [column("xm", ["PERSON_NAME"])]) for n in range(6)]
    add_catalog(session, world.school_a_system, tables)
    flows.evaluate(session, today=TODAY, audit_retention_days=RETENTION)
    session.commit()
    retention = session.scalars(
        select(Finding).where(Finding.rule_id == "N5-RETENTION", Finding.unit_id == world.school_a)
    ).all()
    assert len(retention) == 6
    scores = {s.unit_id: s for s in flows.unit_scores(session, "/")}
    own = scores[world.school_a]
    ruleset = rules.default_rules()
    failing: dict[str, str] = {}
    rank = {"low": 0, "medium": 1, "high": 2}
    for finding in session.scalars(
        select(Finding).where(
            Finding.unit_id == world.school_a, Finding.status == FindingStatus.open
        )
    ):
        seen = failing.get(finding.rule_id, "low")
        failing[finding.rule_id] = max(seen, finding.severity, key=rank.__getitem__)
    weight = {rule.id: ruleset.weights[rule.severity] for rule in ruleset.rules}
    weight.update({rule: ruleset.weights[sev] for rule, sev in failing.items()})
    expected = 100 * (1 - sum(weight[rule] for rule in failing) / sum(weight.values()))
    assert own.own_score == round(expected)
    assert own.score == own.own_score  # a school: no units below it


def test_operation_log_facts_through_the_schema(session: Session, world: World) -> None:
    saved = flows.save_facts(
        session,
        world.school_a_system,
        FactsUpdate(operation_logs_complete=True, operation_log_retention_days=200),
        scope="/",
        by="tester",
    )
    assert saved.operation_log_retention_days == 200 and saved.operation_logs_complete


def test_item4_published_collection_rules_need_where_and_since_when(
    session: Session, world: World
) -> None:
    """N4-COLLECTION-RULES: a PI system fails until its published rules are recorded with the
    place and the date; a reference alone is not enough; a future date is refused."""
    add_catalog(session, world.school_a_system, [_table("xs", [column("xm", ["PERSON_NAME"])])])
    flows.evaluate(session, today=TODAY, audit_retention_days=RETENTION)
    session.commit()
    subject = f"system:{world.school_a_system}"
    failing = _open(session, "N4-COLLECTION-RULES", subject)
    assert failing is not None and "收集使用规则" in failing.evidence
    assert "教科信函〔2021〕20号 重点任务第4项" in failing.clause_list
    flows.save_facts(
        session,
        world.school_a_system,
        FactsUpdate(collection_rules_ref="学校官网/隐私政策（2026 版）"),
        scope="/",
        by="tester",
    )
    flows.evaluate(session, today=TODAY, audit_retention_days=RETENTION)
    session.commit()
    still = _open(session, "N4-COLLECTION-RULES", subject)
    assert still is not None and "收集使用规则公开日期" in still.evidence
    with pytest.raises(ValueError, match="collection_rules_date"):
        FactsUpdate(collection_rules_date=date.today() + timedelta(days=3))
    flows.save_facts(
        session,
        world.school_a_system,
        FactsUpdate(collection_rules_date=TODAY - timedelta(days=30)),
        scope="/",
        by="tester",
    )
    flows.evaluate(session, today=TODAY, audit_retention_days=RETENTION)
    session.commit()
    assert _open(session, "N4-COLLECTION-RULES", subject) is None
    # per system: the other school's system holding PI has recorded nothing and still fails
    assert _open(session, "N4-COLLECTION-RULES", f"system:{world.school_b_system}") is not None
