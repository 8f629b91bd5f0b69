"""Units, systems and agreements in the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eduguard.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from eduguard.orgs import service
from eduguard.orgs.models import Agreement, InformationSystem, Unit, UnitKind
from eduguard.orgs.schemas import (
    AgreementCreate,
    SystemCreate,
    SystemUpdate,
    UnitCreate,
    UnitUpdate,
)


def tree(session: Session) -> dict[str, Unit]:
    province = service.create_unit(session, UnitCreate(name="甲省教育厅", kind=UnitKind.province))
    city = service.create_unit(
        session, UnitCreate(name="乙市教育局", kind=UnitKind.city, parent_id=province.id)
    )
    county = service.create_unit(
        session, UnitCreate(name="丙县教育局", kind=UnitKind.county, parent_id=city.id)
    )
    a = service.create_unit(
        session, UnitCreate(name="丙县一中", kind=UnitKind.school, parent_id=county.id)
    )
    b = service.create_unit(
        session, UnitCreate(name="丙县二小", kind=UnitKind.school, parent_id=county.id)
    )
    session.commit()
    return {"province": province, "city": city, "county": county, "a": a, "b": b}


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_unit_paths_follow_the_tree(session: Session) -> None:
    units = tree(session)
    assert units["province"].path == f"/{units['province'].id}/"
    assert units["a"].path == f"{units['county'].path}{units['a'].id}/"
    below_county = service.list_units(session, scope=units["county"].path)
    assert {u.name for u in below_county} == {"丙县教育局", "丙县一中", "丙县二小"}


def test_school_cannot_sit_below_a_school(session: Session) -> None:
    units = tree(session)
    with pytest.raises(ValidationFailed) as info:
        service.create_unit(
            session, UnitCreate(name="附属小学", kind=UnitKind.school, parent_id=units["a"].id)
        )
    assert info.value.code == "invalid_parent_kind"
    assert "学校不能设在学校之下" in info.value.message_zh


@pytest.mark.parametrize("parent_key", [None, "county"])
def test_duplicate_unit_name_under_same_parent_is_refused(
    session: Session, parent_key: str | None
) -> None:
    units = tree(session)
    parent_id = units[parent_key].id if parent_key else None
    name = "甲省教育厅" if parent_key is None else "丙县一中"
    kind = UnitKind.province if parent_key is None else UnitKind.school
    before = count(session, Unit)
    with pytest.raises(Conflict):
        service.create_unit(session, UnitCreate(name=name, kind=kind, parent_id=parent_id))
    session.rollback()
    assert count(session, Unit) == before


def test_same_school_name_in_two_counties_is_allowed(session: Session) -> None:
    units = tree(session)
    other = service.create_unit(
        session, UnitCreate(name="丁县教育局", kind=UnitKind.county, parent_id=units["city"].id)
    )
    twin = service.create_unit(
        session, UnitCreate(name="丙县一中", kind=UnitKind.school, parent_id=other.id)
    )
    assert twin.id != units["a"].id


def test_rename_to_an_existing_sibling_name_is_refused(session: Session) -> None:
    units = tree(session)
    with pytest.raises(Conflict):
        service.update_unit(session, units["b"].id, UnitUpdate(name="丙县一中"))


def test_out_of_scope_unit_is_not_found(session: Session) -> None:
    units = tree(session)
    with pytest.raises(NotFound):
        service.get_unit(session, units["b"].id, scope=units["a"].path)
    assert service.get_unit(session, units["a"].id, scope=units["county"].path).name == "丙县一中"


def test_archive_refuses_a_unit_with_active_children(session: Session) -> None:
    units = tree(session)
    with pytest.raises(Conflict) as info:
        service.archive_unit(session, units["county"].id)
    assert info.value.details == {"units": 2, "systems": 0}
    service.archive_unit(session, units["b"].id)
    assert [u.name for u in service.list_units(session, scope=units["county"].path)] == [
        "丙县教育局",
        "丙县一中",
    ]
    archived = service.list_units(session, scope=units["county"].path, include_archived=True)
    assert len(archived) == 3


def test_system_with_missing_owner_unit_changes_nothing(session: Session) -> None:
    units = tree(session)
    before = count(session, InformationSystem)
    with pytest.raises(ValidationFailed) as info:
        service.create_system(
            session, SystemCreate(name="学籍系统", unit_id=units["a"].id, owner_unit_id=99_999)
        )
    assert info.value.details == {"unit_id": 99_999}
    session.rollback()
    assert count(session, InformationSystem) == before


def test_system_roles_and_search(session: Session) -> None:
    units = tree(session)
    system = service.create_system(
        session,
        SystemCreate(
            name="县域学籍系统",
            unit_id=units["county"].id,
            purpose="学籍管理",
            operator_unit_id=units["city"].id,
            user_unit_ids=[units["a"].id, units["b"].id, units["a"].id],
            pi_subject_count=12_000,
        ),
    )
    session.commit()
    assert system.owner_unit.id == units["county"].id  # defaults to the registering unit
    assert {u.name for u in system.user_units} == {"丙县一中", "丙县二小"}
    assert [s.id for s in service.list_systems(session, search="学籍")] == [system.id]
    assert service.list_systems(session, search="100%") == []
    # a school does not see the county's system through its own scope
    with pytest.raises(NotFound):
        service.get_system(session, system.id, scope=units["a"].path)
    updated = service.update_system(
        session, system.id, SystemUpdate(user_unit_ids=[units["b"].id], mlps_level=3)
    )
    assert [u.name for u in updated.user_units] == ["丙县二小"]
    assert updated.mlps_level == 3


def test_duplicate_system_name_in_unit(session: Session) -> None:
    units = tree(session)
    service.create_system(session, SystemCreate(name="门户网站", unit_id=units["a"].id))
    with pytest.raises(Conflict):
        service.create_system(session, SystemCreate(name="门户网站", unit_id=units["a"].id))
    # the same name in another unit is fine
    service.create_system(session, SystemCreate(name="门户网站", unit_id=units["b"].id))


def agreement_data(unit_id: int) -> AgreementCreate:
    return AgreementCreate(
        unit_id=unit_id,
        provider="示例科技公司",
        scope="学生姓名、班级",
        valid_from=date(2026, 1, 1),
        valid_until=date(2027, 1, 1),
    )


def test_agreement_document_is_stored_content_addressed(session: Session, tmp_path: Path) -> None:
    units = tree(session)
    agreement = service.create_agreement(
        session,
        agreement_data(units["a"].id),
        uploads_dir=tmp_path,
        max_bytes=1024,
        document=("../../etc/协议.pdf", b"%PDF-1.4 signed"),
    )
    stored = service.agreement_document(agreement, tmp_path)
    assert stored.read_bytes() == b"%PDF-1.4 signed"
    assert stored.parent == tmp_path / "agreements"
    assert agreement.document_name == "协议.pdf"
    assert len(agreement.document_sha256 or "") == 64


@pytest.mark.parametrize(
    ("document", "error"),
    [
        (("big.pdf", b"x" * 2048), PayloadTooLarge),
        (("run.exe", b"MZ"), ValidationFailed),
        (("empty.pdf", b""), ValidationFailed),
    ],
)
def test_bad_agreement_document_changes_nothing(
    session: Session, tmp_path: Path, document: tuple[str, bytes], error: type[Exception]
) -> None:
    units = tree(session)
    uploads = tmp_path / "uploads"
    with pytest.raises(error):
        service.create_agreement(
            session,
            agreement_data(units["a"].id),
            uploads_dir=uploads,
            max_bytes=1024,
            document=document,
        )
    session.rollback()
    assert count(session, Agreement) == 0
    assert not uploads.exists() or not any(uploads.rglob("*"))


def test_agreement_period_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="早于"):
        AgreementCreate(
            unit_id=1, provider="x", valid_from=date(2026, 2, 1), valid_until=date(2026, 1, 1)
        )
