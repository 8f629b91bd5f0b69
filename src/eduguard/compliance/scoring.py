"""One compliance score, for the dashboard, /compliance and the reports.

**A unit's own score** is the severity-weighted share of the rules it passes::

    own = 100 × (1 − Σ weight of the rules with an open finding of the unit
                     / Σ weight of all rules)

Each rule counts once, with the weight of its severity (``[weights]`` of the rules file: high 15,
medium 8, low 3); a failing rule counts with the highest severity among its open findings (an
escalated N6-ADMIN-SEPARATION weighs as high). So one rule can take at most its own share of the
score, however many datasets fail it — forty datasets without a storage period weigh as one
medium rule, less than data stored abroad (high) — and fixing the last failing subject of a rule
gives its points back.

**A unit's score** is the mean of the own scores of the unit and of every (not archived) unit
below it: a school's is its own; a county bureau's averages itself and its schools, each school
counting alike, so one weak school lowers the county without zeroing it. The dashboard's ranking
and the unit page, /compliance's table and the reports all show this figure (``scope_scores``);
/compliance also shows the own score.

>>> from eduguard.compliance.rules import default_rules
>>> rules = default_rules()
>>> unit_score({}, rules)
100.0
>>> many = unit_score({"N5-RETENTION": {"medium": 40}}, rules)
>>> abroad = unit_score({"N5-DOMESTIC-STORAGE": {"high": 1}}, rules)
>>> abroad < many < 100
True
>>> scope_scores({"/1/": 40.0, "/1/2/": 100.0, "/1/3/": 70.0}, ["/1/", "/1/3/"])
{'/1/': 70, '/1/3/': 70}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from eduguard.compliance.rules import SEVERITIES, RuleSet

_RANK = {severity: rank for rank, severity in enumerate(reversed(tuple(SEVERITIES)))}


def unit_score(open_by_rule: Mapping[str, Mapping[str, int]], ruleset: RuleSet) -> float:
    """A unit's own score (0–100, unrounded) from its open findings: rule id → severity →
    number open. Findings of rules the rule set no longer has are ignored."""
    total = lost = 0
    for rule in ruleset.rules:
        failing = [sev for sev, number in (open_by_rule.get(rule.id) or {}).items() if number > 0]
        severity = max(failing, key=lambda sev: _RANK.get(sev, 0)) if failing else rule.severity
        weight = ruleset.weights.get(severity, 0)
        total += weight
        if failing:
            lost += weight
    return 100.0 if total == 0 else 100.0 * (1 - lost / total)


def _ancestors(path: str) -> list[str]:
    """``/1/2/3/`` → ``/``, ``/1/``, ``/1/2/``, ``/1/2/3/``."""
    parts = [part for part in path.strip("/").split("/") if part]
    return ["/", *("/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts)))]


def scope_scores(own: Mapping[str, float], wanted: Iterable[str]) -> dict[str, int]:
    """For each wanted unit path: the rounded mean of the own scores of the units at or below
    it (``own``: every unit path of the scope → its own score). No unit: 100."""
    targets = dict.fromkeys(wanted)  # ordered, unique
    sums = dict.fromkeys(targets, 0.0)
    counts = dict.fromkeys(targets, 0)
    for path, value in own.items():
        for ancestor in _ancestors(path):
            if ancestor in targets:
                sums[ancestor] += value
                counts[ancestor] += 1
    return {path: round(sums[path] / counts[path]) if counts[path] else 100 for path in targets}


def common_scope(paths: Iterable[str]) -> str:
    """The deepest unit path every one of ``paths`` is at or below (``/`` at worst)."""
    chains = [_ancestors(path) for path in paths]
    if not chains:
        return "/"
    common = "/"
    for level in zip(*chains, strict=False):
        if len(set(level)) != 1:
            break
        common = level[0]
    return common
