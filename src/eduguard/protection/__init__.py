"""Protection: masking operators, policies, k-anonymity and differential privacy (issue 7).

``load_policy`` reads a policy (data file); ``REGISTRY`` holds the operators by name;
``mask_frame``/``plan_table`` mask a table; ``anonymise`` makes one k-anonymous and l-diverse;
``dp_count``/``dp_mean`` release statistics with a stated ε. ``job.run`` is ``eduguard mask``.
"""

from __future__ import annotations

from eduguard.protection.kanonymity import AnonymityResult, anonymise
from eduguard.protection.masking import ColumnPlan, mask_frame, mask_text, plan_table
from eduguard.protection.operators import REGISTRY, Context, Operator, OperatorError, create
from eduguard.protection.policy import Policy, PolicyError, Rule, load_policy, parse_policy

__all__ = [
    "REGISTRY",
    "AnonymityResult",
    "ColumnPlan",
    "Context",
    "Operator",
    "OperatorError",
    "Policy",
    "PolicyError",
    "Rule",
    "anonymise",
    "create",
    "load_policy",
    "mask_frame",
    "mask_text",
    "parse_policy",
    "plan_table",
]
