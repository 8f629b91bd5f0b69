"""The required proof: values planted through the normal services are nowhere in the database
in plaintext — not in the SQLite file nor its write-ahead log, not in any PostgreSQL row."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .conftest import CONTACT, check_readable, plant, raw_values

API_CONTACT = "接口联系人韦望舒"  # synthetic


def _plant_everything(
    audited_factory: sessionmaker[Session], admin_client: TestClient
) -> list[str]:
    planted = plant(audited_factory, units=3, users=2)
    check_readable(audited_factory, planted)  # the values really are there, readable
    response = admin_client.post(
        "/api/v1/units",
        json={"name": "接口学校", "kind": "school", "security_contact": API_CONTACT},
    )
    assert response.status_code == 201, response.text
    shown = admin_client.get(f"/api/v1/units/{response.json()['id']}").json()
    assert shown["security_contact"] == API_CONTACT
    values = [*planted.secrets(), API_CONTACT]
    assert any(CONTACT in value for value in values)
    return values


def test_planted_values_are_not_in_the_sqlite_files(
    audited_factory: sessionmaker[Session], admin_client: TestClient, engine: Engine, db_url: str
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("file bytes: SQLite only (PostgreSQL rows: the next test)")
    values = _plant_everything(audited_factory, admin_client)
    database = Path(str(make_url(db_url).database))
    wal = database.with_name(database.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # recent commits live in the WAL
    content = database.read_bytes() + wal.read_bytes()
    assert "示例学校".encode() in content  # unsealed data is there, readable: the check works
    for value in values:
        assert value.encode() not in content, "a planted value is stored in plaintext"
        assert value.encode("utf-16-le") not in content
    assert all(v.startswith("sm4gcm:v2:") for v in raw_values(engine))


def test_planted_values_are_in_no_postgresql_row(
    audited_factory: sessionmaker[Session], admin_client: TestClient, engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite: the file bytes test above")
    values = _plant_everything(audited_factory, admin_client)
    stored = raw_values(engine)
    # 3 units × 3 contacts, the API unit's contact, TOTP of 2 officers and the admin, 1 password
    assert len(stored) == 3 * 3 + 1 + 2 + 1 + 1
    assert all(v.startswith("sm4gcm:v2:") for v in stored)
    with engine.connect() as connection:
        rows = [
            row[0]
            for table in inspect(engine).get_table_names()
            for row in connection.execute(text(f'SELECT t::text FROM "{table}" t'))
        ]
    everything = "\n".join(rows)
    assert "示例学校" in everything  # unsealed data is there: the check works
    for value in values:
        assert value not in everything, "a planted value is stored in plaintext"
