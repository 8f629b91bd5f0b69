"""Pydantic in/out of the consent domain (API bodies and answers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from eduguard.consent.models import (
    Action,
    Channel,
    GivenBy,
    GuardianPolicy,
    SubjectKind,
    Verification,
)
from eduguard.validation import MAX_ID


class SubjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: int = Field(gt=0, le=MAX_ID)
    kind: SubjectKind = SubjectKind.student
    external_id: str = Field(min_length=1, max_length=64, description="学籍号/工号（只存其 HMAC）")
    birth_date: date | None = None
    label: str | None = Field(default=None, max_length=100, description="显示名（加密保存）")
    guardian_policy: GuardianPolicy = GuardianPolicy.any


class GuardianCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=64, description="监护人编号（只存其 HMAC）")
    relation: str = Field(default="guardian", max_length=20)
    label: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=200)


class SubjectLookup(BaseModel):
    """A subject by the school's own id (the id is hashed, never stored or logged)."""

    model_config = ConfigDict(extra="forbid")

    unit_id: int = Field(gt=0, le=MAX_ID)
    kind: SubjectKind = SubjectKind.student
    external_id: str = Field(min_length=1, max_length=64)


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose_id: int = Field(gt=0, le=MAX_ID)
    action: Literal[Action.grant, Action.refuse, Action.withdraw]
    given_by: Literal[GivenBy.subject, GivenBy.guardian] = GivenBy.subject
    guardian_id: int | None = Field(default=None, gt=0, le=MAX_ID)
    verification: Verification
    channel: Channel = Channel.console


class GuardianRead(BaseModel):
    id: int
    relation: str
    label: str | None
    active: bool


class EventRead(BaseModel):
    id: int
    seq: int
    purpose_id: int
    purpose: str
    action: str
    given_by: str
    guardian_id: int | None
    verification: str
    channel: str
    at: datetime
    recorded_by: str
    rules_version_id: int | None
    rules_sm3: str
    terms_hash: str
    hash: str


class PurposeStateRead(BaseModel):
    purpose_id: int
    purpose: str
    system_id: int
    status: str
    needs_reconsent: bool
    since: datetime | None


class SubjectRead(BaseModel):
    id: int
    unit_id: int
    kind: str
    reference: str
    label: str | None
    child: bool
    fourteen_on: date | None
    guardian_policy: str
    guardians: list[GuardianRead]
    intact: bool
    states: list[PurposeStateRead] = []
    events: list[EventRead] = []


class GateRead(BaseModel):
    """The gate's answer: whether the subject's information may be processed for the purpose
    at the moment, and why."""

    allowed: bool
    code: str
    reason: str
    reason_en: str
    subject_id: int
    purpose_id: int
    purpose: str
    at: datetime
    legal_basis: str | None
    basis_clause: str | None
    rules_version: int | None
    rules_sm3: str | None
    consented_by: str | None
    event_id: int | None


class CoverageRead(BaseModel):
    purpose_id: int
    purpose: str
    legal_basis: str | None
    subjects: int
    valid: int
    needs_reconsent: int
    refused: int = 0
    withdrawn: int = 0
    undecided: int = 0
    tampered: int = 0  # deciding ledger rows that no longer hash to their stored hash
    share: float
