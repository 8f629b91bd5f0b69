"""``eduguard demo`` shows a realistic posture: findings of several kinds in the county, both
schools and the province above them."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.compliance import flows
from eduguard.demo import flows as demo_flows
from eduguard.orgs.models import Unit


def test_demo_posture(session: Session) -> None:
    audit_capture.install(session)
    demo_flows.seed(session)
    session.commit()
    units = {u.name: u for u in session.scalars(select(Unit)).unique()}
    county = units["示例县教育局"]
    found = flows.findings(session, county.path)
    rules_by_unit: dict[str, set[str]] = defaultdict(set)
    for f in found:
        rules_by_unit[f.unit].add(f.rule_id)
    assert set(rules_by_unit) == {"示例县教育局", "示例县第一中学", "示例县实验小学"}
    assert len({f.rule_id for f in found}) >= 7
    assert {"N5-DOMESTIC-STORAGE", "N2-THIRD-PARTY-AGREEMENT"} <= rules_by_unit["示例县第一中学"]
    assert "N8-ENCRYPTION" in rules_by_unit["示例县实验小学"]
    assert "N5-RETENTION" in rules_by_unit["示例县教育局"]
    assert all(f.task is not None and f.evidence for f in found)
    province = flows.findings(session, units["示例省教育厅"].path, unit_id=units["示例省教育厅"].id)
    assert "N9-PI-OFFICER" in {f.rule_id for f in province if f.unit == "示例省教育厅"}
    scores = {s.unit: s.score for s in flows.unit_scores(session, county.path)}
    assert all(0 <= score < 100 for score in scores.values())
