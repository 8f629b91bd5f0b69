"""Planting distinctive synthetic values through the normal services."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import capture as audit_capture
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog.schemas import SourceCreate
from eduguard.catalog.service import LocationPolicy
from eduguard.crypto import MasterKeySource
from eduguard.db.engine import make_session_factory
from eduguard.identity import mfa
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.keys.keyring import Keyring
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import SystemCreate, UnitCreate

CONTACT = "测试联系人蔺晓璇"  # synthetic
SOURCE_PASSWORD = "Zq7-synthetic-Pw-9xK"
PASSWORD = "Admin-Passw0rd-for-tests"


@dataclass
class Planted:
    contacts: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # unit id → values
    totp: dict[int, str] = field(default_factory=dict)  # user id → secret
    sources: dict[int, str] = field(default_factory=dict)  # source id → password

    def secrets(self) -> list[str]:
        values = [v for trio in self.contacts.values() for v in trio]
        return [*values, *self.totp.values(), *self.sources.values()]


def plant(factory: sessionmaker[Session], units: int = 3, users: int = 2) -> Planted:
    planted = Planted()
    with factory() as session, session.begin():
        parent = orgs_service.create_unit(
            session, UnitCreate(name="示例县教育局", kind=UnitKind.county)
        )
        for n in range(units):
            values = (f"{CONTACT}{n}", f"分管领导乙{n}", f"安全联系人丙{n} 13900000{n:03d}")
            unit = orgs_service.create_unit(
                session,
                UnitCreate(
                    name=f"示例学校{n}",
                    kind=UnitKind.school,
                    parent_id=parent.id,
                    principal_leader=values[0],
                    leader_in_charge=values[1],
                    security_contact=values[2],
                ),
            )
            planted.contacts[unit.id] = values
        system = orgs_service.create_system(
            session, SystemCreate(name="学籍系统", unit_id=parent.id)
        )
        for n in range(users):
            user = identity_service.create_user(
                session,
                username=f"officer{n}",
                password=PASSWORD,
                roles={Role.pi_officer},
                unit_id=None,
            )
            uri = mfa.begin_enrolment(user)
            planted.totp[user.id] = pyotp.parse_uri(uri).secret
        location = f"postgresql://reader:{SOURCE_PASSWORD}@db.school.example:5432/xj"
        source = catalog_flows.add_source(
            session,
            system.id,
            SourceCreate(name="学籍库", location=location),
            scope="/",
            policy=LocationPolicy(()),
        )
        planted.sources[source.id] = SOURCE_PASSWORD
    return planted


def raw_values(engine: Engine) -> list[str]:
    """Every sealed column's stored text, read without the ORM."""
    queries = (
        "SELECT principal_leader, leader_in_charge, security_contact FROM units",
        "SELECT totp_secret_encrypted FROM users",
        "SELECT secret FROM catalog_sources",
    )
    with engine.connect() as connection:
        return [
            value
            for query in queries
            for row in connection.execute(text(query))
            for value in row
            if value is not None
        ]


def check_readable(factory: sessionmaker[Session], planted: Planted) -> None:
    from eduguard.catalog.models import DataSource
    from eduguard.identity.models import User
    from eduguard.orgs.models import Unit

    with factory() as session:
        for unit_id, values in planted.contacts.items():
            unit = session.get(Unit, unit_id)
            assert unit is not None
            assert (unit.principal_leader, unit.leader_in_charge, unit.security_contact) == values
        for user_id, secret in planted.totp.items():
            user = session.get(User, user_id)
            assert user is not None and user.totp_secret == secret
        for source_id, password in planted.sources.items():
            source = session.get(DataSource, source_id)
            assert source is not None and source.secret == password


@pytest.fixture
def audited_factory(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    audit_capture.install(session_factory)
    return session_factory


def keyring_at(keys_dir: Path) -> Keyring:
    return Keyring(MasterKeySource(keys_dir))


def factory_with(engine: Engine, keyring: Keyring) -> sessionmaker[Session]:
    factory = make_session_factory(engine, keyring)
    audit_capture.install(factory)
    return factory
