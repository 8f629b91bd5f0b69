"""A bounded schemathesis run against the OpenAPI document, as every role (via API tokens):
no 5xx anywhere, and no route answers data to a role whose actions do not include it. And a
time-bounded run as three roles (EDUGUARD_FUZZ_SECONDS, default 120) whose every response must
be no 5xx and match its declared schema; ``-s`` prints the count of requests and checks."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import response_schema_conformance

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


# ------------------------------------------- conformance: 3 roles, bounded in time

CONFORMANCE_SECONDS = float(os.environ.get("EDUGUARD_FUZZ_SECONDS", "120"))
CONFORMANCE_EXAMPLES = 12
THREE_ROLES = (Role.system_admin, Role.data_owner, Role.security_admin)


def test_responses_conform_to_the_schema_as_three_roles(
    admin_client: TestClient, accounts: Any
) -> None:
    """Every response of a schema-driven run (system administrator, data owner, security
    administrator; time-bounded) is no 5xx and matches its declared schema."""
    school = admin_client.post("/api/v1/units", json={"name": "己中学", "kind": "school"}).json()
    admin_client.post("/api/v1/systems", json={"name": "己校教务", "unit_id": school["id"]})
    spec = admin_client.get("/api/v1/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if not SKIP_PATHS.search(op.path)]
    tokens: dict[Role, str] = {}
    for role in THREE_ROLES:
        name = f"conform-{role.value}"
        accounts.create(name, {role}, unit_id=None if role != Role.data_owner else school["id"])
        accounts.login(admin_client, name)
        scopes = sorted(actions_of(frozenset({role})))
        made = admin_client.post("/api/v1/account/tokens", json={"name": "fuzz", "scopes": scopes})
        assert made.status_code == 201, made.text
        tokens[role] = made.json()["token"]
    admin_client.cookies.clear()
    admin_client.headers.pop("X-CSRF-Token", None)

    checks = [not_a_server_error, response_schema_conformance]
    tally = {"requests": 0, "checks": 0}
    problems: list[str] = []
    deadline = time.monotonic() + CONFORMANCE_SECONDS
    for operation in operations:
        if time.monotonic() > deadline:
            break
        conform_operation(admin_client, operation, tokens, checks, tally, problems, deadline)
    print(
        f"\nschema-driven run: {len(operations)} operations, {tally['requests']} requests, "
        f"{tally['checks']} checks, {len(problems)} problems, 3 roles; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(tally.items()) if k.startswith("status"))
    )
    assert tally["requests"] >= len(operations)
    assert problems == []


def conform_operation(
    client: TestClient,
    operation: Any,
    tokens: dict[Role, str],
    checks: list[Any],
    tally: dict[str, int],
    problems: list[str],
    deadline: float,
) -> None:
    @settings(
        max_examples=CONFORMANCE_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), role=st.sampled_from(sorted(tokens)))
    def probe(case: Any, role: Role) -> None:
        if time.monotonic() > deadline:
            return
        headers = {k: str(v) for k, v in (case.headers or {}).items()}
        headers["Authorization"] = f"Bearer {tokens[role]}"
        kwargs: dict[str, Any] = {"headers": headers, "params": case.query or None}
        if case.body is not NOT_SET and case.media_type == "application/json":
            kwargs["json"] = case.body
        elif case.body is not NOT_SET and isinstance(case.body, dict):  # multipart forms
            kwargs["data"] = {k: str(v) for k, v in case.body.items() if not isinstance(v, bytes)}
        response = client.request(case.method, case.formatted_path, **kwargs)
        tally["requests"] += 1
        tally[f"status {response.status_code}"] = tally.get(f"status {response.status_code}", 0) + 1
        tally["checks"] += len(checks)
        try:
            case.validate_response(response, checks=checks)
        except (AssertionError, BaseExceptionGroup) as failure:  # schemathesis' FailureGroup
            first = " ".join(str(failure).split())[:300]
            problems.append(
                f"{role.value} {case.method} {operation.path} → {response.status_code}: {first}"
            )

    probe()
