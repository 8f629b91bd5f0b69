"""Fixtures of the shared platform pieces: a unit with role holders, a real SMTP server
(aiosmtpd) and a real local HTTP server standing in for a group robot's webhook."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import UnitCreate

PASSWORD = "Synthetic-Passw0rd-42"  # a synthetic test credential


@dataclass
class School:
    unit_id: int
    parent_id: int
    officer_id: int  # pi_officer of the school
    security_id: int  # security_admin of the county department above
    user_id: int  # a data_user of the school


@pytest.fixture
def school(session_factory: sessionmaker[Session]) -> School:
    with session_factory() as session, session.begin():
        county = orgs_service.create_unit(
            session, UnitCreate(name="示例县教育局", kind=UnitKind.county)
        )
        unit = orgs_service.create_unit(
            session, UnitCreate(name="示例第一中学", kind=UnitKind.school, parent_id=county.id)
        )
        officer = identity_service.create_user(
            session, username="officer", password=PASSWORD, roles={Role.pi_officer}, unit_id=unit.id
        )
        security = identity_service.create_user(
            session,
            username="security",
            password=PASSWORD,
            roles={Role.security_admin},
            unit_id=county.id,
        )
        user = identity_service.create_user(
            session, username="teacher", password=PASSWORD, roles={Role.data_user}, unit_id=unit.id
        )
        return School(unit.id, county.id, officer.id, security.id, user.id)


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@dataclass
class Robot:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # HTTP statuses to give, then 200


@pytest.fixture
def robot() -> Iterator[Robot]:
    state = Robot(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            state.received.append(json.loads(body))
            status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=test"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
