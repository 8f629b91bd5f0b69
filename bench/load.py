"""Load test of a running ``eduguard serve``: concurrent clients, mixed reads and writes through
the API with real logins (cookie sessions with CSRF, and API tokens), on SQLite and PostgreSQL
in one run.

    .venv/bin/python bench/load.py                          # 16 clients, 60 s per backend
    .venv/bin/python bench/load.py --clients 4 --seconds 10 --backends sqlite

For each backend: a fresh home and database (SQLite file in the home, or a PostgreSQL schema),
migrated and seeded (a system administrator with TOTP, one school, one system and one data
owner per client), then ``eduguard serve`` as a real process. Each client logs in through
``POST /api/v1/auth/login``; half of them then work through an API token. The mix: list
datasets, list and read systems, list units, ``auth/me`` (reads, each one audited), update a
system and register a new one (writes with their audit events). Printed per backend:
requests, requests/s, p50 / p99 latency, 5xx, other unexpected statuses, connection errors
and the "database is locked" lines of the server's log. Exit status 1 unless all are 0.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pyotp
from sqlalchemy import create_engine, text

import eduguard
from eduguard.crypto import MasterKeySource
from eduguard.db import migrate
from eduguard.db.engine import make_engine, make_session_factory
from eduguard.identity import mfa
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.keys.keyring import Keyring

PG_SERVER = os.environ.get("EDUGUARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "Load-Test-Passw0rd-42"  # noqa: S105 - synthetic accounts of a throw-away home
SRC = Path(eduguard.__file__).resolve().parent.parent
# (weight, name): the request mix of each client.
MIX = (
    (30, "list datasets"),
    (15, "list systems"),
    (15, "read system"),
    (10, "list units"),
    (10, "me"),
    (15, "update system"),
    (5, "register system"),
)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    exceptions: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1
            self.by_kind[kind] += 1


class Backend:
    """A home and a migrated, seeded database; ``url`` is what the server is given."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.home = workdir / name
        self.home.mkdir()
        self.schema = f"eg_load_{uuid.uuid4().hex[:8]}"
        if name == "sqlite":
            self.url = f"sqlite:///{self.home / 'eduguard.db'}"
        else:
            admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            admin.dispose()
            self.url = f"{PG_SERVER}?options=-csearch_path%3D{self.schema}"
        self.engine = make_engine(self.url)
        migrate.upgrade(self.engine)
        keyring = Keyring(MasterKeySource(self.home / "keys"))
        self.factory = make_session_factory(self.engine, keyring)
        self.admin_secret = self.create_user("load-admin", {Role.system_admin}, None, totp=True)

    def create_user(
        self, username: str, roles: set[Role], unit_id: int | None, totp: bool = False
    ) -> str | None:
        with self.factory() as session, session.begin():
            user = identity_service.create_user(
                session, username=username, password=PASSWORD, roles=roles, unit_id=unit_id
            )
            if not totp:
                return None
            secret = str(pyotp.parse_uri(mfa.begin_enrolment(user)).secret)
            mfa.confirm_enrolment(user, pyotp.TOTP(secret).now())
            user.totp_last_step = None  # the login below may fall in the same 30 s step
            return secret

    def close(self) -> None:
        self.engine.dispose()
        if self.name == "postgresql":
            admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(backend: Backend, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "EDUGUARD_HOME": str(backend.home),
        "EDUGUARD_DATABASE_URL": backend.url,
        "EDUGUARD_SECRET_KEY": secrets.token_urlsafe(48),
        "EDUGUARD_DEMO": "false",
        # Every client logs in from 127.0.0.1: the per-client login limit would answer 429.
        "EDUGUARD_LOGIN_RATE_PER_MINUTE": "10000",
    }
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
            raise SystemExit(f"server exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx2.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return process, base
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start:\n{log.read_text(errors='replace')}")


def login(client: httpx2.Client, username: str, totp: str | None = None) -> None:
    body = {"username": username, "password": PASSWORD, "totp": totp}
    response = client.post("/api/v1/auth/login", json=body)
    response.raise_for_status()
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]


