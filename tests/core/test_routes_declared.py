"""Every route declares the action it needs; nothing but public routes answers anonymously."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from eduguard.access.policy import ACTIONS, PUBLIC
from eduguard.web.app import ROUTERS
from eduguard.web.deps import declared_actions

PUBLIC_ROUTES = {
    ("GET", "/api/v1/health"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/api/v1/auth/login"),
    ("GET", "/lang/{code}"),
    # Published collection rules (PIPL Art. 17 ¶3: public and easy to consult), rate-limited.
    ("GET", "/rules/{system_id}"),
    ("GET", "/rules/{system_id}/children"),
    ("GET", "/rules/versions/{version_id}"),
    ("GET", "/rules/versions/{version_id}/document"),
    # Signed one-time consent links (PIPL Art. 14-15; people have no accounts), rate-limited.
    ("GET", "/consent/l/{token}"),
    ("POST", "/consent/l/{token}"),
    # The open-data catalog (数据开放目录, notice item 7): only 无条件共享 items, rate-limited.
    ("GET", "/open/{unit_id}"),
}


def _actions(dependant: Dependant) -> Iterator[str]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            action = declared_actions(dependency.call)
            if action is not None:
                yield action
        yield from _actions(dependency)


def api_routes(client: TestClient) -> list[APIRoute]:
    """All routes: the app's own and those of its included routers."""
    routes: list[APIRoute] = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute):
            routes.append(route)
        elif isinstance(route, Mount):
            assert route.path == "/static"
        else:
            original = getattr(route, "original_router", None)
            assert original is not None and any(original is r for r in ROUTERS), route
    for router in ROUTERS:
        routes.extend(r for r in router.routes if isinstance(r, APIRoute))
    return routes


def test_the_walk_sees_every_router(app_client: TestClient) -> None:
    paths = {route.path for route in api_routes(app_client)}
    assert {"/api/v1/systems", "/systems/new", "/login", "/api/v1/openapi.json"} <= paths


def test_every_route_declares_exactly_one_known_action(app_client: TestClient) -> None:
    problems = []
    for route in api_routes(app_client):
        actions = list(_actions(route.dependant))
        if len(actions) != 1 or actions[0] not in ACTIONS:
            problems.append(f"{sorted(route.methods)} {route.path}: {actions}")
    assert problems == []


def test_public_routes_are_exactly_the_allowed_ones(app_client: TestClient) -> None:
    public = {
        (method, route.path)
        for route in api_routes(app_client)
        for method in route.methods
        if list(_actions(route.dependant)) == [PUBLIC]
    }
    assert public == PUBLIC_ROUTES


def test_no_private_route_answers_without_login(app_client: TestClient) -> None:
    for route in api_routes(app_client):
        for method in route.methods:
            if (method, route.path) in PUBLIC_ROUTES:
                continue
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            kwargs: dict[str, Any] = {"follow_redirects": False}
            response = app_client.request(method, path, **kwargs)
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path, response.status_code)
            else:
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/login")
