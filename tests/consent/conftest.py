"""Fixtures for consent tests: a county and a school, a home-school system whose catalog holds
children's data, with a statutory purpose (学籍管理) and two consent-based ones (校园宣传照片,
课后托管服务), the rules published; the school's data owner and an operator. The catalog is
applied as a scan would leave it (names and types only, no values)."""

from __future__ import annotations

import secrets
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text, update
from sqlalchemy.orm import Session
from tests.conftest import BACKENDS, PG_SERVER, Accounts, pg_url

from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import RunStatus
from eduguard.catalog.schemas import SourceCreate
from eduguard.config import Settings
from eduguard.consent import flows
from eduguard.consent.models import ConsentSubject
from eduguard.consent.schemas import GuardianCreate, RecordIn, SubjectCreate
from eduguard.db import migrate
from eduguard.db.base import utcnow
from eduguard.db.engine import make_engine
from eduguard.identity.models import Role
from eduguard.processing.models import ProcessingPurpose
from eduguard.web.app import create_app

T0 = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)  # 09:00 Beijing, the first school day


def column(name: str, comment: str, types: list[str], **flags: bool) -> dict[str, Any]:
    return {
        "name": name,
        "comment": comment,
        "pi_types": types,
        "sensitive": flags.get("sensitive", False),
        "minors": flags.get("minors", False),
        "level": "general-4" if flags else "general-3",
        "confidence": 0.95,
        "evidence": [f"列名 {name} = {comment}"],
    }


@dataclass
class World:
    client: TestClient
    accounts: Any
    settings: Settings
    county: int
    school: int
    system: int
    statutory: int  # purpose ids
    photos: int
    afterschool: int
    fields: dict[str, int]

    @contextmanager
    def session(self) -> Iterator[Session]:
        factory = self.client.app.state.session_factory  # type: ignore[attr-defined]
        with factory() as session, session.begin():
            audit_service.bind_actor(session, Actor(username="test", reason="测试"))
            yield session

    def subject(self, external_id: str, birth: date | None = None, **kw: Any) -> int:
        with self.session() as session:
            subject = flows.register_subject(
                session,
                SubjectCreate(unit_id=self.school, external_id=external_id, birth_date=birth, **kw),
                scope="/",
            )
            return subject.id

    def guardian(self, subject_id: int, external_id: str, **kw: Any) -> int:
        with self.session() as session:
            return flows.add_guardian(
                session, subject_id, GuardianCreate(external_id=external_id, **kw), scope="/"
            ).id

    def record(self, subject_id: int, purpose: int, action: str, at: datetime, **kw: Any) -> int:
        body = {"purpose_id": purpose, "action": action, "verification": "paper_form", **kw}
        with self.session() as session:
            subject = session.get(ConsentSubject, subject_id)
            assert subject is not None
            row = flows.record(
                session, subject, RecordIn.model_validate(body), scope="/", by="t", now=at
            )
            return row.id

    def gate(self, subject_id: int, purpose: int, at: datetime) -> Any:
        with self.session() as session:
            subject = session.get(ConsentSubject, subject_id)
            assert subject is not None
            return flows.can_process(session, subject, purpose, at, scope="/")


@contextmanager
def factory_session(client: TestClient) -> Iterator[Session]:
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        yield session


def apply_catalog(client: TestClient, system_id: int, columns: list[dict[str, Any]]) -> None:
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        source = catalog_flows.add_source(
            session,
            system_id,
            SourceCreate(name="业务库", location=f"postgresql://db{system_id}.example/app"),
            scope="/",
            policy=catalog_service.LocationPolicy(),
        )
        run = catalog_service.queue_run(session, source, requested_by="test")
        run.status, run.started_at, run.finished_at = RunStatus.succeeded, utcnow(), utcnow()
        table = {
            "name": "xs",
            "comment": "学生",
            "row_count": 100,
            "rows_sampled": 100,
            "subjects": 100,
            "minors": True,
            "level": "general-4",
            "columns": columns,
        }
        catalog_flows.apply_run(session, run, {"report_version": 1, "tables": [table]})


