"""The tail of the log is signed on a short interval by the server and by the worker, and the
sink that holds the exported checkpoints is private (0600)."""

from __future__ import annotations

import os
import stat
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import capture, checkpoints, tail, verify
from eduguard.audit.checkpoints import CheckpointPolicy
from eduguard.catalog import jobs
from eduguard.config import Settings
from eduguard.web.app import create_app

from .conftest import drop_protection, restore_protection, write_events


def _sink_ids(policy: CheckpointPolicy) -> list[int]:
    return [int(line["last_event_id"]) for line in checkpoints.read_sink(policy.sink)]


def test_the_server_signs_the_tail_within_its_interval(settings: Settings, engine: Engine) -> None:
    """Default N/M policy (10,000 events / 60 minutes): without the server's checkpointer the
    newest events stay unsigned, and cutting them is not seen."""
    settings = settings.model_copy(update={"audit_checkpoint_seconds": 1})
    policy = CheckpointPolicy.from_settings(settings)
    app = create_app(settings)
    factory: sessionmaker[Session] = app.state.session_factory
    try:
        with TestClient(app):
            write_events(factory, 12)
            deadline = time.monotonic() + 20
            while 12 not in _sink_ids(policy) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert 12 in _sink_ids(policy)
        drop_protection(engine)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("DELETE FROM audit_events WHERE id > 10")
            with factory() as session:
                result = verify.verify(
                    session.connection(), keys_dir=settings.keys_dir, sink=policy.sink
                )
        finally:
            restore_protection(engine)
    finally:
        app.state.engine.dispose()
    assert result.problem is not None
    assert (result.problem.code, result.problem.event_id) == ("truncated", 11)


def test_the_worker_loop_signs_the_tail(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    policy = CheckpointPolicy.from_settings(settings)
    capture.install(session_factory, policy)
    try:
        write_events(session_factory, 6)
        assert jobs.work(session_factory, once=True) == 0
        assert _sink_ids(policy)[-1] >= 6
        written = _sink_ids(policy)
        jobs.work(session_factory, once=True)  # within the interval: no new checkpoint
        assert _sink_ids(policy) == written
    finally:
        capture.uninstall(session_factory)


def test_the_checkpoint_sink_is_readable_by_the_service_account_only(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    policy = CheckpointPolicy.from_settings(settings)
    assert policy.sink is not None
    capture.install(session_factory, policy)
    try:
        write_events(session_factory, 3)
        tail.checkpoint_tail(session_factory, policy)
        assert stat.S_IMODE(os.stat(policy.sink).st_mode) == 0o600
        os.chmod(policy.sink, 0o644)  # left so by an older version
        write_events(session_factory, 2)
        tail.checkpoint_tail(session_factory, policy)
        assert stat.S_IMODE(os.stat(policy.sink).st_mode) == 0o600
        assert _sink_ids(policy)[-2:] == [3, 5]
    finally:
        capture.uninstall(session_factory)
