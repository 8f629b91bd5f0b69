"""Fixtures of the discovery tests: default rules, in-memory tables, the labelled corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# corpus.py sits beside the tests; pytest runs with --import-mode=importlib (no sys.path change)
sys.path.insert(0, str(Path(__file__).parent))

from eduguard.classification import Rules, load_rules


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules(None)
