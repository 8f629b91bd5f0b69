"""Issue #13 item 6 (forwarded headers): X-Forwarded-For is believed only from the proxies in
EDUGUARD_TRUSTED_PROXIES. Before, uvicorn trusted it from any local client: rotating it
bypassed the per-client login limit and planted a chosen address in the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from eduguard.audit.models import AuditEvent
from eduguard.config import Settings

ATTEMPTS = 6
LIMIT = "3"


def _failed_logins(served: Any, forwarded: list[str]) -> list[int]:
    statuses = []
    with served.client() as client:
        for number, address in enumerate(forwarded):
            response = client.post(
                "/api/v1/auth/login",
                json={"username": f"ghost{number}", "password": "wrong-password"},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(response.status_code)
    return statuses


def _addresses(served: Any, action: str) -> list[str | None]:
    with served.accounts.factory() as session:
        query = select(AuditEvent.client_address).where(AuditEvent.action == action)
        return list(session.scalars(query.order_by(AuditEvent.id)))


def test_rotating_forwarded_for_neither_escapes_the_limit_nor_reaches_the_log(serve: Any) -> None:
    served = serve(EDUGUARD_LOGIN_RATE_PER_MINUTE=LIMIT)
    rotating = [f"198.51.100.{n + 1}" for n in range(ATTEMPTS)]
    statuses = _failed_logins(served, rotating)
    assert statuses[:3] == [401, 401, 401], statuses
    assert statuses[3:] == [429] * (ATTEMPTS - 3), statuses
    assert set(_addresses(served, "auth.login_failed")) == {"127.0.0.1"}
    # A successful login records (and its session keeps) the real peer too.
    with served.client() as client:
        response = served.login(client, "bootstrap-admin", headers={"X-Forwarded-For": "10.9.9.9"})
    assert response.status_code == 429  # this client's attempts are spent, whatever it claims
    assert "10.9.9.9" not in _addresses(served, "auth.login_failed")


def test_a_configured_proxy_is_believed(serve: Any) -> None:
    served = serve(EDUGUARD_LOGIN_RATE_PER_MINUTE=LIMIT, EDUGUARD_TRUSTED_PROXIES="127.0.0.0/8")
    # Each attempt comes from another client behind the proxy: no one reaches the limit. A
    # chain is read from the right, the first hop that is not a trusted proxy is the client.
    forwarded = [f"203.0.113.7, 198.51.100.{n + 1}" for n in range(ATTEMPTS)]
    assert _failed_logins(served, forwarded) == [401] * ATTEMPTS
    assert _addresses(served, "auth.login_failed") == [
        f"198.51.100.{n + 1}" for n in range(ATTEMPTS)
    ]
    with served.client() as client:
        response = served.login(client, "bootstrap-admin", headers={"X-Forwarded-For": "10.9.9.9"})
        assert response.status_code == 200, response.text
        client.get("/api/v1/users", headers={"X-Forwarded-For": "10.9.9.9"})
    assert _addresses(served, "auth.login")[-1] == "10.9.9.9"
    assert _addresses(served, "user.read")[-1] == "10.9.9.9"


def test_a_proxy_setting_that_is_not_an_address_refuses_to_start() -> None:
    with pytest.raises(ValidationError, match="不是 IP 地址或网段"):
        Settings(trusted_proxies="10.0.0.1, proxy.example")
    assert Settings(trusted_proxies="10.0.0.1, 192.168.0.0/16").trusted_proxy_networks
