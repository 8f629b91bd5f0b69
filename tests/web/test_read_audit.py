"""A GET's audit event (an export, a search) is written after its read, in a writing
transaction of its own: when another connection wrote while the read was open (the in-process
worker's heartbeat), SQLite refuses to upgrade a read transaction to a write, so an event
appended inside it failed the download with "database is locked" (seen on the compliance PDF
in the main-job browser test)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.requests import Request

from eduguard.audit import service as audit_service
from eduguard.audit.models import AuditEvent
from eduguard.audit.service import Actor
from eduguard.web.deps import get_session


def _get_request(client: TestClient) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/x", "headers": [], "app": client.app}
    )


def test_a_read_requests_event_survives_a_write_in_between(app_client: TestClient) -> None:
    factory = app_client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    request = _get_request(app_client)
    dependency = get_session(request)
    session = next(dependency)
    session.scalar(select(func.count()).select_from(AuditEvent))  # the read has begun
    audit_service.record(
        session, action="compliance.export", object_type="compliance", actor=Actor.cli("读")
    )
    with factory() as other, other.begin():  # another writer commits meanwhile
        audit_service.record(other, action="worker.heartbeat", actor=Actor.cli("写"))
    for _ in dependency:  # the request ends: commit, then the deferred event
        pass
    with factory() as session:
        actions = session.scalars(
            select(AuditEvent.action).order_by(AuditEvent.id).offset(before)
        ).all()
    assert actions == ["worker.heartbeat", "compliance.export"]


def test_a_failed_read_writes_no_event(app_client: TestClient) -> None:
    factory = app_client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    dependency = get_session(_get_request(app_client))
    session = next(dependency)
    audit_service.record(session, action="catalog.export", actor=Actor.cli("读"))
    with pytest.raises(RuntimeError):
        dependency.throw(RuntimeError("the endpoint failed"))
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
