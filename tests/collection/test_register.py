"""Part 3's last piece: the final approval writes the approved personal fields into the purpose
the plan names in the system's processing register — as planned items before the catalog holds
them, as the catalog field where it does — the processing domain publishes the rules again, and
a consent-based purpose changed that way needs re-consent (asked through the consent gate);
a statutory-duty purpose does not. A register that refuses refuses the approval, changing
nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from eduguard.collection import flows, readers
from eduguard.collection.models import ApprovedField, CollectionPlan
from eduguard.collection.schemas import DecisionCreate, PlanCreate, PlanDetails
from eduguard.consent import flows as consent_flows
from eduguard.consent.models import ConsentSubject
from eduguard.consent.schemas import RecordIn, SubjectCreate
from eduguard.db.base import utcnow
from eduguard.errors import ValidationFailed
from eduguard.processing import flows as processing_flows
from eduguard.processing import service as processing_service
from eduguard.processing.models import (
    Audience,
    LegalBasis,
    Necessity,
    PlannedItem,
    PurposeStatus,
    RulesVersion,
)
from eduguard.processing.schemas import PurposeCreate, RegisterUpdate
from eduguard.reviews.models import ReviewRequest

from .conftest import World, apply_catalog, column, table
from .test_review import APP_FORM, _complete

FORM = "学生姓名\n家长手机号\n"


def _purpose(world: World, name: str, basis: LegalBasis, **kw: Any) -> int:
    """An active purpose of the app, and the app's rules published with it."""
    with world.factory() as session, session.begin():
        processing_service.save_register(
            session,
            world.app,
            RegisterUpdate(
                contact="校办 010-12345678", rights_channel="家长可在 App“我的”中撤回同意"
            ),
        )
        purpose = processing_service.create_purpose(
            session,
            world.app,
            PurposeCreate(
                name=name,
                legal_basis=basis,
                necessity=Necessity.optional
                if basis == LegalBasis.consent
                else Necessity.necessary,
                retention_period="学生毕业后 1 年",
                **kw,
            ),
        )
        processing_flows.activate(session, purpose.id, scope="/")
        processing_flows.publish(session, world.app, scope="/", by="owner")
        return purpose.id


def _plan(world: World, form: str = FORM, **details: Any) -> int:
    with world.factory() as session, session.begin():
        vendor = flows.person_of(session, "vendor")
        plan = flows.request(
            session,
            PlanCreate(
                system_id=world.app,
                system_type="jiaxiao_app",
                retention={"表单": "学生毕业后 1 年删除"},
                **details,
            ),
            readers.read_form(form),
            vendor,
        )
        return plan.id


def _submit(world: World, plan_id: int) -> None:
    with world.factory() as session, session.begin():
        flows.submit(session, plan_id, flows.person_of(session, "vendor"))


def _approve(world: World, plan_id: int, *who: str) -> None:
    for name in who:
        with world.factory() as session, session.begin():
            flows.decide(
                session,
                plan_id,
                DecisionCreate(decision="approve", reason="材料齐全，同意"),
                flows.person_of(session, name),
            )


def _subject_consents(world: World, purpose_id: int) -> int:
    with world.factory() as session, session.begin():
        subject = consent_flows.register_subject(
            session, SubjectCreate(unit_id=world.school, external_id="P-0001"), scope="/"
        )
        consent_flows.record(
            session,
            subject,
            RecordIn(purpose_id=purpose_id, action="grant", verification="paper_form"),
            scope="/",
            by="owner",
            now=utcnow() - timedelta(days=1),
        )
        return subject.id


def _gate(world: World, subject_id: int, purpose_id: int) -> Any:
    with world.factory() as session:
        subject = session.get_one(ConsentSubject, subject_id)
        return consent_flows.can_process(session, subject, purpose_id, utcnow(), scope="/")


def _versions(world: World) -> list[int]:
    with world.factory() as session:
        return list(
            session.scalars(
                select(RulesVersion.number)
                .where(RulesVersion.system_id == world.app)
                .order_by(RulesVersion.number)
            )
        )


