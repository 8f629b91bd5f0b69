"""A real ``eduguard serve`` process on the test's database (SQLite file or PostgreSQL schema),
for tests of what only a running server shows: concurrency, forwarded headers, the server log."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

import eduguard
from eduguard.config import Settings
from eduguard.identity.models import Role

SRC = Path(eduguard.__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A running server: its address, its stderr log (a file) and the test's accounts."""

    base: str
    log: Path
    accounts: Any
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def client(self, **kwargs: Any) -> httpx2.Client:
        return httpx2.Client(base_url=self.base, timeout=30, **kwargs)

    def login(self, client: httpx2.Client, username: str, **kwargs: Any) -> httpx2.Response:
        body = {"username": username, "password": "Admin-Passw0rd-for-tests"}
        body["totp"] = self.accounts.totp(username)
        response = client.post("/api/v1/auth/login", json=body, **kwargs)
        if response.status_code == 200:
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return response


def start_server(settings: Settings, log: Path, extra_env: dict[str, str]) -> tuple[str, Any]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "EDUGUARD_HOME": str(settings.home),
        "EDUGUARD_DATABASE_URL": settings.effective_database_url,
        "EDUGUARD_SECRET_KEY": settings.secret_key.get_secret_value(),
        "EDUGUARD_DEMO": "false",
        "EDUGUARD_SCAN_ROOTS": settings.scan_roots,
        **extra_env,
    }
    env.pop("EDUGUARD_CONFIG", None)
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "eduguard", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text(errors='replace')}")
        try:
            if httpx2.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return base, process
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"server did not start: {log.read_text(errors='replace')}")


@pytest.fixture
def serve(settings: Settings, accounts: Any, tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """``serve(**env)`` starts ``eduguard serve`` (extra ``EDUGUARD_*`` variables in ``env``)."""
    running: list[subprocess.Popen[bytes]] = []
    # The master key exists before the server checks it (the accounts' sealed TOTP secrets).
    accounts.create("bootstrap-admin", {Role.system_admin})

    def start(**extra_env: str) -> Served:
        log = tmp_path / f"server-{len(running)}.log"
        base, process = start_server(settings, log, extra_env)
        running.append(process)
        return Served(base, log, accounts, process, extra_env)

    yield start
    for process in running:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
