"""The examples in the detectors' docstrings (their specs) run as tests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import polars as pl
import pytest

import eduguard.discovery.detectors as detectors_package
from eduguard.discovery.detectors.base import Values

MODULES = [
    f"eduguard.discovery.detectors.{info.name}"
    for info in pkgutil.iter_modules(detectors_package.__path__)
] + [
    "eduguard.discovery.textscan",
    "eduguard.discovery.distinct",
    "eduguard.discovery.api",
    "eduguard.discovery.sqlsplit",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    # a module whose checks are declared rules imports neither: its examples still use them
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS, extraglobs={"pl": pl, "Values": Values}
    )
    assert result.failed == 0


def test_every_type_module_documents_its_spec_with_examples() -> None:
    for name in MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "DETECTOR"):
            assert module.__doc__ and ">>>" in module.__doc__, name
            assert "Spec" in module.__doc__, name
