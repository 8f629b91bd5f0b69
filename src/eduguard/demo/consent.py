"""The demo's consent ledger (synthetic): school B's canteen asks pupils' guardians for the
optional bank-card top-up. Guardians agreed or refused on paper slips; then the top-up purpose
changed materially (a longer retention), so earlier agreements need re-consent and the school
sent one-time links (one guardian has answered); one pupil turned 14 yesterday and the daily
task has handed the decision over to her."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from eduguard.config import get_settings
from eduguard.consent import birthdays, collect
from eduguard.consent import flows as consent_flows
from eduguard.consent.models import Action, Channel, GivenBy, Verification
from eduguard.consent.schemas import GuardianCreate, RecordIn, SubjectCreate
from eduguard.db.base import utcnow
from eduguard.orgs.models import InformationSystem
from eduguard.processing import flows as processing_flows
from eduguard.processing import service as processing_service
from eduguard.processing.models import LegalBasis, PurposeStatus
from eduguard.processing.schemas import PurposeUpdate

# (pupil id, label, age in years, the guardian's first answer)
PUPILS = (
    ("DEMO-S0101", "三年级一班 学生甲", 9, Action.grant),
    ("DEMO-S0102", "三年级一班 学生乙", 9, Action.grant),
    ("DEMO-S0103", "四年级二班 学生丙", 10, Action.refuse),
    ("DEMO-S0104", "五年级一班 学生丁", 11, None),  # the slip did not come back: no consent
)
TURNING = ("DEMO-S0105", "八年级一班 学生戊")  # turned 14 yesterday (Beijing date)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _paper(purpose_id: int, action: Action, guardian_id: int) -> RecordIn:
    return RecordIn(
        purpose_id=purpose_id,
        action=action,
        given_by=GivenBy.guardian,
        guardian_id=guardian_id,
        verification=Verification.paper_form,
        channel=Channel.paper,
    )


def seed_consent(session: Session, canteen: InformationSystem, *, today: date) -> None:
    topup = next(
        p
        for p in processing_service.list_purposes(session, canteen.id, status=PurposeStatus.active)
        if p.legal_basis == LegalBasis.consent
    )
    now = utcnow()
    slips = now - timedelta(days=30)
    pupils: list[tuple[tuple[int, int], Action | None]] = []
    for external_id, label, age, answer in PUPILS:
        birth = _years_before(today, age) - timedelta(days=40 * len(pupils))
        pupils.append((_pupil(session, canteen, external_id, label, birth), answer))
    for (subject_id, guardian_id), answer in pupils:
        if answer is not None:
            _record(session, subject_id, _paper(topup.id, answer, guardian_id), slips)
    birth = _years_before(today, 14) - timedelta(days=1)
    turning, her_guardian = _pupil(session, canteen, *TURNING, birth)
    _record(session, turning, _paper(topup.id, Action.grant, her_guardian), slips)

    # A material change (retention), published as a new version of the rules.
    processing_flows.update_purpose(
        session,
        topup.id,
        PurposeUpdate(retention_period="解除绑定或学生离校后 1 年"),
        scope="/",
    )
    processing_flows.publish(session, canteen.id, scope="/", by="demo")

    # The re-consent campaign: a one-time link to each guardian whose agreement is stale.
    key = collect.key_for(session, get_settings().secret_key.get_secret_value())
    for subject_id, guardian_id in (pair for pair, answer in pupils if answer == Action.grant):
        _link, token = collect.create_link(
            session, subject_id, canteen.id, guardian_id=guardian_id, scope="/", by="demo", key=key
        )
        if subject_id == pupils[0][0][0]:  # the first guardian has answered already
            collect.submit(session, token, {topup.id: "grant"}, key=key)
    birthdays.handover_due(session, now=now)


def _pupil(
    session: Session, system: InformationSystem, external_id: str, label: str, birth: date
) -> tuple[int, int]:
    subject = consent_flows.register_subject(
        session,
        SubjectCreate(
            unit_id=system.unit_id, external_id=external_id, birth_date=birth, label=label
        ),
        scope="/",
    )
    guardian = consent_flows.add_guardian(
        session,
        subject.id,
        GuardianCreate(external_id=f"{external_id}-G1", relation="母亲", label=f"{label}的监护人"),
        scope="/",
    )
    return subject.id, guardian.id


def _record(session: Session, subject_id: int, body: RecordIn, at: datetime) -> None:
    subject = consent_flows.get_subject(session, subject_id, scope="/")
    consent_flows.record(session, subject, body, scope="/", by="demo", now=at)
