"""Masking operators, registered by name: ``REGISTRY["mask"]`` … (one module each).

Policies name operators; :func:`create` builds one from a name and its parameters and fails
with a Chinese message listing the names that exist.
"""

from __future__ import annotations

from typing import Any

from eduguard.protection.operators import (  # noqa: F401 - importing registers each operator
    generalise,
    mask,
    noise,
    pseudonymise,
    redact,
    shuffle,
    suppress,
    top_bottom_code,
)
from eduguard.protection.operators.base import (
    REGISTRY,
    Context,
    Operator,
    OperatorError,
    register,
)


def create(name: str, params: dict[str, Any] | None = None) -> Operator:
    """The operator registered as ``name``, configured with ``params``."""
    cls = REGISTRY.get(name)
    if cls is None:
        raise OperatorError(f"未知的脱敏算子“{name}”（可用：{'、'.join(sorted(REGISTRY))}）")
    return cls(**(params or {}))


__all__ = ["REGISTRY", "Context", "Operator", "OperatorError", "create", "register"]
