"""Alembic environment: runs against the engine eduguard hands it (see eduguard.db.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from eduguard.db.base import Base
from eduguard.db.schema import import_all_models

import_all_models()
config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()


def _run_sqlite(engine: Engine) -> None:
    """Batch mode rebuilds a SQLite table (copy, drop, rename); dropping a table other rows
    refer to must not trip their foreign keys. The pragma only works outside a transaction, so
    it is set on the driver connection before ours begins; the keys are checked before commit."""
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                _configure_and_run(connection)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            driver.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):  # pragma: no cover - only via eduguard.db.migrate
        raise RuntimeError("eduguard migrations run through eduguard.db.migrate")
    if engine.dialect.name == "sqlite":
        _run_sqlite(engine)
        return
    with engine.begin() as connection:
        _configure_and_run(connection)


run_migrations_online()
