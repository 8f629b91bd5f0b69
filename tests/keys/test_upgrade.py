"""An install at revision 0003 with data — plaintext contacts, ``sm4gcm:v1:`` secrets under
field.key, systems and users referring to the units — upgraded by ``eduguard init``."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select, text
from typer.testing import CliRunner

from eduguard.catalog.models import DataSource
from eduguard.cli.main import app
from eduguard.config import get_settings
from eduguard.crypto import FieldCipher, MasterKeySource
from eduguard.db import migrate
from eduguard.db.engine import make_engine, make_session_factory
from eduguard.identity.models import User
from eduguard.keys.keyring import Keyring
from eduguard.orgs.models import InformationSystem, Unit

from .conftest import CONTACT

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
OLD_KEY = bytes(range(16, 32))
TOTP = "JBSWY3DPEHPK3PXP"
SOURCE_PASSWORD = "Old-synthetic-Pw-42"


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    schema = f"eg_old_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_init_upgrades_and_encrypts_an_old_install(
    old_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(old_url)
    migrate.upgrade(engine, "0003")
    old = FieldCipher(OLD_KEY)
    with engine.begin() as connection:  # Core: what version 0003 wrote, no sealing
        units = Unit.__table__
        parent = connection.execute(
            insert(units).values(name="旧县教育局", kind="county", path="/")
        ).inserted_primary_key[0]
        school = connection.execute(
            insert(units).values(
                name="旧学校",
                kind="school",
                parent_id=parent,
                path=f"/{parent}/",
                principal_leader=CONTACT,
                security_contact=f"{CONTACT}二",
            )
        ).inserted_primary_key[0]
        system = connection.execute(
            insert(InformationSystem.__table__).values(
                name="学籍系统", unit_id=school, owner_unit_id=school, purpose=""
            )
        ).inserted_primary_key[0]
        user = connection.execute(
            insert(User.__table__).values(username="officer", password_hash="x", unit_id=school)
        ).inserted_primary_key[0]
        connection.execute(
            text("UPDATE users SET totp_secret_encrypted = :v WHERE id = :id"),
            {"v": old.encrypt(TOTP, f"users.totp_secret:{user}"), "id": user},
        )
        source = connection.execute(
            insert(DataSource.__table__).values(
                system_id=system,
                name="学籍库",
                kind="database",
                location="postgresql://reader@db.example/xj",
            )
        ).inserted_primary_key[0]
        connection.execute(
            text("UPDATE catalog_sources SET secret = :v WHERE id = :id"),
            {"v": old.encrypt(SOURCE_PASSWORD, f"catalog_sources:{source}:password"), "id": source},
        )
    engine.dispose()
    home = tmp_path / "home"
    (home / "keys").mkdir(parents=True)
    (home / "keys" / "field.key").write_text(OLD_KEY.hex())
    monkeypatch.setenv("EDUGUARD_HOME", str(home))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", old_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["init"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "已迁移 4 个字段到信封加密" in result.output, result.output

    engine = make_engine(old_url)
    try:
        with engine.connect() as connection:
            stored = [
                *connection.execute(
                    text("SELECT principal_leader, security_contact FROM units WHERE id = :id"),
                    {"id": school},
                ).one(),
                connection.execute(text("SELECT totp_secret_encrypted FROM users")).scalar_one(),
                connection.execute(text("SELECT secret FROM catalog_sources")).scalar_one(),
            ]
            if engine.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert all(value.startswith("sm4gcm:v2:") for value in stored), stored
        assert not (home / "keys" / "master.key").exists()  # field.key is the master
        factory = make_session_factory(engine, Keyring(MasterKeySource(home / "keys")))
        with factory() as session:
            unit = session.get(Unit, school)
            assert unit is not None
            assert (unit.principal_leader, unit.security_contact) == (CONTACT, f"{CONTACT}二")
            assert session.scalars(select(User)).one().totp_secret == TOTP
            assert session.scalars(select(DataSource)).one().secret == SOURCE_PASSWORD
            assert session.scalars(select(InformationSystem)).one().unit_id == school
    finally:
        engine.dispose()
