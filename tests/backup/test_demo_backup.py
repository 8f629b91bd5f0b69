"""The demo has a system overdue for a recovery drill (issue #20's done-when), one that
passes, one whose last drill failed and systems without a policy — each as the rule says."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.compliance.models import Finding, FindingStatus
from eduguard.demo import flows as demo_flows
from eduguard.orgs.models import InformationSystem


def test_demo_backup_posture(session: Session) -> None:
    audit_capture.install(session)
    demo_flows.seed(session)
    session.commit()
    systems = {s.name: s.id for s in session.scalars(select(InformationSystem))}
    found = {
        f.subject_key: f.evidence
        for f in session.scalars(
            select(Finding).where(
                Finding.rule_id == "N5-BACKUP-RECOVERY", Finding.status == FindingStatus.open
            )
        )
    }
    register = found[f"system:{systems['县域学籍与成绩管理系统']}"]
    assert "最近一次恢复演练为" in register and "超过 365 天" in register
    assert f"system:{systems['省级教育身份认证平台']}" not in found
    assert "恢复失败" in found[f"system:{systems['实验小学智慧食堂']}"]
    assert "未登记备份策略" in found[f"system:{systems['实验小学门户网站']}"]
    assert len(found) == 4
