"""Pydantic in/out for collection plans and reviews."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from eduguard.validation import MAX_ID, MultiLine, RequestModel, SingleLine

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), SingleLine
]

Free = Annotated[str, MultiLine]  # free text: tab and newlines, no other control character
Line = Annotated[str, SingleLine]
SystemType = Literal[
    "xueji", "jiaowu", "zizhu", "zhaosheng", "tijian", "jiaxiao_app", "learning_app"
]


class FieldChoice(RequestModel):
    """What the requester says of one planned field."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    group: Name | None = None
    optional: bool = False
    justification: Free = Field(default="", max_length=2000)
    acquisition: Literal["collect", "share"] = "collect"


class PlanDetails(RequestModel):
    """The facts and artefacts of a plan (all optional: a review can be completed later)."""

    model_config = ConfigDict(extra="forbid")

    purpose: Free | None = Field(default=None, max_length=2000)
    # the purpose of the system's processing register the fields serve; sent as null: none
    # chosen (the approval then creates a draft purpose); not sent: unchanged
    purpose_id: int | None = Field(default=None, gt=0, le=MAX_ID)
    expected_subjects: int | None = Field(default=None, ge=0, le=2_000_000_000)
    children: bool | None = None
    storage_location: Literal["domestic", "overseas"] | None = None
    cross_border_ref: Line | None = Field(default=None, max_length=200)
    necessity_argument: Free | None = Field(default=None, max_length=5000)
    ethics_argument: Free | None = Field(default=None, max_length=5000)
    meeting_date: date | None = None
    meeting_attendees: list[Name] | None = Field(default=None, max_length=50)
    retention: dict[Name, Annotated[str, StringConstraints(max_length=200), SingleLine]] | None = (
        Field(default=None, max_length=200)
    )
    fields: list[FieldChoice] = Field(default_factory=list, max_length=500)


class PlanCreate(PlanDetails):
    system_id: int = Field(ge=1, le=2**31 - 1)
    system_type: SystemType
    title: Line | None = Field(default=None, max_length=200)


class DecisionCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "return"]
    reason: Free = Field(min_length=2, max_length=1000)


class FieldRead(BaseModel):
    id: int
    group: str
    name: str
    label: str | None
    choices: list[str]
    pi_types: list[str]
    pi_type_labels: list[str]
    category: str | None
    level: str
    level_label: str
    sensitive: bool
    minors: bool
    confidence: float
    evidence: list[str]
    optional: bool
    justification: str
    acquisition: str


class StepRead(BaseModel):
    position: int
    label: str
    status: str
    status_label: str
    unit: str
    decided_by: str | None
    reason: str | None


class CheckRead(BaseModel):
    code: str
    label: str
    status: str
    status_label: str
    summary: str
    items: list[str]
    cite: str
    clause: str


class RegisterWriteRead(BaseModel):
    """What the approval wrote into the system's processing register."""

    purpose_id: int | None
    purpose: str | None
    created: bool  # a draft purpose made by the approval
    purpose_status: str | None
    legal_basis: str | None
    linked: list[str]  # catalog fields newly linked ("dataset.field")
    planned: list[str]  # items added before the catalog holds them
    rules: list[dict[str, Any]]  # each new rules version: audience, number
    material: list[str]  # the material terms the write changed (consent.terms)
    reconsent: bool  # consents given to the earlier terms need re-consent
    summary: str
    summary_en: str = ""  # the same in English


class PurposeOption(BaseModel):
    id: int
    name: str
    status: str
    legal_basis: str | None


class PlanRead(BaseModel):
    id: int
    review_id: int
    title: str
    state: str
    state_label: str
    system_id: int
    system: str
    unit: str
    system_type: str
    system_type_label: str
    requester: str
    purpose: str
    source_name: str
    source_kind: str
    expected_subjects: int
    children: bool
    storage_location: str
    cross_border_ref: str
    necessity_argument: str
    ethics_argument: str
    meeting_date: date | None
    meeting_attendees: list[str]
    minutes_name: str | None
    retention: dict[str, str]
    groups: list[str]
    fields: list[FieldRead]
    checks: list[CheckRead]
    blocking: list[str]
    steps: list[StepRead]
    may_decide: bool
    timeline: list[dict[str, Any]]
    purpose_id: int | None = None
    purpose_name: str | None = None
    register_write: RegisterWriteRead | None = None
    purposes: list[PurposeOption] = Field(default_factory=list)  # the system's, to choose from


class CheckedField(BaseModel):
    """One field of ``eduguard collection check``: personal, and approved for the system or not."""

    group: str
    name: str
    pi_types: list[str]
    level: str
    sensitive: bool
    approved: bool
    reason: str
