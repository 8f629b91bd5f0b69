"""Chinese labels for what a report shows: PI type codes, levels, booleans.

The names live in the project's one registry, :mod:`eduguard.labels`; an unknown code (a newer
one) is shown as itself, never dropped.
"""

from __future__ import annotations

from eduguard import labels

PI_TYPE_LABELS: dict[str, str] = {code: zh for code, (zh, _en) in labels.PI_TYPES.items()}
LEVEL_LABELS: dict[str, str] = {code: zh for code, (zh, _en) in labels.LEVELS.items()}


def pi_type_label(code: str) -> str:
    """``姓名（PERSON_NAME）`` style: readable and still searchable by code."""
    label = PI_TYPE_LABELS.get(code)
    return f"{label}（{code}）" if label else code


def pi_types_text(codes: list[str]) -> str:
    return labels.labels("pi_type", codes) or "—"


def level_label(level: str) -> str:
    return labels.label("level", level)


def yes_no(value: bool) -> str:
    return "是" if value else "否"
