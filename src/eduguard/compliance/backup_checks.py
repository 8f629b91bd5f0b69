"""The check that reads a system's backup policy and recovery drills (the backup domain) —
notice item 5 (制定数据存储传输、备份恢复的安全策略), issue #20 part 7.

Like ``compliance.checks`` nothing here touches the database: ``compliance.snapshot`` fills
``SystemSnap.backup`` from ``backup.flows.postures``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from eduguard.compliance.checks import CheckSpec, Context, Outcome, SystemSnap


def backup_policy_and_drill(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """A backup policy on record, and a recovery drill that did not fail within
    ``max_drill_age_days`` of the evaluation day (a drill dated after it is no evidence)."""
    system: SystemSnap = s
    found = system.backup
    problems: list[str] = []
    if found is None or not found.policy:
        problems.append("未登记备份策略（备份频率、存放位置、加密方式、备份保留期限）")
    last = found.last_drill_on if found else None
    if last is not None and last > ctx.today:
        problems.append(f"恢复演练日期 {last.isoformat()} 晚于评估日期，不能作为证据")
    elif last is None:
        failed = found.last_failed_on if found else None
        problems.append(
            f"没有成功的恢复演练记录（{failed.isoformat()} 的演练恢复失败）"
            if failed
            else "没有恢复演练记录"
        )
    else:
        age = (ctx.today - last).days
        if age > p["max_drill_age_days"]:
            due = last + timedelta(days=p["max_drill_age_days"])
            problems.append(
                f"最近一次恢复演练为 {last.isoformat()}，距今 {age} 天，"
                f"超过 {p['max_drill_age_days']} 天（应于 {due.isoformat()} 前再次演练）"
            )
        elif found is not None and found.last_failed_on is not None:
            problems.append(f"{found.last_failed_on.isoformat()} 的恢复演练失败，尚未重新演练成功")
    return Outcome("；".join(problems)) if problems else None


BACKUP_CHECKS: dict[str, CheckSpec] = {
    "backup_policy_and_drill": CheckSpec(
        "system", {"max_drill_age_days": "int"}, backup_policy_and_drill
    ),
}