def test_a_consent_purpose_gets_the_fields_new_rules_and_needs_re_consent(world: World) -> None:
    notices = _purpose(world, "家校通知推送", LegalBasis.consent)
    subject = _subject_consents(world, notices)
    assert _gate(world, subject, notices).code == "consent"
    plan_id = _plan(world)
    # the requester names the purpose on the console's form (the system's purposes offered)
    world.login("vendor")
    form = world.client.get(f"/collection/{plan_id}").text
    assert f'<option value="{notices}" >家校通知推送' in form
    assert "未选择（审核通过时新建处理目的草稿）" in form
    saved = world.client.post(
        f"/collection/{plan_id}/details",
        data={
            "purpose_id": str(notices),
            "retention_group": ["表单"],
            "retention": ["学生毕业后 1 年删除"],
            "csrf_token": world.client.headers["X-CSRF-Token"],
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    shown = world.client.get(f"/collection/{plan_id}").text
    assert '<span id="plan-purpose">家校通知推送</span>' in shown
    _submit(world, plan_id)
    _approve(world, plan_id, "owner", "secadmin")

    with world.factory() as session:
        read = flows.read(session, plan_id, flows.person_of(session, "sup"))
        purpose = processing_flows.purpose_read(
            session, processing_service.get_purpose(session, notices)
        )
        general = processing_service.current_version(session, world.app, Audience.general)
        assert general is not None
        document = processing_service.checked_document(general)
    written = read.register_write
    assert read.state == "approved" and written is not None
    assert written.purpose == "家校通知推送" and not written.created
    assert written.planned == ["学生姓名", "家长手机号"] and written.linked == []
    assert written.rules == [{"audience": "general", "number": 2}]
    assert written.reconsent and "经采集审核批准、将收集的数据项" in written.material
    assert "收集规则已更新至第 2 版" in written.summary and "需重新取得同意" in written.summary
    # the register holds them, and the published rules state them before they are collected
    assert [p.name for p in purpose.planned] == ["学生姓名", "家长手机号"]
    assert {row["item"] for row in document["collection_list"]} == {"学生姓名", "家长手机号"}
    # the consent given to version 1 no longer counts (the gate, and the subject's state)
    gate = _gate(world, subject, notices)
    assert not gate.allowed and gate.code == "material_change" and gate.rules_version == 1
    with world.factory() as session:
        state = consent_flows.subject_read(session, session.get_one(ConsentSubject, subject))
    assert [s.needs_reconsent for s in state.states if s.purpose_id == notices] == [True]

    # the API read and the console page say what was written
    world.login("sup")
    api = world.client.get(f"/api/v1/collection/reviews/{plan_id}").json()
    assert api["register_write"]["reconsent"] and api["purpose_name"] == "家校通知推送"
    page = world.client.get(f"/collection/{plan_id}").text
    assert 'id="register-write"' in page
    assert "已写入处理活动记录：处理目的“家校通知推送”登记数据项 学生姓名、家长手机号" in page
    assert "收集规则已更新至第 2 版，需重新取得同意" in page
    english = api["register_write"]["summary_en"]
    assert english.startswith("Written into the processing register: the purpose “家校通知推送”")
    assert "updated to version 2" in english and "consent must be asked again" in english
    world.client.cookies.set("lang", "en")
    try:
        page_en = world.client.get(f"/collection/{plan_id}").text
    finally:
        world.client.cookies.set("lang", "zh")
    assert "lists the data items 学生姓名, 家长手机号" in page_en
    assert "已写入处理活动记录" not in page_en
    register = world.client.get(f"/processing/systems/{world.app}").text
    assert "经采集审核批准，待收集" in register and "家长手机号" in register

    # approving the same fields again writes nothing new and publishes nothing
    again = _plan(world, purpose_id=notices)
    _submit(world, again)
    _approve(world, again, "owner", "secadmin")
    with world.factory() as session:
        repeat = flows.read(session, again, flows.person_of(session, "sup")).register_write
    assert repeat is not None and repeat.rules == [] and not repeat.reconsent
    assert "未作改动" in repeat.summary and _versions(world) == [1, 2]


def test_a_statutory_purpose_links_the_catalog_field_without_re_consent(world: World) -> None:
    apply_catalog(
        world.client,
        world.app,
        [table("jx_user", "家长用户", [column("jzsj", "家长手机号", ["MOBILE_PHONE"])])],
    )
    duty = _purpose(world, "学生管理", LegalBasis.statutory, basis_detail="义务教育法")
    subject = _subject_consents_none(world)
    before = _gate(world, subject, duty)
    assert before.allowed and before.code == "legal_basis"
    plan_id = _plan(world, purpose_id=duty)
    _submit(world, plan_id)
    _approve(world, plan_id, "owner", "secadmin")
    with world.factory() as session:
        written = flows.read(session, plan_id, flows.person_of(session, "sup")).register_write
        purpose = processing_service.get_purpose(session, duty)
        linked = [link.field_id for link in purpose.fields]
    assert written is not None
    assert written.linked == ["jx_user.jzsj"] and written.planned == ["学生姓名"]
    assert len(linked) == 1 and [p.name for p in purpose.planned] == ["学生姓名"]
    assert written.rules == [{"audience": "general", "number": 2}] and not written.reconsent
    assert "无需重新取得同意" in written.summary and "第（三）项" in written.summary
    assert "1 of them linked to fields already in the catalog" in written.summary_en
    assert "(processed under PIPL Art. 13(3): no new consent is needed)" in written.summary_en
    after = _gate(world, subject, duty)
    assert after.allowed and after.code == "legal_basis" and after.rules_version == 2


def _subject_consents_none(world: World) -> int:
    with world.factory() as session, session.begin():
        return consent_flows.register_subject(
            session, SubjectCreate(unit_id=world.school, external_id="P-0002"), scope="/"
        ).id


def _nothing_written(world: World, plan_id: int, versions: list[int]) -> None:
    with world.factory() as session:
        read = flows.read(session, plan_id, flows.person_of(session, "sup"))
        assert read.state == "submitted" and read.steps[-1].status == "pending"
        assert read.register_write is None
        assert session.scalar(select(func.count()).select_from(ApprovedField)) == 0
        assert session.scalar(select(func.count()).select_from(PlannedItem)) == 0
        plan = session.get_one(CollectionPlan, plan_id)
        assert plan.register_write == ""
    assert _versions(world) == versions


def test_a_register_that_refuses_refuses_the_approval(world: World, tmp_path: Path) -> None:
    # the linter refuses: 人脸照片 into a consent purpose that states no necessity for it
    notices = _purpose(world, "家校通知推送", LegalBasis.consent)
    plan_id = _plan(world, APP_FORM, purpose_id=notices)
    _complete(world, plan_id, tmp_path)
    _submit(world, plan_id)
    _approve(world, plan_id, "owner", "secadmin")
    with pytest.raises(ValidationFailed) as caught:
        _approve(world, plan_id, "pio")
    error = caught.value
    assert error.code == "collection_register_refused"
    assert "处理活动记录“家校通知推送”拒绝写入" in error.message_zh
    assert "未说明其必要性" in error.message_zh and "退回申请人改选处理目的" in error.message_zh
    _nothing_written(world, plan_id, [1])

    # a retired purpose takes nothing either
    with world.factory() as session, session.begin():
        processing_flows.retire(session, notices, scope="/")
    with pytest.raises(ValidationFailed) as caught:
        _approve(world, plan_id, "pio")
    assert caught.value.code == "collection_register_refused"
    assert "已停用" in caught.value.message_zh
    _nothing_written(world, plan_id, [1])

    # naming a purpose of another system, or a retired one, is refused on the plan itself
    with world.factory() as session, session.begin():
        other = processing_service.create_purpose(session, world.xueji, PurposeCreate(name="学籍"))
        other_id = other.id
    for purpose_id, code in (
        (other_id, "plan_purpose_other_system"),
        (notices, "plan_purpose_retired"),
    ):
        with (
            pytest.raises(ValidationFailed) as caught,
            world.factory() as session,
            session.begin(),
        ):
            flows.update(
                session,
                plan_id,
                PlanDetails(purpose_id=purpose_id),
                flows.person_of(session, "vendor"),
            )
        assert caught.value.code == code

    # with no purpose named, the approval makes a draft purpose (in no rules until activated)
    with world.factory() as session, session.begin():
        flows.update(
            session, plan_id, PlanDetails(purpose_id=None), flows.person_of(session, "vendor")
        )
    _approve(world, plan_id, "pio")
    with world.factory() as session:
        written = flows.read(session, plan_id, flows.person_of(session, "sup")).register_write
        assert written is not None and written.created and written.purpose_id is not None
        draft = processing_service.get_purpose(session, written.purpose_id)
        assert draft.status == PurposeStatus.draft and draft.legal_basis is None
        assert {p.name for p in draft.planned} == {
            "学生姓名",
            "家长手机号",
            "身份证号",
            "家庭住址",
            "人脸照片",
        }
        assert session.scalar(select(func.count()).select_from(ReviewRequest)) == 1
    assert "新建处理目的草稿" in written.summary and _versions(world) == [1]


def test_planned_items_are_a_material_term_and_leave_other_purposes_hashing_as_before() -> None:
    from eduguard.consent import terms

    base = {
        "name": "家校通知推送",
        "legal_basis": "consent",
        "necessity": "optional",
        "fields": [{"id": 7, "pi_types": ["MOBILE_PHONE"]}],
        "retention_period": "学生毕业后 1 年",
        "recipients": [],
    }
    # a purpose without planned items: the terms (and so every stored consent hash) unchanged
    assert terms.material_terms(base | {"planned": []}) == terms.material_terms(base)
    assert "planned" not in terms.material_terms(base)
    planned = base | {"planned": [{"group": "表单", "name": "人脸照片", "pi_types": ["FACE"]}]}
    change = terms.classify(base, planned)
    assert change.material and change.material_keys == ("planned", "categories")
    assert terms.terms_hash(terms.material_terms(planned)) != terms.terms_hash(
        terms.material_terms(base)
    )
    # the same item with other spacing or a full-width name is no change
    again = base | {"planned": [{"group": "表单", "name": "人脸 照片", "pi_types": ["FACE"]}]}
    assert not terms.classify(planned, again).material


def test_the_register_write_summary_in_english_for_each_case() -> None:
    from eduguard.collection import register

    base: dict[str, Any] = {
        "purpose_id": 3,
        "purpose": "家校通知",
        "created": False,
        "purpose_status": "active",
        "legal_basis": "consent",
        "fields": ["学生姓名", "家长手机号"],
        "linked": [],
        "planned": ["学生姓名"],
        "rules": [],
        "material": [],
        "reconsent": False,
    }
    cases = {
        "nothing was written": {**base, "purpose_id": None},
        "a new draft purpose “家校通知” with the data items 学生姓名, 家长手机号": {
            **base,
            "created": True,
        },
        "already lists these data items (学生姓名, 家长手机号): nothing changed": {
            **base,
            "planned": [],
        },
        "the purpose is a draft: this takes effect once it is activated": {
            **base,
            "purpose_status": "draft",
        },
        "has not published collection rules yet": base,
        "the rules for children's personal information to version 1": {
            **base,
            "rules": [{"audience": "general", "number": 3}, {"audience": "children", "number": 1}],
        },
    }
    for expected, record in cases.items():
        english = register.summary_en(record)
        assert expected in english, (expected, english)
        assert not any(
            "\u4e00" <= c <= "\u9fff"
            for c in english.replace("家校通知", "")
            .replace("学生姓名", "")
            .replace("家长手机号", "")
        ), english
