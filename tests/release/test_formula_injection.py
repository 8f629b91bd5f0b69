"""A release's output is written by the one export writer: a column whose values look like
formulas (``=HYPERLINK(…)``) reaches the recipient as text."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import build_world

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ['=HYPERLINK("http://127.0.0.1/x","点击")', "+1", "-1", "@SUM(1)", "\t=1"]


def test_release_output_has_no_formula_cell(
    admin_client: TestClient, accounts: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = sys.modules[build_world.__module__]
    original = module.student_rows

    def hostile_rows(count: int, seed: int = 11) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = original(count, seed)
        for n, row in enumerate(rows):
            row["bjmc"] = HOSTILE[n % len(HOSTILE)]  # a class name: not personal, kept
        return rows

    monkeypatch.setattr(module, "student_rows", hostile_rows)
    monkeypatch.setattr(module, "COLUMNS", [*module.COLUMNS, "bjmc"])
    world = build_world(admin_client, accounts, tmp_path, count=20)
    world.login("researcher")
    made = world.client.post(
        "/api/v1/releases",
        json={
            "dataset_id": world.dataset,
            "fields": ["cj", "bjmc"],
            "purpose": "学业质量统计研究",
            "recipient": "某师范大学课题组",
            "legal_basis": "课题合同",
        },
    )
    assert made.status_code == 201, made.text
    release_id = made.json()["id"]
    for step in world.client.get(f"/api/v1/releases/{release_id}").json()["steps"]:
        world.login({"data_owner": "owner1", "pi_officer": "pio1"}[step["role"]])
        decided = world.client.post(
            f"/api/v1/releases/{release_id}/decision",
            json={"decision": "approve", "reason": "用途明确，字段最小必要"},
        )
        assert decided.status_code == 200, decided.text
    assert world.work() == [release_id]
    world.login("researcher")
    got = world.client.get(f"/api/v1/releases/{release_id}/download")
    assert got.status_code == 200, got.text
    assert got.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"), newline="")))
    assert table[0] == ["cj", "bjmc"] and len(table) == 21
    cells = [cell for row in table for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_START)], cells
    assert {row[1] for row in table[1:]} == {"'" + value for value in HOSTILE}
