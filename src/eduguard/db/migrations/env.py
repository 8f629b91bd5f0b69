"""Alembic environment: runs against the engine eduguard hands it (see eduguard.db.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from eduguard.db.base import Base
from eduguard.db.schema import import_all_models

import_all_models()
config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):  # pragma: no cover - only via eduguard.db.migrate
        raise RuntimeError("eduguard migrations run through eduguard.db.migrate")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
