"""Issue #13 item 12: every integer in a path or a query is bounded. An id of 2^63 (or 2^31 on
PostgreSQL's INTEGER keys) used to reach the database and answer 500 (OverflowError / integer
out of range); now every route answers 422 for it, and for -1."""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from eduguard.access.policy import AUTHENTICATED, MFA_PENDING, PUBLIC, ROLE_ACTIONS
from eduguard.identity.models import Role
from eduguard.web.app import ROUTERS
from eduguard.web.deps import declared_actions

BAD_VALUES = (str(2**63), "-1", str(2**31))
BIGINT_KEYS = frozenset({"event_id"})  # audit event ids are BIGINT: 2^31 is a valid one
# One account per administrator role (they may not be combined) and one holding every other.
HOLDERS = (
    {Role.system_admin},
    {Role.security_admin},
    {Role.audit_admin},
    {Role.data_owner, Role.data_operator, Role.data_user, Role.pi_officer, Role.supervisor},
)


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_int(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_int(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    return False


def _walk(dependant: Dependant) -> list[Dependant]:
    found = [dependant]
    for sub in dependant.dependencies:
        found += _walk(sub)
    return found


def _fill(path: str, target: str | None, value: str) -> str:
    """The path with ``target`` set to ``value`` and every other parameter to 1."""
    return re.sub(r"\{(\w+)\}", lambda m: value if m[1] == target else "1", path)


def _action(route: APIRoute) -> str | None:
    for dependency in _walk(route.dependant):
        action = declared_actions(dependency.call) if dependency.call else None
        if action:
            return action
    return None


def _clients(app_client: TestClient, accounts: Any) -> list[tuple[frozenset[str], TestClient]]:
    """A logged-in console client (cookie session, CSRF header) per holder of roles."""
    clients = []
    for number, roles in enumerate(HOLDERS):
        accounts.create(f"bounds{number}", set(roles))
        client = TestClient(app_client.app, raise_server_exceptions=False)
        accounts.login(client, f"bounds{number}")
        clients.append((frozenset().union(*(ROLE_ACTIONS[r] for r in roles)), client))
    return clients


def test_every_integer_parameter_of_every_route_is_bounded(
    app_client: TestClient, accounts: Any
) -> None:
    clients = _clients(app_client, accounts)
    probes: list[str] = []
    problems: list[str] = []
    for route in (route for router in ROUTERS for route in router.routes):
        if not isinstance(route, APIRoute):
            continue
        action = _action(route)
        granted = [
            c
            for scope, c in clients
            if action in (PUBLIC, AUTHENTICATED, MFA_PENDING) or action in scope
        ]
        if not granted:
            continue
        every = _walk(route.dependant)
        path_ints = {
            p.name for d in every for p in d.path_params if _is_int(p.field_info.annotation)
        }
        query_ints = {
            p.name for d in every for p in d.query_params if _is_int(p.field_info.annotation)
        }
        names = [("path", n) for n in sorted(path_ints)] + [
            ("query", n) for n in sorted(query_ints)
        ]
        for method in sorted(route.methods - {"HEAD"}):
            for where, name in names:
                for bad in BAD_VALUES[:2] if name in BIGINT_KEYS else BAD_VALUES:
                    target = name if where == "path" else None
                    path = _fill(route.path, target, bad)
                    params = {name: bad} if where == "query" else None
                    response = granted[0].request(method, path, params=params)
                    label = f"{method} {route.path} {where} {name}={bad} → {response.status_code}"
                    probes.append(label)
                    if response.status_code != 422 or name not in response.text:
                        problems.append(label)
    assert len(probes) > 150
    assert problems == []


def _unbounded(
    schema: dict[str, Any], where: str, found: list[str], components: dict[str, Any], seen: set[str]
) -> None:
    """Every integer in ``schema`` (following $ref/anyOf/items/properties) without a maximum."""
    ref = schema.get("$ref", "").rsplit("/", 1)[-1]
    if ref and ref not in seen:
        seen.add(ref)
        _unbounded(components[ref], where, found, components, seen)
    if schema.get("type") == "integer" and "maximum" not in schema:
        found.append(where)
    for option in schema.get("anyOf", []) + schema.get("allOf", []):
        _unbounded(option, where, found, components, seen)
    if isinstance(schema.get("items"), dict):
        _unbounded(schema["items"], f"{where}[]", found, components, seen)
    for name, sub in schema.get("properties", {}).items():
        _unbounded(sub, f"{where}.{name}", found, components, seen)


def test_every_integer_of_every_request_body_is_bounded(admin_client: TestClient) -> None:
    """A body's integer reaches the database like a path id does: 2^63 in a JSON body used to
    answer 500 (OverflowError on SQLite, integer out of range on PostgreSQL) from the consent
    API. Every request model's integer field declares a maximum, so pydantic answers 422."""
    spec = admin_client.get("/api/v1/openapi.json").json()
    components = spec["components"]["schemas"]
    used: set[str] = set()
    for item in spec["paths"].values():
        for operation in item.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "")
                if ref:
                    used.add(ref.rsplit("/", 1)[-1])
    assert len(used) > 20
    found: list[str] = []
    for name in sorted(used):
        _unbounded(components[name], name, found, components, set())
    assert found == [], "\n".join(found)
