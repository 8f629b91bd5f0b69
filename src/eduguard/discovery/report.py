"""The scan report as objects: the exact shape of ../shared/contracts/scan-report.md.

``ScanReport.to_dict()`` is the JSON contract (report_version 1). Extend, never rename.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eduguard.discovery.sketch import KeyedSketch

REPORT_VERSION = 1
LEVELS = ("core", "important", "general-4", "general-3", "general-2", "general-1")
LEVEL_RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}


def highest_level(levels: list[str], default: str = "general-1") -> str:
    """就高从严: the strictest of the given levels."""
    return max(levels, key=LEVEL_RANK.__getitem__, default=default)


@dataclass
class ColumnReport:
    name: str
    comment: str | None = None
    pi_types: list[str] = field(default_factory=list)
    sensitive: bool = False
    minors: bool = False
    category: str | None = None
    level: str = "general-1"
    confidence: float = 0.0
    evidence: list[str] = field(default_factory=list)
    # keyed hashes of the values (scan_table(sketch_key=…)); never part of the JSON report
    sketch: KeyedSketch | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "comment": self.comment,
            "pi_types": list(self.pi_types),
            "sensitive": self.sensitive,
            "minors": self.minors,
            "category": self.category,
            "level": self.level,
            "confidence": round(self.confidence, 4),
            "evidence": list(self.evidence),
        }


@dataclass
class TableReport:
    name: str
    comment: str | None = None
    row_count: int | None = None
    rows_sampled: int = 0
    level: str = "general-1"
    subjects: int | None = None
    minors: bool = False
    columns: list[ColumnReport] = field(default_factory=list)
    error: dict[str, str] | None = None  # {"code": ..., "message": ...} when the table failed
    # important-data proposals for the whole table (for review; never its level)
    proposals: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "comment": self.comment,
            "row_count": self.row_count,
            "rows_sampled": self.rows_sampled,
            "level": self.level,
            "subjects": self.subjects,
            "minors": self.minors,
            "columns": [column.to_dict() for column in self.columns],
        }
        if self.proposals:
            data["proposals"] = list(self.proposals)
        if self.error is not None:
            data["error"] = dict(self.error)
        return data


@dataclass
class ScanReport:
    source: str
    scanned_at: str
    tables: list[TableReport] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(table.error is not None for table in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_version": REPORT_VERSION,
            "source": self.source,
            "scanned_at": self.scanned_at,
            "tables": [table.to_dict() for table in self.tables],
        }
