"""The full schema: imports every domain's models so metadata is complete (Alembic, tests)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "eduguard.orgs.models",
    "eduguard.identity.models",
    "eduguard.audit.models",
    "eduguard.catalog.models",
    "eduguard.keys.models",
    "eduguard.reviews.models",
    "eduguard.release.models",
    "eduguard.compliance.models",
    "eduguard.tasks.models",
    "eduguard.notify.models",
    "eduguard.clocks.models",
    "eduguard.processing.models",
    "eduguard.consent.models",
    "eduguard.retention.models",
    "eduguard.retention.residual_models",
    "eduguard.collection.models",
    "eduguard.backup.models",
    "eduguard.sharing.models",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
