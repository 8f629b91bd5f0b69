"""The rules that read the processing register (issue #16, logic 9): the legal basis of each
purpose decides whether consent is needed (PIPL Art. 13 ¶2), the published rules are item 4's
evidence, a sensitive field's purpose states its necessity, children's data has its own rules."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eduguard.audit.service import Actor, bind_actor
from eduguard.catalog import service as catalog_service
from eduguard.compliance import flows
from eduguard.compliance.models import Finding, FindingStatus
from eduguard.compliance.schemas import FactsUpdate
from eduguard.consent import flows as consent_flows
from eduguard.consent.models import ConsentEvent
from eduguard.consent.schemas import GuardianCreate, RecordIn, SubjectCreate
from eduguard.processing.flows import publish, save_register, update_purpose
from eduguard.processing.models import RulesVersion
from eduguard.processing.schemas import PurposeUpdate, RegisterUpdate

from .conftest import TODAY, World, add_catalog, publish_rules, purpose, students_table

RETENTION = 180


def _evaluate(session: Session) -> None:
    flows.evaluate(session, today=TODAY, audit_retention_days=RETENTION)
    session.commit()


def _open(session: Session, rule_id: str, system_id: int) -> Finding | None:
    return session.scalar(
        select(Finding).where(
            Finding.rule_id == rule_id,
            Finding.subject_key == f"system:{system_id}",
            Finding.status == FindingStatus.open,
        )
    )


def test_a_statutory_basis_needs_no_consent_a_consent_basis_does(
    session: Session, world: World
) -> None:
    """学籍 of under-14 pupils with a health column: without a register both consent rules fail;
    a purpose under PIPL 13(三) lifts them (Art. 13 ¶2); a consent purpose brings back
    exactly the fields it uses."""
    system = world.school_a_system
    add_catalog(session, system, [students_table(minors=True, sensitive=True)])
    _evaluate(session)
    guardian = _open(session, "N10-GUARDIAN-CONSENT", system)
    separate = _open(session, "N11-SEPARATE-CONSENT", system)
    assert guardian is not None and "未列入已启用的处理目的" in guardian.evidence
    assert separate is not None and "xs_jbxx.jkzk" in (separate.field_names or "")
    assert "个人信息保护法 第十三条第二款" in separate.clause_list

    purpose(session, system, ["xm", "sfzjh", "jkzk"], "statutory", necessity="体质健康监测")
    session.commit()
    _evaluate(session)
    assert _open(session, "N10-GUARDIAN-CONSENT", system) is None
    assert _open(session, "N11-SEPARATE-CONSENT", system) is None

    purpose(session, system, ["jkzk"], "consent", name="心理辅导", necessity="辅导需要")
    session.commit()
    _evaluate(session)
    separate = _open(session, "N11-SEPARATE-CONSENT", system)
    assert separate is not None
    assert separate.field_names == "xs_jbxx.jkzk"  # not the statutory 学籍 fields
    guardian = _open(session, "N10-GUARDIAN-CONSENT", system)
    assert guardian is not None and guardian.field_names == "xs_jbxx.jkzk"
    assert "第十三条第一款第（三）项" in guardian.evidence  # the others named as exempt


def test_pi_without_an_active_purpose_and_basis_fails(session: Session, world: World) -> None:
    system = world.school_a_system
    add_catalog(session, system, [students_table(minors=False)])
    _evaluate(session)
    failing = _open(session, "N4-LEGAL-BASIS", system)
    assert failing is not None and "没有已启用" in failing.evidence
    assert failing.clause_list[1:] == ["个人信息保护法 第六条", "个人信息保护法 第十三条第一款"]

    purpose(session, system, ["xm", "sfzjh"], None, name="草稿目的")  # no basis: a draft
    session.commit()
    _evaluate(session)
    failing = _open(session, "N4-LEGAL-BASIS", system)
    assert failing is not None and "草稿目的" in failing.evidence

    purpose(session, system, ["xm"], "statutory")
    session.commit()
    _evaluate(session)
    failing = _open(session, "N4-LEGAL-BASIS", system)
    assert failing is not None and failing.field_names == "xs_jbxx.sfzjh"

    purpose(session, system, ["sfzjh"], "statutory", name="学籍注册")
    session.commit()
    _evaluate(session)
    assert _open(session, "N4-LEGAL-BASIS", system) is None
    # the other school's system holds PI and has no register: it still fails
    add_catalog(session, world.school_b_system, [students_table(minors=False)])
    _evaluate(session)
    assert _open(session, "N4-LEGAL-BASIS", world.school_b_system) is not None


def test_a_sensitive_field_needs_its_purposes_necessity(session: Session, world: World) -> None:
    system = world.school_a_system
    add_catalog(session, system, [students_table(minors=False, sensitive=True)])
    _evaluate(session)
    orphan = _open(session, "N11-SENSITIVE-NECESSITY", system)
    assert orphan is not None and "未列入任何已启用的处理目的" in orphan.evidence

    purpose(session, system, ["xm", "sfzjh", "jkzk"], "statutory", name="体检管理")
    session.commit()
    _evaluate(session)
    unstated = _open(session, "N11-SENSITIVE-NECESSITY", system)
    assert unstated is not None and "“体检管理”使用 xs_jbxx.jkzk" in unstated.evidence
    assert unstated.field_names == "xs_jbxx.jkzk"
    assert "个人信息保护法 第二十八条第二款" in unstated.clause_list

    purpose(session, system, ["jkzk"], "statutory", name="因病缺课登记", necessity="传染病防控所需")
    session.commit()
    _evaluate(session)
    still = _open(session, "N11-SENSITIVE-NECESSITY", system)
    assert still is not None and "因病缺课登记" not in still.evidence  # one purpose still silent


def test_rules_published_on_the_platform_are_item_4s_evidence(
    session: Session, world: World
) -> None:
    """No fact typed in: publishing the register's rules satisfies N4 and, for children's data,
    N10-CHILDREN-RULES; a version whose content no longer matches its SM3 digest does not."""
    system = world.school_a_system
    add_catalog(session, system, [students_table(minors=True)])
    purpose(session, system, ["xm", "sfzjh"], "statutory")
    session.commit()
    _evaluate(session)
    assert _open(session, "N4-COLLECTION-RULES", system) is not None
    children = _open(session, "N10-CHILDREN-RULES", system)
    assert children is not None and "xs_jbxx.xm" in (children.field_names or "")

    publish_rules(session, system)
    session.commit()
    _evaluate(session)
    assert _open(session, "N4-COLLECTION-RULES", system) is None
    assert _open(session, "N10-CHILDREN-RULES", system) is None

    # tampering with the stored document (the ORM refuses it; SQL does not)
    session.execute(
        update(RulesVersion)
        .where(RulesVersion.system_id == system)
        .values(content='{"tampered": true}')
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.expire_all()
    _evaluate(session)
    tampered = _open(session, "N4-COLLECTION-RULES", system)
    assert tampered is not None and "SM3" in tampered.evidence
    assert _open(session, "N10-CHILDREN-RULES", system) is not None


def _publish(session: Session, system: int) -> None:
    """The register with a way to withdraw (a consent-based purpose needs one), published."""
    update = RegisterUpdate(contact="学校办公室", rights_channel="到校办公室申请撤回")
    save_register(session, system, update, scope="/")
    publish(session, system, scope="/", by="tester")


def test_the_consent_rules_read_the_consent_ledger(session: Session, world: World) -> None:
    """Issue #18 part 9: for a field of a consent-based purpose the ledger is the evidence, not
    a typed yes/no — nobody registered fails, a registered pupil without a decision fails, a
    guardian's grant passes; a material change fails until re-consent (PIPL Art. 14 ¶2); a
    changed ledger row fails. A field in no purpose still falls back on the typed fact."""
    system = world.school_a_system
    add_catalog(session, system, [students_table(minors=True, sensitive=True)])
    purpose(session, system, ["xm", "sfzjh"], "statutory")
    counselling = purpose(session, system, ["jkzk"], "consent", name="心理辅导", necessity="辅导")
    _publish(session, system)
    session.commit()
    _evaluate(session)
    for rule in ("N10-GUARDIAN-CONSENT", "N11-SEPARATE-CONSENT"):
        failing = _open(session, rule, system)
        assert failing is not None and "没有登记任何个人" in failing.evidence, rule
        assert failing.field_names == "xs_jbxx.jkzk"
        assert "个人信息保护法 第十四条第二款" in failing.clause_list

    bind_actor(session, Actor(username="tester", reason="测试"))
    pupil = consent_flows.register_subject(
        session,
        SubjectCreate(unit_id=world.school_a, external_id="P-1", birth_date=date(2018, 3, 1)),
        scope="/",
    )
    mother = consent_flows.add_guardian(
        session, pupil.id, GuardianCreate(external_id="G-1"), scope="/"
    )
    session.commit()
    _evaluate(session)
    undecided = _open(session, "N10-GUARDIAN-CONSENT", system)
    assert undecided is not None and "均无监护人决定记录" in undecided.evidence

    grant = {"purpose_id": counselling, "action": "grant", "verification": "paper_form"}
    by_mother = RecordIn.model_validate({**grant, "given_by": "guardian", "guardian_id": mother.id})
    consent_flows.record(session, pupil, by_mother, scope="/", by="tester")
    session.commit()
    _evaluate(session)
    assert _open(session, "N10-GUARDIAN-CONSENT", system) is None
    assert _open(session, "N11-SEPARATE-CONSENT", system) is None

    datasets = catalog_service.list_datasets(session, system_id=system)
    wider = [f.id for d in datasets for f in d.fields if f.name in ("jkzk", "xm")]
    update_purpose(session, counselling, PurposeUpdate(field_ids=wider), scope="/")
    session.commit()
    _evaluate(session)
    stale = _open(session, "N10-GUARDIAN-CONSENT", system)
    assert stale is not None and "1 人此前的同意已失效" in stale.evidence
    _publish(session, system)
    consent_flows.record(session, pupil, by_mother, scope="/", by="tester")
    session.commit()
    _evaluate(session)
    assert _open(session, "N10-GUARDIAN-CONSENT", system) is None

    session.execute(
        update(ConsentEvent)
        .where(ConsentEvent.subject_id == pupil.id)
        .values(recorded_by="someone")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    _evaluate(session)
    tampered = _open(session, "N11-SEPARATE-CONSENT", system)
    assert tampered is not None and "SM3" in tampered.evidence


def test_a_field_in_no_purpose_falls_back_on_the_typed_fact(session: Session, world: World) -> None:
    system = world.school_a_system
    add_catalog(session, system, [students_table(minors=True, sensitive=True)])
    purpose(session, system, ["xm", "sfzjh"], "statutory")  # jkzk in no purpose
    session.commit()
    _evaluate(session)
    orphan = _open(session, "N11-SEPARATE-CONSENT", system)
    assert orphan is not None and "无同意台账可查" in orphan.evidence
    assert orphan.field_names == "xs_jbxx.jkzk"
    flows.save_facts(
        session, system, FactsUpdate(separate_consent_recorded=True), scope="/", by="tester"
    )
    session.commit()
    _evaluate(session)
    assert _open(session, "N11-SEPARATE-CONSENT", system) is None
