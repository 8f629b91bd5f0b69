"""A bounded schemathesis run against the OpenAPI document, as every role (via API tokens):
no 5xx anywhere, and no route answers data to a role whose actions do not include it."""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core import NOT_SET

from eduguard.access.policy import ROLE_ACTIONS, actions_of
from eduguard.identity.models import Role
from eduguard.web.app import ROUTERS
from eduguard.web.deps import declared_actions

EXAMPLES_PER_OPERATION = 3
# These end or replace the caller's own session; covered by their own tests.
SKIP_PATHS = re.compile(r"/auth/(login|logout)|logout-everywhere")


def declared(method: str, path: str) -> str:
    for router in ROUTERS:
        for route in router.routes:
            if getattr(route, "path", None) == path and method.upper() in route.methods:
                for dependency in route.dependant.dependencies:
                    action = declared_actions(dependency.call) if dependency.call else None
                    if action:
                        return action
    raise AssertionError(f"no declared action for {method} {path}")


def test_fuzz_every_operation_as_every_role(admin_client: TestClient, accounts: Any) -> None:
    county = admin_client.post(
        "/api/v1/units", json={"name": "丙县教育局", "kind": "county"}
    ).json()
    spec = admin_client.get("/api/v1/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if not SKIP_PATHS.search(op.path)]
    assert len(operations) > 25

    tokens: dict[Role, str] = {}
    for role in Role:
        accounts.create(f"fuzz-{role.value}", {role}, unit_id=county["id"])
        accounts.login(admin_client, f"fuzz-{role.value}")
        scopes = sorted(actions_of(frozenset({role})))
        if not scopes:
            continue
        made = admin_client.post("/api/v1/account/tokens", json={"name": "fuzz", "scopes": scopes})
        assert made.status_code == 201, made.text
        tokens[role] = made.json()["token"]
    admin_client.cookies.clear()
    admin_client.headers.pop("X-CSRF-Token", None)

    problems: list[str] = []
    for operation in operations:
        run_operation(admin_client, operation, tokens, problems)
    assert problems == []


def run_operation(
    client: TestClient, operation: Any, tokens: dict[Role, str], problems: list[str]
) -> None:
    action = declared(operation.method, operation.path)

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), role=st.sampled_from(sorted(tokens)))
    def probe(case: Any, role: Role) -> None:
        headers = {k: str(v) for k, v in (case.headers or {}).items()}
        headers["Authorization"] = f"Bearer {tokens[role]}"
        kwargs: dict[str, Any] = {"headers": headers, "params": case.query or None}
        if case.body is not NOT_SET and case.media_type == "application/json":
            kwargs["json"] = case.body
        elif case.body is not NOT_SET and isinstance(case.body, dict):  # multipart forms
            kwargs["data"] = {k: str(v) for k, v in case.body.items() if not isinstance(v, bytes)}
        response = client.request(case.method, case.formatted_path, **kwargs)
        label = f"{role.value} {case.method} {case.formatted_path} → {response.status_code}"
        if response.status_code >= 500:
            problems.append(f"5xx: {label}")
        needs_grant = action not in ("authenticated", "public")
        if (
            needs_grant
            and action not in ROLE_ACTIONS[role]
            and response.status_code not in (401, 403)
        ):
            problems.append(f"answered without the action {action}: {label}")

    probe()
