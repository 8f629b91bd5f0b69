"""Pydantic shapes for the catalog (API in/out, console forms, CLI). No secret ever goes out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from eduguard import labels
from eduguard.catalog.models import ChangeKind, ReviewStatus, RunStatus, SourceKind
from eduguard.validation import RequestModel

LEVELS = ("core", "important", "general-4", "general-3", "general-2", "general-1")
LEVEL_LABELS = {code: zh for code, (zh, _en) in labels.LEVELS.items()}  # eduguard.labels


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能包含空字符")
    return value


Text200 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_nul),
]
Location = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    AfterValidator(_no_nul),
]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=1000),
    AfterValidator(_no_nul),
]
TypeCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z][A-Z0-9_]{1,39}$")
]
Category = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", max_length=200
    ),
]
Level = Literal["core", "important", "general-4", "general-3", "general-2", "general-1"]
Retention = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(_no_nul)
]


class SourceCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200
    location: Location = Field(
        description="数据库 URL（SQLAlchemy 形式，可含密码：密码单独加密保存）或文件/文件夹路径"
    )
    scan_every_days: int | None = Field(
        default=None, ge=1, le=366, description="定期扫描间隔（天）；缺省：仅按需扫描"
    )


class SourceUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200 | None = None
    location: Location | None = None
    scan_every_days: int | None = Field(
        default=None, ge=0, le=366, description="定期扫描间隔（天）；0 表示取消定期扫描"
    )


class SourceRead(BaseModel):
    id: int
    system_id: int
    name: str
    kind: SourceKind
    location: str = Field(description="显示用地址：密码以 *** 代替")
    has_password: bool
    archived: bool
    scan_every_days: int | None = None
    created_at: datetime
    updated_at: datetime


class ScanRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    source_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="缺省：全部数据源")
    sample: int | None = Field(default=None, ge=1, le=100_000_000, description="每表读取行数")


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    system_id: int
    source_id: int
    status: RunStatus
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    tables_total: int | None
    tables_done: int
    rows_read: int
    current_table: str | None
    datasets_count: int
    fields_count: int
    changes_count: int
    findings_count: int
    error_code: str | None
    error_message: str | None
    version_id: int | None


class FieldRead(BaseModel):
    id: int
    dataset_id: int
    dataset: str
    system_id: int
    name: str
    comment: str | None
    pi_types: list[str]
    category: str | None
    level: str
    sensitive: bool
    minors: bool
    confidence: float
    evidence: list[str]
    proposed_pi_types: list[str]
    proposed_category: str | None
    proposed_level: str
    review_status: ReviewStatus
    review_reason: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None


class DatasetRead(BaseModel):
    id: int
    system_id: int
    system: str
    unit_id: int
    source_id: int
    name: str
    comment: str | None
    row_count: int | None
    subjects: int | None
    level: str
    minors: bool
    sensitive: bool
    pi_types: list[str]
    retention_period: str | None
    storage_location: str
    owner_unit: str
    operator_unit: str | None
    user_units: list[str]
    fields_count: int
    proposals: list[str] = []  # important-data proposals for the whole table, for review


class DatasetUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    retention_period: Retention | None = None


class FieldReview(RequestModel):
    """Confirm the proposal, or correct it (types, category, level) — always with a reason."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirm", "correct"]
    reason: Reason
    pi_types: list[TypeCode] | None = Field(default=None, max_length=12)
    category: Category | None = None
    level: Level | None = None


class BulkAccept(RequestModel):
    model_config = ConfigDict(extra="forbid")

    system_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    min_confidence: float = Field(default=0.9, ge=0.5, le=1.0)
    reason: Reason = "批量确认高置信度的扫描建议"
    # The listing's filters: only the fields the reviewer sees are confirmed.
    search: str | None = Field(default=None, max_length=100)
    pi_type: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9_]*$")
    personal_only: bool = False
    include_sensitive: bool = Field(
        default=False, description="也确认敏感个人信息字段（缺省不确认，须逐个审核或明确包括）"
    )


class BulkResult(BaseModel):
    accepted: int


class ChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    version_id: int
    system_id: int
    kind: ChangeKind
    dataset_name: str
    field_name: str | None
    before: str | None
    after: str | None
    finding: bool


class AlertAcknowledge(RequestModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=2, max_length=500, description="处理说明（如：已核实并安排加密）")


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    system_id: int
    version_id: int
    change_id: int
    severity: str
    message: str
    audience: str
    status: str
    created_at: datetime
