"""Sealed columns: round trips, binding to table/column/row, legacy values, a wrong master key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from eduguard.crypto import DecryptionFailed, FieldCipher, MasterKeySource
from eduguard.errors import ConfigurationError
from eduguard.identity.models import User
from eduguard.keys import flows, service
from eduguard.keys.keyring import Keyring
from eduguard.keys.models import DataKey, KeyState
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import Unit, UnitKind
from eduguard.orgs.schemas import UnitCreate, UnitUpdate

from .conftest import CONTACT, check_readable, factory_with, plant, raw_values


def test_values_round_trip_and_are_stored_as_v2_tokens(
    audited_factory: sessionmaker[Session], engine: Engine
) -> None:
    planted = plant(audited_factory)
    stored = raw_values(engine)
    assert len(stored) == 3 * 3 + 2 + 1
    assert all(value.startswith("sm4gcm:v2:") for value in stored)
    assert not set(planted.secrets()) & set(stored)
    check_readable(audited_factory, planted)  # a fresh session: decrypted as rows load
    with audited_factory() as session, session.begin():
        unit_id = next(iter(planted.contacts))
        orgs_service.update_unit(session, unit_id, UnitUpdate(security_contact="新联系人丁"))
        orgs_service.update_unit(session, unit_id, UnitUpdate(leader_in_charge=None))
    with audited_factory() as session:
        unit = session.get(Unit, unit_id)
        assert unit is not None
        assert unit.security_contact == "新联系人丁" and unit.leader_in_charge is None
        raw = session.execute(
            text("SELECT security_contact, leader_in_charge FROM units WHERE id = :id"),
            {"id": unit_id},
        ).one()
        assert raw[0].startswith("sm4gcm:v2:") and raw[1] is None
        status = service.status(session)
    assert [key.fields for key in status.keys] == [3 * 3 - 1 + 2 + 1]
    assert status.legacy_v1 == status.plaintext == 0


def test_a_value_is_bound_to_its_row_and_column(
    audited_factory: sessionmaker[Session], engine: Engine
) -> None:
    planted = plant(audited_factory, units=2)
    first, second = planted.contacts
    with engine.begin() as connection:
        token = connection.execute(
            text("SELECT principal_leader FROM units WHERE id = :id"), {"id": first}
        ).scalar_one()
        connection.execute(
            text("UPDATE units SET principal_leader = :t WHERE id = :id"),
            {"t": token, "id": second},
        )
        connection.execute(
            text("UPDATE units SET leader_in_charge = :t WHERE id = :id"), {"t": token, "id": first}
        )
    for unit_id in (first, second):
        with audited_factory() as session, pytest.raises(DecryptionFailed):
            session.get(Unit, unit_id)


def test_a_wrong_master_key_is_a_clear_error_and_changes_nothing(
    audited_factory: sessionmaker[Session], engine: Engine, tmp_path: Path
) -> None:
    planted = plant(audited_factory, units=1, users=1)
    before = raw_values(engine)
    wrong = Keyring(MasterKeySource(tmp_path / "other-keys"))  # a new, different master key
    factory = factory_with(engine, wrong)
    unit_id = next(iter(planted.contacts))
    with factory() as session, pytest.raises(ConfigurationError) as raised:
        session.get(Unit, unit_id)
    assert raised.value.code == "master_key_mismatch"
    assert (
        "主密钥不正确" in raised.value.message_zh
        and wrong.master.fingerprint in raised.value.message_zh
    )
    with pytest.raises(ConfigurationError), factory() as session, session.begin():
        orgs_service.create_unit(
            session, UnitCreate(name="新学校", kind=UnitKind.school, principal_leader="某某")
        )
    with pytest.raises(ConfigurationError):
        flows.rotate_data_key(factory, wrong)
    with pytest.raises(ConfigurationError):
        flows.rotate_master(factory, wrong, MasterKeySource(tmp_path / "third").load())
    assert raw_values(engine) == before
    with audited_factory() as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == 2
        keys = session.scalars(select(DataKey)).all()
        right = MasterKeySource(tmp_path / "home" / "keys").load()
        assert [(k.state, k.master_fingerprint) for k in keys] == [
            (KeyState.active, right.fingerprint)
        ]
    check_readable(audited_factory, planted)


def test_an_old_install_keeps_its_field_key_and_migrates(
    engine: Engine, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    """Before envelope encryption: contacts in plaintext, TOTP secrets ``sm4gcm:v1:`` under
    HOME/keys/field.key. That key becomes the master; ``keys migrate`` rewrites both."""
    keys_dir = tmp_path / "old-home" / "keys"
    keys_dir.mkdir(parents=True)
    old_key = bytes(range(16))
    (keys_dir / "field.key").write_text(old_key.hex())
    with session_factory() as session, session.begin():  # rows made by the services...
        unit = orgs_service.create_unit(session, UnitCreate(name="旧学校", kind=UnitKind.school))
        user = User(username="old", password_hash="x", roles=[])
        session.add(user)
        session.flush()
        unit_id, user_id = unit.id, user.id
    legacy_token = FieldCipher(old_key).encrypt("JBSWY3DPEHPK3PXP", f"users.totp_secret:{user_id}")
    with engine.begin() as connection:  # ...then given the values an old version stored
        connection.execute(
            text("UPDATE units SET principal_leader = :v WHERE id = :id"),
            {"v": f"{CONTACT}旧", "id": unit_id},
        )
        connection.execute(
            text("UPDATE users SET totp_secret_encrypted = :v WHERE id = :id"),
            {"v": legacy_token, "id": user_id},
        )
    old = Keyring(MasterKeySource(keys_dir))
    assert old.master.key == old_key and not (keys_dir / "master.key").exists()
    factory = factory_with(engine, old)
    with factory() as session:
        assert session.get(Unit, unit_id).principal_leader == f"{CONTACT}旧"  # type: ignore[union-attr]
        assert session.get(User, user_id).totp_secret == "JBSWY3DPEHPK3PXP"  # type: ignore[union-attr]
        before = service.status(session)
    assert (before.plaintext, before.legacy_v1) == (1, 1)
    assert flows.migrate(factory, old, batch_size=1) == 2
    assert flows.migrate(factory, old) == 0  # idempotent
    with factory() as session:
        after = service.status(session)
        assert session.get(Unit, unit_id).principal_leader == f"{CONTACT}旧"  # type: ignore[union-attr]
        assert session.get(User, user_id).totp_secret == "JBSWY3DPEHPK3PXP"  # type: ignore[union-attr]
    assert (after.plaintext, after.legacy_v1) == (0, 0)
    stored = raw_values(engine)
    assert f"{CONTACT}旧" not in stored and all(v.startswith("sm4gcm:v2:") for v in stored)
