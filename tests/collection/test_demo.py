"""The demo's pending review of the 家校沟通 App: each of 身份证号, 家庭住址 and 人脸照片
has a pre-check that says why it is a problem."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.collection import flows
from eduguard.demo import flows as demo_flows
from eduguard.demo.collection import REQUESTER


def test_demo_has_a_pending_review_whose_checks_say_why(session: Session) -> None:
    audit_capture.install(session)
    demo_flows.seed(session)
    session.commit()
    person = flows.person_of(session, REQUESTER)
    [plan] = flows.list_plans(session, person)
    assert plan.state == "submitted"
    read = flows.read(session, plan.id, person)
    checks = {c.code: c for c in read.checks}
    necessary = "\n".join(checks["minimum_necessary"].items)
    for name in ("身份证号", "家庭住址", "人脸照片"):
        assert name in necessary
    one_source = "\n".join(checks["one_source"].items)
    assert "身份证号" in one_source and "县域学籍与成绩管理系统" in one_source
    assert checks["sensitive"].status == "fail"
    assert {"minimum_necessary", "one_source", "sensitive"} <= set(read.blocking)
