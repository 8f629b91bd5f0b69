"""Shared fixtures: every database test runs on SQLite *and* on the PostgreSQL at 127.0.0.1.

Tests get a clean, migrated database each: SQLite by copying a migrated template file, PostgreSQL
by truncating the tables of a schema made for this run. Changes really commit, so transaction
behaviour is tested as it runs in production.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyotp
import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from eduguard.config import Settings
from eduguard.crypto import MasterKeySource
from eduguard.db import migrate
from eduguard.db.engine import make_engine, make_session_factory
from eduguard.identity import mfa
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.keys.keyring import Keyring
from eduguard.web.app import create_app

PG_SERVER = os.environ.get("EDUGUARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")
ADMIN_PASSWORD = "Admin-Passw0rd-for-tests"  # a synthetic test credential, not a secret


def pg_url(schema: str) -> str:
    return f"{PG_SERVER}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "eduguard.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    schema = f"eg_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(pg_url(schema))
    migrate.upgrade(engine)
    engine.dispose()
    yield schema
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "eduguard.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    schema: str = request.getfixturevalue("pg_schema")
    url = pg_url(schema)
    engine = make_engine(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    # A connection a previous test's server thread has not closed yet can still read a table:
    # PostgreSQL then picks the TRUNCATE as a deadlock victim (seen once under xdist). That
    # reader finishes on its own; try again rather than fail the next test's setup.
    for attempt in range(5):
        try:
            with engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            break
        except OperationalError as error:
            if "deadlock" not in str(error) or attempt == 4:
                raise
            time.sleep(0.5 * (attempt + 1))
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    """The keyring of the ``settings`` fixture's home (same master key file as the app's)."""
    return Keyring(MasterKeySource(tmp_path / "home" / "keys"))


@pytest.fixture
def session_factory(engine: Engine, keyring: Keyring) -> sessionmaker[Session]:
    return make_session_factory(engine, keyring)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session
        session.rollback()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=db_url,
        secret_key=secrets.token_urlsafe(48),
        demo=False,
        max_upload_bytes=64 * 1024,
        scan_roots=str(tmp_path),  # file sources of the catalog tests live in tmp_path
    )


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.engine.dispose()


class Accounts:
    """Create accounts (with TOTP enrolled where the role requires it) and log clients in."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.totp_secrets: dict[str, str] = {}

    def create(
        self,
        username: str,
        roles: set[Role],
        unit_id: int | None = None,
        password: str = ADMIN_PASSWORD,
        enrol_mfa: bool | None = None,
    ) -> int:
        with self.factory() as session, session.begin():
            user = identity_service.create_user(
                session, username=username, password=password, roles=roles, unit_id=unit_id
            )
            if enrol_mfa if enrol_mfa is not None else mfa.required_for(user):
                uri = mfa.begin_enrolment(user)
                secret = pyotp.parse_uri(uri).secret
                mfa.confirm_enrolment(user, pyotp.TOTP(secret).now())
                self.totp_secrets[username] = secret
            return user.id

    def totp(self, username: str) -> str | None:
        """The current code; the account's used-step record is cleared so tests may log in
        several times within one 30-second step."""
        secret = self.totp_secrets.get(username)
        if secret is None:
            return None
        with self.factory() as session, session.begin():
            identity_service.find_user(session, username).totp_last_step = None
        return str(pyotp.TOTP(secret).now())

    def login(self, client: TestClient, username: str, password: str = ADMIN_PASSWORD) -> str:
        """Log in through the API; returns the CSRF token and sends it on later requests."""
        client.cookies.clear()
        client.headers.pop("X-CSRF-Token", None)
        body = {"username": username, "password": password, "totp": self.totp(username)}
        response = client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 200, response.text
        token: str = response.json()["csrf_token"]
        client.headers["X-CSRF-Token"] = token
        return token


@pytest.fixture
def accounts(app_client: TestClient) -> Accounts:
    state = app_client.app.state  # type: ignore[attr-defined]
    return Accounts(state.session_factory)


@pytest.fixture
def admin_client(app_client: TestClient, accounts: Accounts) -> TestClient:
    accounts.create("sysadmin", {Role.system_admin})
    accounts.login(app_client, "sysadmin")
    return app_client


# ---------------------------------------------------------------- browser tests


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def live_server(settings: Settings) -> Iterator[tuple[str, Any]]:
    with serving(settings) as served:
        yield served


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[str, Any]]:
    """The console on a free local port (uvicorn in a thread): its base URL and the app."""
    app = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright (which downloads no browser)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
