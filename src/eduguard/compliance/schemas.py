"""Pydantic shapes: system facts, findings, remediation tasks, unit scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from eduguard.compliance.models import FindingStatus, TaskStatus
from eduguard.validation import RequestModel

Ref = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
FilingNo = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1000)]


class FactsUpdate(RequestModel):
    """Facts about a system recorded by people; omitted keys stay as they are, null clears."""

    model_config = ConfigDict(extra="forbid")

    pi_officer_name: PersonName | None = None
    provincial_filing_no: FilingNo | None = None
    provincial_filing_date: date | None = None
    last_security_audit_date: date | None = None
    cross_border_assessment_ref: Ref | None = None
    cross_border_assessment_date: date | None = None
    guardian_consent_recorded: bool | None = None
    minors_access_logged: bool | None = None
    separate_consent_recorded: bool | None = None
    collective_decision_ref: Ref | None = None
    collective_decision_date: date | None = None
    sensitive_fields_encrypted: bool | None = None
    system_admin_name: PersonName | None = None
    security_admin_name: PersonName | None = None
    audit_admin_name: PersonName | None = None
    operation_logs_complete: bool | None = None
    operation_log_retention_days: int | None = Field(default=None, ge=0, le=36_500)
    pi_encrypted_storage: bool | None = None
    pi_encrypted_transit: bool | None = None
    last_mlps_assessment_date: date | None = None
    pia_date: date | None = None
    minors_compliance_audit_date: date | None = None
    pi_certification_ref: Ref | None = None
    data_security_officer_name: PersonName | None = None
    risk_assessment_date: date | None = None
    risk_assessment_reported: bool | None = None
    collection_rules_ref: Ref | None = None
    collection_rules_date: date | None = None
    pi_shared_with_others: bool | None = None
    sharing_approval_ref: Ref | None = None
    children_sharing_assessment_ref: Ref | None = None
    children_sharing_letter_ref: Ref | None = None
    notes: Notes | None = None

    @model_validator(mode="after")
    def _no_future_dates(self) -> FactsUpdate:
        _refuse_future_dates(self)
        return self


def _refuse_future_dates(model: BaseModel) -> None:
    """A recorded date is evidence of something done: never after today."""
    today = date.today()
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, date) and value > today:
            raise ValueError(f"{name}: 日期不能晚于今天")


class UnitFactsUpdate(RequestModel):
    """Facts a unit records of its own duties; omitted keys stay as they are, null clears."""

    model_config = ConfigDict(extra="forbid")

    security_rules_ref: Ref | None = None
    security_rules_date: date | None = None
    incident_plan_ref: Ref | None = None
    incident_plan_date: date | None = None
    incident_plan_covers_data: bool | None = None
    last_training_date: date | None = None
    training_record_ref: Ref | None = None
    open_catalog_ref: Ref | None = None
    sharing_list_ref: Ref | None = None
    data_security_officer_name: PersonName | None = None
    data_security_department: PersonName | None = None
    notes: Notes | None = None

    @model_validator(mode="after")
    def _no_future_dates(self) -> UnitFactsUpdate:
        _refuse_future_dates(self)
        return self


class UnitFactsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unit_id: int
    security_rules_ref: str | None = None
    security_rules_date: date | None = None
    incident_plan_ref: str | None = None
    incident_plan_date: date | None = None
    incident_plan_covers_data: bool = False
    last_training_date: date | None = None
    training_record_ref: str | None = None
    open_catalog_ref: str | None = None
    sharing_list_ref: str | None = None
    data_security_officer_name: str | None = None
    data_security_department: str | None = None
    notes: str = ""
    updated_by: str = ""
    updated_at: datetime | None = None


class FactsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    system_id: int
    pi_officer_name: str | None = None
    provincial_filing_no: str | None = None
    provincial_filing_date: date | None = None
    last_security_audit_date: date | None = None
    cross_border_assessment_ref: str | None = None
    cross_border_assessment_date: date | None = None
    guardian_consent_recorded: bool = False
    minors_access_logged: bool = False
    separate_consent_recorded: bool = False
    collective_decision_ref: str | None = None
    collective_decision_date: date | None = None
    sensitive_fields_encrypted: bool = False
    system_admin_name: str | None = None
    security_admin_name: str | None = None
    audit_admin_name: str | None = None
    operation_logs_complete: bool = False
    operation_log_retention_days: int | None = None
    pi_encrypted_storage: bool = False
    pi_encrypted_transit: bool = False
    last_mlps_assessment_date: date | None = None
    pia_date: date | None = None
    minors_compliance_audit_date: date | None = None
    pi_certification_ref: str | None = None
    data_security_officer_name: str | None = None
    risk_assessment_date: date | None = None
    risk_assessment_reported: bool = False
    collection_rules_ref: str | None = None
    collection_rules_date: date | None = None
    pi_shared_with_others: bool = False
    sharing_approval_ref: str | None = None
    children_sharing_assessment_ref: str | None = None
    children_sharing_letter_ref: str | None = None
    notes: str = ""
    updated_by: str = ""
    updated_at: datetime | None = None


class TaskRead(BaseModel):
    id: int
    description: str
    owner_role: str
    owner_role_label: str
    owner_user_id: int | None
    owner_username: str | None
    due_date: date
    overdue: bool
    status: TaskStatus
    close_reason: str | None
    closed_by: str | None
    closed_at: datetime | None


class CitationShown(BaseModel):
    """A citation for a page: the short label, with the full text for hover or expand."""

    citation: str
    short: str
    full: str


class ItemCount(BaseModel):
    """Open findings under one item of the notice (重点任务第N项)."""

    item: int
    label: str  # 第5项
    title: str  # 重点任务第5项 规范数据存储传输工作
    count: int


class FindingRead(BaseModel):
    id: int
    rule_id: str
    rules_version: str
    title: str
    clause: str  # the citations joined by "；"
    clauses: list[str]
    citations: list[CitationShown] = []
    notice_item: int | None = None  # the notice's 重点任务 the finding falls under
    notice_item_title: str | None = None  # 重点任务第5项 规范数据存储传输工作
    severity: str
    unit_id: int
    unit: str
    system_id: int | None
    system: str | None
    dataset: str | None
    fields: list[str]
    evidence: str
    status: FindingStatus
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    task: TaskRead | None


class TaskUpdate(RequestModel):
    """Assign (an account of the unit), move the due date, close with a reason, or reopen."""

    model_config = ConfigDict(extra="forbid")

    owner_user_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    due_date: date | None = None
    action: Literal["close", "reopen"] | None = None
    reason: Reason | None = None

    @model_validator(mode="after")
    def _reason_to_close(self) -> TaskUpdate:
        if self.action == "close" and not self.reason:
            raise ValueError("关闭整改任务须填写理由")
        return self


class UnitScore(BaseModel):
    unit_id: int
    unit: str
    path: str
    score: int  # over the unit and the units below it (compliance.scoring), as the dashboard
    own_score: int = 100  # the unit's own findings only
    open_by_severity: dict[str, int]
    findings_by_clause: dict[str, int]
    findings_by_item: list[ItemCount] = []  # open findings by the notice's item
    open_findings: int
    resolved_findings: int


class EvaluationSummary(BaseModel):
    rules_version: str
    scope: str
    subjects: int
    failing: int
    new_findings: int
    reopened: int
    resolved: int
    open_total: int
