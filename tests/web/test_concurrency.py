"""Issue #13 item 3: a few clients at once on a running server (SQLite's single writer too)
get no 5xx and the server never meets "database is locked" — reads, writes, logins, tokens."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from eduguard.identity.models import Role

CLIENTS = 4
ROUNDS = 12  # each round: 4 reads, 1 write, through a cookie session or an API token


def _seed(served: Any) -> tuple[int, list[int]]:
    with served.client() as admin:
        assert served.login(admin, "bootstrap-admin").status_code == 200
        unit = admin.post("/api/v1/units", json={"name": "并发测试中学", "kind": "school"})
        assert unit.status_code == 201, unit.text
        unit_id = unit.json()["id"]
        systems = []
        for number in range(CLIENTS):
            made = admin.post(
                "/api/v1/systems", json={"name": f"教务系统{number}", "unit_id": unit_id}
            )
            assert made.status_code == 201, made.text
            systems.append(made.json()["id"])
    return unit_id, systems


def _client_work(
    served: Any, number: int, system_id: int, statuses: Counter[int], failures: list[str]
) -> None:
    try:
        with served.client() as client:
            response = served.login(client, f"owner{number}")
            statuses[response.status_code] += 1
            if number % 2:  # half the clients use an API token (each request updates it)
                token = client.post(
                    "/api/v1/account/tokens",
                    json={
                        "name": "load",
                        "scopes": ["catalog:read", "system:read", "system:write", "unit:read"],
                    },
                )
                statuses[token.status_code] += 1
                client.cookies.clear()
                client.headers["Authorization"] = f"Bearer {token.json()['token']}"
            for round_ in range(ROUNDS):
                for path in (
                    "/api/v1/catalog/datasets",
                    "/api/v1/systems",
                    f"/api/v1/systems/{system_id}",
                    "/api/v1/units",
                ):
                    statuses[client.get(path).status_code] += 1
                patch = client.patch(
                    f"/api/v1/systems/{system_id}", json={"purpose": f"第{round_}轮更新"}
                )
                statuses[patch.status_code] += 1
                if patch.status_code != 200:
                    failures.append(patch.text)
    except Exception as exc:  # a broken connection is a failure too
        failures.append(f"{type(exc).__name__}: {exc}")


def test_concurrent_clients_get_no_server_errors(serve: Any) -> None:
    served = serve()
    unit_id, systems = _seed(served)
    for number in range(CLIENTS):
        served.accounts.create(f"owner{number}", {Role.data_owner}, unit_id=unit_id)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    threads = [
        threading.Thread(target=_client_work, args=(served, n, systems[n], statuses, failures))
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []
    assert set(statuses) <= {200, 201}, statuses
    assert sum(statuses.values()) >= CLIENTS * ROUNDS * 5
    log = served.log_text()
    assert "database is locked" not in log
    assert "unexpected" not in log
