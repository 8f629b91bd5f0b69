"""A small world for the compliance tests: a county with two schools, systems, catalog data
(applied through the catalog's own flows), accounts. All names and numbers are synthetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import Dataset, RunStatus
from eduguard.catalog.schemas import FieldReview, SourceCreate
from eduguard.db.base import utcnow
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import StorageLocation, UnitKind
from eduguard.orgs.schemas import AgreementCreate, SystemCreate, UnitCreate

TODAY = date.today()
PASSWORD = "Compliance-Passw0rd-tests"


def column(name: str, types: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "pi_types": types,
        "sensitive": extra.get("sensitive", False),
        "minors": extra.get("minors", False),
        "category": extra.get("category"),
        "level": extra.get("level", "general-3" if types else "general-1"),
        "confidence": 0.95,
        "evidence": [],
    }


def add_catalog(
    session: Session, system_id: int, tables: list[dict[str, Any]], *, review: bool = False
) -> list[Dataset]:
    """Make ``tables`` (scan-report JSON) the catalog of a system, through the catalog flows."""
    source = catalog_flows.add_source(
        session,
        system_id,
        SourceCreate(name=f"数据库{system_id}", location=f"postgresql://db{system_id}.example/x"),
        scope="/",
        policy=catalog_service.LocationPolicy(),
    )
    run = catalog_service.queue_run(session, source, requested_by="test")
    run.status, run.finished_at = RunStatus.succeeded, utcnow()
    catalog_flows.apply_run(session, run, {"report_version": 1, "tables": tables})
    datasets = list(catalog_service.list_datasets(session, system_id=system_id, limit=100))
    if review:
        for dataset in datasets:
            for field in dataset.fields:
                catalog_flows.review(
                    session,
                    field.id,
                    FieldReview(decision="confirm", reason="人工核对无误"),
                    scope="/",
                    reviewer="tester",
                )
    return datasets


def students_table(*, minors: bool = True, sensitive: bool = False) -> dict[str, Any]:
    columns = [
        column("xh", []),
        column("xm", ["PERSON_NAME"], minors=minors),
        column("sfzjh", ["CN_RESIDENT_ID"], minors=minors),
    ]
    if sensitive:
        columns.append(column("jkzk", ["HEALTH"], sensitive=True, minors=minors))
    return {
        "name": "xs_jbxx",
        "row_count": 900,
        "rows_sampled": 900,
        "subjects": 880,
        "minors": minors,
        "level": "general-4",
        "columns": columns,
    }


@dataclass
class World:
    county: int
    school_a: int
    school_b: int
    county_system: int
    school_a_system: int
    school_b_system: int


def make_world(session: Session) -> World:
    county = orgs_service.create_unit(session, UnitCreate(name="乙县教育局", kind=UnitKind.county))
    school_a = orgs_service.create_unit(
        session, UnitCreate(name="乙县第一小学", kind=UnitKind.school, parent_id=county.id)
    )
    school_b = orgs_service.create_unit(
        session, UnitCreate(name="乙县第二小学", kind=UnitKind.school, parent_id=county.id)
    )
    county_system = orgs_service.create_system(
        session,
        SystemCreate(name="县域学籍系统", unit_id=county.id, mlps_level=2, pi_subject_count=40_000),
    )
    school_a_system = orgs_service.create_system(
        session,
        SystemCreate(name="一小家校 App", unit_id=school_a.id, pi_subject_count=900),
    )
    school_b_system = orgs_service.create_system(
        session,
        SystemCreate(
            name="二小食堂",
            unit_id=school_b.id,
            pi_subject_count=500,
            storage_location=StorageLocation.domestic,
        ),
    )
    session.flush()
    return World(
        county.id,
        school_a.id,
        school_b.id,
        county_system.id,
        school_a_system.id,
        school_b_system.id,
    )


@pytest.fixture
def world(session: Session) -> World:
    audit_capture.install(session)  # as the app and the CLI do for their sessions
    built = make_world(session)
    session.commit()
    return built


def admins(session: Session, unit_id: int | None = None) -> None:
    for username, role in (
        ("sys-a", Role.system_admin),
        ("sec-a", Role.security_admin),
        ("aud-a", Role.audit_admin),
    ):
        identity_service.create_user(
            session, username=username, password=PASSWORD, roles={role}, unit_id=unit_id
        )


def agreement(session: Session, unit_id: int, system_id: int, provider: str, days: int) -> None:
    orgs_service.create_agreement(
        session,
        AgreementCreate(
            unit_id=unit_id,
            system_id=system_id,
            provider=provider,
            scope="学生基本信息",
            scenarios="运维",
            boundaries="不得留存",
            valid_from=TODAY - timedelta(days=300),
            valid_until=TODAY + timedelta(days=days),
        ),
    )


def purpose(
    session: Session,
    system_id: int,
    fields: list[str],
    basis: str | None = "statutory",
    *,
    name: str = "学籍管理",
    necessity: str = "",
    active: bool = True,
) -> int:
    """A purpose of the system's processing register using ``fields`` (column names of its
    catalog), activated when it has a basis, through the processing flows."""
    from eduguard.processing import flows as processing_flows
    from eduguard.processing.models import LegalBasis, Necessity
    from eduguard.processing.schemas import PurposeCreate

    ids = [
        f.id
        for dataset in catalog_service.list_datasets(session, system_id=system_id, limit=100)
        for f in dataset.fields
        if f.name in fields
    ]
    created = processing_flows.create_purpose(
        session,
        system_id,
        PurposeCreate(
            name=name,
            legal_basis=LegalBasis(basis) if basis else None,
            basis_detail="《中华人民共和国教育法》" if basis == "statutory" else "",
            retention_period="学生毕业后 3 年",
            sensitive_necessity=necessity,
            # a consent-based purpose is optional: refusing it leaves the basic service (PIPL Art. 16)
            necessity=Necessity.optional if basis == "consent" else Necessity.necessary,
            field_ids=ids,
        ),
        scope="/",
    )
    if active and basis:
        processing_flows.activate(session, created.id, scope="/")
    return created.id


def publish_rules(session: Session, system_id: int) -> None:
    from eduguard.processing import flows as processing_flows
    from eduguard.processing.schemas import RegisterUpdate

    processing_flows.save_register(
        session, system_id, RegisterUpdate(contact="学校办公室 010-00000000"), scope="/"
    )
    processing_flows.publish(session, system_id, scope="/", by="tester")
