"""Classification and grading: the education taxonomy and GB/T 43697-2024 grading rules as data.

``load_rules(path)`` reads a rules file (the default: ``data/education.toml``);
``classify(rules, context)`` gives one column its category, level and reasons.
"""

from __future__ import annotations

from eduguard.classification.grading import (
    NON_PERSONAL_TYPES,
    SENSITIVE_TYPES,
    Classification,
    ColumnContext,
    classify,
)
from eduguard.classification.rules import LEVELS, Rules, RulesError, load_rules

__all__ = [
    "LEVELS",
    "NON_PERSONAL_TYPES",
    "SENSITIVE_TYPES",
    "Classification",
    "ColumnContext",
    "Rules",
    "RulesError",
    "classify",
    "load_rules",
]
