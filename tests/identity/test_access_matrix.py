"""Role × route matrix: every role gets exactly the routes its actions allow, on both databases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from eduguard.access.policy import AUTHENTICATED, MFA_PENDING, PUBLIC, ROLE_ACTIONS
from eduguard.identity.models import Role
from eduguard.web.app import ROUTERS
from eduguard.web.deps import declared_actions

ORGS_READ = {"unit:read", "system:read", "agreement:read"}
CATALOG = {"catalog:read"}
COMPLIANCE = {"compliance:read", "compliance:evaluate", "compliance:export", "compliance:write"}
CLOCKS = {"clock:read", "clock:manage"}  # legal deadlines: kept by security, owners, PI officers
PROCESSING = {"processing:read", "processing:write", "processing:publish"}
CONSENT = {"consent:read", "consent:write", "consent:check"}
RETENTION = {"retention:read", "retention:write", "retention:hold"}
COLLECTION = {"collection:read", "collection:approve"}
BACKUP = {"backup:read", "backup:write"}
SHARING = {"sharing:read", "sharing:write"}  # share attributes: set by the data owner only
EXPECTED: dict[Role, set[str]] = {
    Role.system_admin: ORGS_READ
    | CATALOG
    | {"unit:write", "system:write", "agreement:write", "user:read", "user:manage", "user:unlock"}
    | {"user:credentials"}
    | {"source:write", "catalog:scan"}
    | {"compliance:read", "compliance:evaluate"}
    | BACKUP,
    Role.security_admin: ORGS_READ
    | CATALOG
    | {"user:read", "user:unlock", "user:credentials", "catalog:alert"}
    | COMPLIANCE
    | CLOCKS
    | {"processing:read"}
    | {"retention:read", "retention:hold", "retention:approve"}
    | COLLECTION
    | {"backup:read"}
    | {"sharing:read"},
    Role.audit_admin: {"audit:read", "audit:export", "user:read", "user:credentials"}
    | {"retention:archive"},
    Role.data_owner: ORGS_READ
    | CATALOG
    | {"system:write", "agreement:write", "source:write", "catalog:scan", "catalog:review"}
    | {"catalog:export"}
    | {"release:read", "release:approve"}
    | COMPLIANCE
    | CLOCKS
    | PROCESSING
    | {"publish:check"}
    | CONSENT
    | RETENTION
    | {"retention:approve", "retention:archive"}
    | COLLECTION
    | {"collection:request"}
    | BACKUP
    | SHARING,
    Role.data_operator: ORGS_READ
    | CATALOG
    | {"catalog:scan", "compliance:read", "clock:read", "processing:read", "publish:check"}
    | {"consent:check"}
    | {"collection:read", "collection:request"},
    Role.data_user: {"unit:read", "system:read", "catalog:read"}
    | {"release:read", "release:request", "release:export"}
    | {"publish:check"},
    Role.pi_officer: ORGS_READ
    | CATALOG
    | {"catalog:export"}
    | {"release:read", "release:approve"}
    | COMPLIANCE
    | CLOCKS
    | PROCESSING
    | {"publish:check"}
    | CONSENT
    | RETENTION
    | COLLECTION
    | {"sharing:read"},
    Role.supervisor: ORGS_READ
    | CATALOG
    | {"catalog:export", "compliance:read", "compliance:export"}
    | {"release:read", "clock:read", "processing:read"}
    | {"retention:read"}
    | {"collection:read"}
    | {"backup:read"}
    | {"sharing:read"},
}
# Routes that end the caller's own session would cut the walk short.
SKIP = re.compile(r"logout")


def _action(dependant: Dependant) -> str | None:
    for dependency in dependant.dependencies:
        if dependency.call is not None and declared_actions(dependency.call):
            return declared_actions(dependency.call)
        found = _action(dependency)
        if found:
            return found
    return None


def routes() -> list[tuple[str, str, str]]:
    found = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and not SKIP.search(route.path):
                action = _action(route.dependant)
                assert action is not None, route.path
                for method in sorted(route.methods):
                    found.append((method, re.sub(r"\{[^}]+\}", "999999", route.path), action))
    return found


def test_policy_matches_the_expected_table() -> None:
    assert {role: set(actions) for role, actions in ROLE_ACTIONS.items()} == EXPECTED


def test_each_role_reaches_exactly_its_routes(admin_client: TestClient, accounts: Any) -> None:
    county = admin_client.post(
        "/api/v1/units", json={"name": "丙县教育局", "kind": "county"}
    ).json()
    for role in Role:
        accounts.create(f"u-{role.value}", {role}, unit_id=county["id"])
    walk = routes()
    assert len(walk) > 40
    mismatches = []
    for role in Role:
        accounts.login(admin_client, f"u-{role.value}")
        for method, path, action in walk:
            if action in (PUBLIC,):
                continue
            response = admin_client.request(method, path, follow_redirects=False)
            allowed = action in (AUTHENTICATED, MFA_PENDING) or action in EXPECTED[role]
            denied = response.status_code in (401, 403)
            if allowed == denied:
                mismatches.append((role.value, method, path, action, response.status_code))
    assert mismatches == []


def test_supervisor_reads_below_and_changes_nothing(
    admin_client: TestClient, accounts: Any
) -> None:
    county = admin_client.post(
        "/api/v1/units", json={"name": "丙县教育局", "kind": "county"}
    ).json()
    school = admin_client.post(
        "/api/v1/units", json={"name": "丙县一中", "kind": "school", "parent_id": county["id"]}
    ).json()
    other = admin_client.post("/api/v1/units", json={"name": "丁县教育局", "kind": "county"}).json()
    system = admin_client.post(
        "/api/v1/systems", json={"name": "学籍系统", "unit_id": school["id"]}
    ).json()
    elsewhere = admin_client.post(
        "/api/v1/systems", json={"name": "外县系统", "unit_id": other["id"]}
    ).json()
    accounts.create("watcher", {Role.supervisor}, unit_id=county["id"])
    accounts.login(admin_client, "watcher")
    assert admin_client.get(f"/api/v1/systems/{system['id']}").status_code == 200
    assert admin_client.get(f"/api/v1/systems/{elsewhere['id']}").status_code == 404
    assert [s["name"] for s in admin_client.get("/api/v1/systems").json()] == ["学籍系统"]
    changed = admin_client.patch(f"/api/v1/systems/{system['id']}", json={"mlps_level": 3})
    assert changed.status_code == 403


def test_every_route_requires_the_reviewed_action() -> None:
    """Pins route → action: a route declared with a weaker action than reviewed fails here
    (the matrix above checks roles against whatever a route declares)."""
    manifest = Path(__file__).with_name("route_actions.txt").read_text(encoding="utf-8")
    expected = {
        (method, path): action
        for method, path, action in (
            line.split() for line in manifest.splitlines() if line and not line.startswith("#")
        )
    }
    actual: dict[tuple[str, str], str] = {}
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                action = _action(route.dependant)
                assert action is not None
                for method in route.methods:
                    actual[(method, route.path)] = action
    assert actual == expected
