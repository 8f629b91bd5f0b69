"""Pydantic in/out for release requests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from eduguard.validation import RequestModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class ReleaseCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: int = Field(ge=1, le=2**31 - 1)
    fields: list[Name] = Field(min_length=1, max_length=500)
    purpose: str = Field(min_length=4, max_length=2000)
    recipient: str = Field(min_length=2, max_length=300)
    legal_basis: str = Field(min_length=2, max_length=2000)
    ethics_note: str = Field(default="", max_length=2000)
    k: int | None = Field(default=None, ge=2, le=10_000)
    l_diversity: int = Field(default=1, ge=1, le=100)
    quasi_identifiers: list[Name] = Field(default_factory=list, max_length=50)
    sensitive_attribute: Name | None = None
    submit: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.fields)) != len(self.fields):
            raise ValueError("字段不能重复")
        if (self.k is None) != (not self.quasi_identifiers):
            raise ValueError("k-匿名需要同时给出 k 与准标识符")
        if not set(self.quasi_identifiers) <= set(self.fields):
            raise ValueError("准标识符须是申请的字段")
        if self.l_diversity > 1 and not self.sensitive_attribute:
            raise ValueError("l 大于 1 时须指定敏感属性列")
        if self.sensitive_attribute and self.sensitive_attribute not in self.fields:
            raise ValueError("敏感属性列须是申请的字段")
        return self


class DecisionCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "return"]
    reason: str = Field(min_length=2, max_length=1000)
    # An approval of fields the copy carries no value of (suppressed or redacted) must say so.
    accept_empty: bool = False


class FieldTreatment(BaseModel):
    """What the de-identified copy does with one requested field (from the catalog's types
    and level and the default masking policy): shown to the requester and every approver."""

    field: str
    pi_types: list[str]
    level: str | None
    operator: str  # keep, mask, pseudonymise, generalise, suppress, redact …
    label: str  # Chinese: 保留原值, 屏蔽, 抑制（输出为空）…
    free_text: bool
    empty: bool  # the copy carries none of the original value


class StepRead(BaseModel):
    position: int
    label: str
    role: str
    unit_id: int
    unit: str
    status: str
    status_label: str
    decided_by: str | None
    reason: str | None
    decided_at: datetime | None


class TimelineEntry(BaseModel):
    action: str
    label: str
    actor: str
    step: int | None
    reason: str
    at: datetime


class ReleaseRead(BaseModel):
    id: int
    review_id: int
    state: str
    state_label: str
    system_id: int
    system: str
    unit: str
    owner_unit: str
    dataset_id: int
    dataset: str
    requester: str
    purpose: str
    recipient: str
    legal_basis: str
    ethics_note: str
    fields: list[str]
    quasi_identifiers: list[str]
    k: int | None
    l_diversity: int
    sensitive_attribute: str | None
    job_status: str
    job_error: str | None
    rows_exported: int | None
    finished_at: datetime | None
    created_at: datetime
    treatments: list[FieldTreatment]
    empty_fields: list[str]
    steps: list[StepRead]
    timeline: list[TimelineEntry]
    can_decide: bool
    can_download: bool