def purpose(
    world_fields: dict[str, int], name: str, basis: str, fields: list[str]
) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"{name}的说明",
        "legal_basis": basis,
        "basis_detail": "《中华人民共和国义务教育法》" if basis == "statutory" else "",
        "necessity": "necessary" if basis == "statutory" else "optional",
        "collection_method": "学校登记",
        "retention_period": "毕业后 1 年",
        "sensitive_necessity": f"{name}涉及儿童信息：仅用于该目的，泄露可能使儿童被识别",
        "field_ids": [world_fields[f] for f in fields],
        "recipients": [],
    }


@pytest.fixture(scope="module", params=BACKENDS)
def consent_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A database of this module's own (one world per module and backend: building the world
    costs seconds, each test uses subjects of its own)."""
    home = tmp_path_factory.mktemp("consent")
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, home / "eduguard.db")
        yield f"sqlite:///{home / 'eduguard.db'}", home
        return
    schema = f"eg_consent_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(pg_url(schema))
    migrate.upgrade(engine)
    engine.dispose()
    yield pg_url(schema), home
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def world(consent_site: tuple[str, Path]) -> Iterator[World]:
    url, home = consent_site
    settings = Settings(
        home=home / "home",
        database_url=url,
        secret_key=secrets.token_urlsafe(48),
        demo=False,
        max_upload_bytes=64 * 1024,
        scan_roots=str(home),
        worker="external",  # the tests run tasks themselves, never a thread beside them
    )
    application = create_app(settings)
    with TestClient(application, raise_server_exceptions=False) as client:
        accounts = Accounts(application.state.session_factory)
        accounts.create("sysadmin", {Role.system_admin})
        accounts.login(client, "sysadmin")
        yield _build(client, accounts, settings)
    application.state.engine.dispose()


def _build(client: TestClient, accounts: Accounts, settings: Settings) -> World:
    county = client.post("/api/v1/units", json={"name": "辛县教育局", "kind": "county"}).json()
    school = client.post(
        "/api/v1/units", json={"name": "辛县一小", "kind": "school", "parent_id": county["id"]}
    ).json()
    system = client.post(
        "/api/v1/systems", json={"name": "一小家校通", "unit_id": school["id"]}
    ).json()
    apply_catalog(
        client,
        system["id"],
        [
            column("xh", "学号", ["STUDENT_NO"], minors=True),
            column("xm", "姓名", ["PERSON_NAME"], minors=True),
            column("jkzk", "健康状况", ["HEALTH"], sensitive=True, minors=True),
            column("jzsj", "家长手机号", ["MOBILE_PHONE"]),
        ],
    )
    found = client.get("/api/v1/catalog/fields", params={"system_id": system["id"], "limit": 50})
    fields = {f["name"]: f["id"] for f in found.json()}
    accounts.create("owner1", {Role.data_owner}, unit_id=school["id"])
    accounts.create("operator1", {Role.data_operator}, unit_id=school["id"])
    accounts.login(client, "owner1")
    ids = []
    for name, basis, used in (
        ("学籍管理", "statutory", ["xh", "xm"]),
        ("校园宣传照片", "consent", ["xm"]),
        ("课后托管服务", "consent", ["xm", "jzsj"]),
    ):
        made = client.post(
            f"/api/v1/processing/systems/{system['id']}/purposes",
            json=purpose(fields, name, basis, used),
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
        assert client.post(f"/api/v1/processing/purposes/{ids[-1]}/activate").status_code == 200
    register = client.put(
        f"/api/v1/processing/systems/{system['id']}",
        json={"contact": "一小办公室 010-0000000", "rights_channel": "到校办公室申请"},
    )
    assert register.status_code == 200, register.text
    published = client.post(f"/api/v1/processing/systems/{system['id']}/rules")
    assert published.status_code == 201, published.text
    with factory_session(client) as session:  # the purposes were in force before T0
        session.execute(update(ProcessingPurpose).values(activated_at=T0 - timedelta(days=30)))
    return World(
        client=client,
        accounts=accounts,
        settings=settings,
        county=county["id"],
        school=school["id"],
        system=system["id"],
        statutory=ids[0],
        photos=ids[1],
        afterschool=ids[2],
        fields=fields,
    )
