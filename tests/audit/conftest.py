"""Audit fixtures: capture installed on the test's session factory, a signing policy under the
test's EDUGUARD_HOME, helpers to write events and to act as an attacker with database access."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import capture, service
from eduguard.audit.checkpoints import CheckpointPolicy
from eduguard.audit.service import Actor
from eduguard.config import Settings

AUDITOR = Actor(
    username="t.auditor",
    user_id=7,
    roles=("audit_admin",),
    unit_id=None,
    unit_path="/",
    client_address="192.0.2.10",
    reason="审计管理员在本单位范围内可查阅审计日志",
)


@pytest.fixture
def policy(settings: Settings) -> CheckpointPolicy:
    return CheckpointPolicy.from_settings(settings)


@pytest.fixture
def installed(
    session_factory: sessionmaker[Session], policy: CheckpointPolicy
) -> Iterator[sessionmaker[Session]]:
    capture.install(session_factory, policy)
    yield session_factory
    capture.uninstall(session_factory)


def write_events(factory: sessionmaker[Session], count: int, *, per_commit: int = 10) -> None:
    written = 0
    while written < count:
        with factory() as session, session.begin():
            service.bind_actor(session, AUDITOR)
            for _ in range(min(per_commit, count - written)):
                written += 1
                service.record(
                    session,
                    action="system.read",
                    object_type="system",
                    object_id=written,
                    fields=("name", "mlps_level"),
                    row_count=1,
                )


def drop_protection(engine: Engine) -> None:
    """What an attacker with database access does first: switch the append-only triggers off."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER ALL"))
            connection.execute(text("ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL"))
        else:
            for trigger in (
                "audit_events_no_update",
                "audit_events_no_delete",
                "audit_checkpoints_no_update",
                "audit_checkpoints_no_delete",
            ):
                connection.execute(text(f"DROP TRIGGER {trigger}"))


def restore_protection(engine: Engine) -> None:
    """Leave PostgreSQL as other tests expect it (SQLite files are per test)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER ALL"))
            connection.execute(text("ALTER TABLE audit_checkpoints ENABLE TRIGGER ALL"))
