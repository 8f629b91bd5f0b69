"""The scan report as objects: the exact shape of ../shared/contracts/scan-report.md.

``ScanReport.to_dict()`` is the JSON contract (report_version 1). Extend, never rename.
Extensions (documented in docs/scan.md): ``skipped`` (top level, only when a folder's files were
not scanned); per table of a document ``document``, ``findings``, ``leak`` and ``hidden``; per
column ``masking`` (only when some values are written masked).
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
    # values written masked, when some are: {"values", "masked", "unmasked", "share",
    # "deidentified"}; a column whose every value of its type is masked is de-identified
    masking: dict[str, Any] | None = None
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
            **({"masking": dict(self.masking)} if self.masking is not None else {}),
        }


@dataclass
class TableReport:
    name: str
    comment: str | None = None
    row_count: int | None = None
    rows_sampled: int = 0
    level: str = "general-1"
    # Where row_count is unknown without a full read (CSV): estimated from the file's size.
    row_count_estimate: int | None = None
    subjects: int | None = None
    minors: bool = False
    columns: list[ColumnReport] = field(default_factory=list)
    error: dict[str, str] | None = None  # {"code": ..., "message": ...} when the table failed
    # a table of a document (or a sheet read with its layout): where it is, what it leaks
    document: dict[str, str] | None = None  # {"path", "format", "part": "table" | "text"}
    findings: list[dict[str, Any]] = field(default_factory=list)
    leak: bool = False  # some personal information in it is not masked
    hidden: dict[str, Any] | None = None  # {"sheet": [...], "rows": [...], "columns": [...]}
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
        if self.row_count_estimate is not None:
            data["row_count_estimate"] = self.row_count_estimate
        if self.proposals:
            data["proposals"] = list(self.proposals)
        if self.error is not None:
            data["error"] = dict(self.error)
        if self.document is not None:
            data["document"] = dict(self.document)
            data["findings"] = [dict(finding) for finding in self.findings]
            data["leak"] = self.leak
        if self.hidden:
            data["hidden"] = dict(self.hidden)
        return data


@dataclass
class ScanReport:
    source: str
    scanned_at: str
    tables: list[TableReport] = field(default_factory=list)
    # files of a folder that were not scanned, each {"name", "code", "message"}
    skipped: list[dict[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(table.error is not None for table in self.tables)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "report_version": REPORT_VERSION,
            "source": self.source,
            "scanned_at": self.scanned_at,
            "tables": [table.to_dict() for table in self.tables],
        }
        if self.skipped:
            data["skipped"] = [dict(entry) for entry in self.skipped]
        return data
