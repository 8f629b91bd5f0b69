"""``eduguard demo`` has consent to look at (issue #18): guardians' answers on paper, a
material change with a re-consent campaign half answered, and a pupil who just turned 14."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.consent import flows
from eduguard.consent.models import ConsentLink, ConsentSubject
from eduguard.demo import flows as demo_flows
from eduguard.notify.models import Message
from eduguard.processing.models import Audience, RulesVersion


def test_the_demo_ledger(session: Session) -> None:
    audit_capture.install(session)
    demo_flows.seed(session)
    session.commit()
    subjects = session.scalars(select(ConsentSubject).order_by(ConsentSubject.id)).all()
    states = [flows.subject_read(session, s).states for s in subjects]
    assert len(subjects) == 5 and all(len(s) == 1 for s in states)
    status = [(s[0].status, s[0].needs_reconsent) for s in states]
    assert status == [
        ("granted", False),  # re-consented through the campaign's link
        ("granted", True),  # agreed to the old terms: the link is out, no answer yet
        ("refused", False),
        ("none", False),  # the slip never came back: no answer is not consent
        ("handed_over", False),  # 14 since yesterday: the guardian's grant no longer counts
    ]
    assert all(flows.subject_read(session, s).intact for s in subjects)
    assert session.scalar(select(func.count()).select_from(ConsentLink)) >= 3
    canteen_general = session.scalars(
        select(RulesVersion.number).where(RulesVersion.audience == Audience.general)
    ).all()
    assert max(canteen_general) == 2  # the material change was published as version 2
    topic = session.scalars(select(Message.topic).where(Message.topic == "consent.handover")).all()
    assert topic == ["consent.handover"]
