"""``--format json``: exactly ``ScanReport.to_dict()``, the public contract."""

from __future__ import annotations

import json

from eduguard.discovery.report import ScanReport


def render_json(report: ScanReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
