"""The 14th birthday (PIPL Art. 31; minors' online protection regulation): from that day the
person decides. The gate already answers from the birth date (a guardian's grant no longer
counts from the 14th birthday, Beijing time), whether or not this has run; the daily task
records the handover in the ledger (``handover`` per purpose a guardian decided, the guardian's
history kept), and asks the school — through the outbox — to ask the student."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.consent import flows
from eduguard.consent.models import ConsentSubject
from eduguard.db.base import utcnow
from eduguard.identity.models import Role
from eduguard.notify import flows as notify_flows

BATCH = 500
CHINA = timezone(timedelta(hours=8))


def handover_due(session: Session, *, now: datetime | None = None) -> list[int]:
    """Hand over every subject whose 14th birthday (Beijing date) has come and who has not
    been handed over yet (at most ``BATCH`` a run; the next run takes the rest). Returns the
    subject ids handed over."""
    moment = now or utcnow()
    today = moment.astimezone(CHINA).date()
    due = session.scalars(
        select(ConsentSubject)
        .where(ConsentSubject.fourteen_on <= today, ConsentSubject.handed_over_at.is_(None))
        .order_by(ConsentSubject.fourteen_on, ConsentSubject.id)
        .limit(BATCH)
    ).all()
    done = []
    for subject in due:
        rows = flows.handover(session, subject, now=moment)
        if rows:
            notify_flows.send(
                session,
                topic="consent.handover",
                subject=f"同意主体 {subject.id} 已年满十四周岁，请向本人征求同意",
                body=(
                    f"同意主体 {subject.id} 已年满十四周岁：{len(rows)} 项以同意为依据的处理目的"
                    "此前由监护人决定，自即日起须由本人决定（监护人的同意不再作为依据，记录保留）。"
                    "请在控制台为其生成一次性同意链接。"
                ),
                to=[
                    notify_flows.Recipient.holders(Role.pi_officer, subject.unit_id),
                    notify_flows.Recipient.holders(Role.data_owner, subject.unit_id),
                ],
                unit_id=subject.unit_id,
                cause_type="consent_subject",
                cause_id=subject.id,
                link=f"/consent/subjects/{subject.id}",
            )
        done.append(subject.id)
    return done