def seed(backend: Backend, base: str, clients: int) -> tuple[int, list[int]]:
    """One school and one system per client, through the API as the administrator; then one
    data owner per client."""
    assert backend.admin_secret is not None
    with httpx2.Client(base_url=base, timeout=60) as admin:
        login(admin, "load-admin", pyotp.TOTP(backend.admin_secret).now())
        unit = admin.post("/api/v1/units", json={"name": "压测实验中学", "kind": "school"})
        unit.raise_for_status()
        unit_id = int(unit.json()["id"])
        systems = []
        for number in range(clients):
            made = admin.post(
                "/api/v1/systems", json={"name": f"压测系统{number:02d}", "unit_id": unit_id}
            )
            made.raise_for_status()
            systems.append(int(made.json()["id"]))
    for number in range(clients):
        backend.create_user(f"owner{number:02d}", {Role.data_owner}, unit_id)
    return unit_id, systems


def client_loop(
    base: str, number: int, unit_id: int, system_id: int, stop: float, tally: Tally
) -> None:
    rng = random.Random(number)
    kinds = [name for weight, name in MIX for _ in range(weight)]
    try:
        with httpx2.Client(base_url=base, timeout=60) as client:
            started = time.perf_counter()
            login(client, f"owner{number:02d}")
            tally.add("login", time.perf_counter() - started, 200)
            if number % 2:
                scopes = ["catalog:read", "system:read", "system:write", "unit:read"]
                made = client.post(
                    "/api/v1/account/tokens", json={"name": "load", "scopes": scopes}
                )
                made.raise_for_status()
                client.cookies.clear()
                client.headers.pop("X-CSRF-Token", None)
                client.headers["Authorization"] = f"Bearer {made.json()['token']}"
            serial = 0
            while time.monotonic() < stop:
                kind = rng.choice(kinds)
                serial += 1
                started = time.perf_counter()
                if kind == "list datasets":
                    response = client.get("/api/v1/catalog/datasets")
                elif kind == "list systems":
                    response = client.get("/api/v1/systems", params={"unit_id": unit_id})
                elif kind == "read system":
                    response = client.get(f"/api/v1/systems/{system_id}")
                elif kind == "list units":
                    response = client.get("/api/v1/units")
                elif kind == "me":
                    response = client.get("/api/v1/auth/me")
                elif kind == "update system":
                    body = {"purpose": f"客户端{number}第{serial}次更新"}
                    response = client.patch(f"/api/v1/systems/{system_id}", json=body)
                else:
                    body = {"name": f"压测新增{number:02d}-{serial}", "unit_id": unit_id}
                    response = client.post("/api/v1/systems", json=body)
                tally.add(kind, time.perf_counter() - started, response.status_code)
    except httpx2.HTTPError as exc:
        with tally.lock:
            tally.exceptions[type(exc).__name__] += 1


def run_backend(name: str, workdir: Path, clients: int, seconds: float) -> dict[str, object]:
    backend = Backend(name, workdir)
    log = workdir / f"{name}-server.log"
    process, base = start_server(backend, log)
    try:
        unit_id, systems = seed(backend, base, clients)
        tally = Tally()
        began = time.monotonic()
        stop = began + seconds
        threads = [
            threading.Thread(
                target=client_loop, args=(base, n, unit_id, systems[n], stop, tally), daemon=True
            )
            for n in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        elapsed = time.monotonic() - began
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        backend.close()
    server_log = log.read_text(errors="replace")
    latencies = sorted(tally.latencies)
    expected = {200, 201}
    return {
        "backend": name,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0,
        "5xx": sum(n for status, n in tally.statuses.items() if status >= 500),
        "other": sum(n for status, n in tally.statuses.items() if status not in expected),
        "exceptions": sum(tally.exceptions.values()),
        "locked": server_log.count("database is locked"),
        "writes": tally.by_kind["update system"] + tally.by_kind["register system"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="eduguard-load-") as workdir:
        for name in args.backends.split(","):
            print(f"{name}: {args.clients} clients, {args.seconds:.0f} s …", flush=True)
            rows.append(run_backend(name.strip(), Path(workdir), args.clients, args.seconds))
    print(
        f"\n{'backend':<11} {'requests':>9} {'writes':>7} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'5xx':>5} {'other':>6} {'conn err':>9} {'locked':>7}"
    )
    failed = False
    for row in rows:
        print(
            f"{row['backend']:<11} {row['requests']:>9} {row['writes']:>7} {row['rps']:>8.1f} "
            f"{row['p50']:>8.1f} {row['p99']:>8.1f} {row['5xx']:>5} {row['other']:>6} "
            f"{row['exceptions']:>9} {row['locked']:>7}"
        )
        failed = failed or any(row[key] for key in ("5xx", "other", "exceptions", "locked"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
