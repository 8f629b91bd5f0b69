"""The consent ledger and the gate on both databases: keyed subjects, grants and withdrawals
(never retroactive), legal bases other than consent, children and guardians, tampering."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from eduguard.consent import flows, service
from eduguard.consent.models import ConsentEvent, ConsentSubject
from eduguard.consent.schemas import SubjectLookup
from eduguard.errors import Conflict, ValidationFailed

from .conftest import T0, World

HOUR = timedelta(hours=1)


def test_subject_is_a_keyed_reference_never_the_school_id(world: World) -> None:
    subject_id = world.subject("G440101201401011234", label="三年级二班 王同学")
    with world.session() as session:
        raw = session.execute(text("SELECT reference, label FROM consent_subjects")).one()
        assert "G440101201401011234" not in raw.reference and len(raw.reference) == 64
        assert raw.label.startswith("sm4gcm:v2:")  # sealed
        found = flows.lookup(
            session,
            SubjectLookup(unit_id=world.school, external_id=" G440101201401011234 "),
            scope="/",
        )
        assert found.id == subject_id and found.label == "三年级二班 王同学"
        # the same id in another unit is another reference
        assert service.reference(session, world.county, "student", "G440101201401011234") != (
            raw.reference
        )
    with pytest.raises(Conflict):
        world.subject("G440101201401011234")


def test_grant_then_withdraw_is_never_retroactive(world: World) -> None:
    adult = world.subject("T2001")
    assert world.gate(adult, world.photos, T0).code == "none"  # no answer is not consent
    world.record(adult, world.photos, "grant", T0)
    allowed = world.gate(adult, world.photos, T0 + HOUR)
    assert allowed.allowed and allowed.code == "consent" and allowed.rules_version == 1
    assert allowed.consented_by == "subject" and allowed.rules_sm3
    world.record(adult, world.photos, "withdraw", T0 + 2 * HOUR)
    assert world.gate(adult, world.photos, T0 + HOUR).allowed  # before: still consented
    denied = world.gate(adult, world.photos, T0 + 3 * HOUR)
    assert not denied.allowed and denied.code == "withdrawn"
    with pytest.raises(ValidationFailed) as nothing:
        world.record(adult, world.photos, "withdraw", T0 + 4 * HOUR)
    assert nothing.value.code == "consent_nothing_to_withdraw"
    with pytest.raises(Conflict):  # no back-dating into the past
        world.record(adult, world.photos, "grant", T0)
    # the other consent-based purpose is separate: nothing granted there
    assert world.gate(adult, world.afterschool, T0 + 3 * HOUR).code == "none"


def test_statutory_purpose_needs_no_consent_and_records_none(world: World) -> None:
    adult = world.subject("T2002")
    answer = world.gate(adult, world.statutory, T0)
    assert answer.allowed and answer.code == "legal_basis"
    assert answer.legal_basis == "statutory" and "第十三条" in (answer.basis_clause or "")
    with pytest.raises(ValidationFailed) as refused:
        world.record(adult, world.statutory, "grant", T0)
    assert refused.value.code == "consent_not_the_basis"


def test_child_consent_is_the_guardians_until_fourteen(world: World) -> None:
    birth = date(2013, 9, 10)  # 14 on 2027-09-10
    child = world.subject("S3001", birth)
    mother = world.guardian(child, "P-1")
    with pytest.raises(ValidationFailed) as own:
        world.record(child, world.photos, "grant", T0)
    assert own.value.code == "consent_guardian_required"
    with pytest.raises(ValidationFailed) as unverified:
        world.record(
            child, world.photos, "grant", T0, given_by="guardian", guardian_id=mother,
            verification="none",
        )  # fmt: skip
    assert unverified.value.code == "consent_guardian_unverified"
    world.record(child, world.photos, "grant", T0, given_by="guardian", guardian_id=mother)
    answer = world.gate(child, world.photos, T0 + HOUR)
    assert answer.allowed and answer.consented_by == "guardian"
    birthday = service.fourteenth_birthday(birth)
    assert birthday == date(2027, 9, 10)
    # 2027-09-09 23:00 Beijing is still 13; 2027-09-10 00:30 Beijing is 14
    eve = T0.replace(year=2027, month=9, day=9, hour=15)
    assert world.gate(child, world.photos, eve).allowed
    after = world.gate(child, world.photos, eve + 1.5 * HOUR)
    assert not after.allowed and after.code == "handed_over"
    with pytest.raises(ValidationFailed):  # the guardian no longer decides
        world.record(child, world.photos, "grant", eve + 2 * HOUR, given_by="guardian",
                     guardian_id=mother)  # fmt: skip
    world.record(child, world.photos, "grant", eve + 2 * HOUR)
    assert world.gate(child, world.photos, eve + 3 * HOUR).consented_by == "subject"


def test_all_guardians_policy_needs_every_guardian(world: World) -> None:
    child = world.subject("S3002", date(2016, 1, 1), guardian_policy="all")
    one, two = world.guardian(child, "P-2"), world.guardian(child, "P-3")
    world.record(child, world.photos, "grant", T0, given_by="guardian", guardian_id=one)
    assert world.gate(child, world.photos, T0 + HOUR).code == "pending"
    world.record(child, world.photos, "grant", T0 + HOUR, given_by="guardian", guardian_id=two)
    assert world.gate(child, world.photos, T0 + 2 * HOUR).allowed
    world.record(child, world.photos, "withdraw", T0 + 3 * HOUR, given_by="guardian",
                 guardian_id=one)  # fmt: skip
    assert world.gate(child, world.photos, T0 + 4 * HOUR).code == "withdrawn"


def test_ledger_is_append_only_and_a_tampered_row_is_found(world: World) -> None:
    adult = world.subject("T2003")
    world.record(adult, world.photos, "grant", T0)
    world.record(adult, world.afterschool, "refuse", T0 + HOUR)
    with world.session() as session:
        row = session.scalars(select(ConsentEvent)).first()
        assert row is not None
        row.action = "refuse"  # type: ignore[assignment]
        with pytest.raises(Conflict):
            session.flush()
        session.rollback()
    with world.session() as session:
        session.execute(
            text("UPDATE consent_events SET action = 'grant' WHERE seq = 2 AND subject_id = :s"),
            {"s": adult},
        )
    with world.session() as session:
        subject = session.get(ConsentSubject, adult)
        assert subject is not None
        broken = service.verify(session, subject)
        assert broken is not None and broken.seq == 2 and broken.problem == "hash"
        with pytest.raises(service.LedgerTampered):
            flows.can_process(session, subject, world.afterschool, T0 + 2 * HOUR, scope="/")
    world.accounts.login(world.client, "owner1")
    response = world.client.get(f"/api/v1/consent/subjects/{adult}/receipts")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "consent_ledger_tampered"
    page = world.client.get(f"/consent/subjects/{adult}")
    assert page.status_code == 200 and "账本哈希链不符" in page.text


def test_a_deleted_last_row_is_found_by_the_head(world: World) -> None:
    adult = world.subject("T2004")
    world.record(adult, world.photos, "grant", T0)
    world.record(adult, world.photos, "withdraw", T0 + HOUR)
    with world.session() as session:
        session.execute(text("DELETE FROM consent_events WHERE seq = 2"))
    with world.session() as session:
        subject = session.get(ConsentSubject, adult)
        assert subject is not None
        broken = service.verify(session, subject)
        assert broken is not None and broken.problem == "head"
