"""Pydantic in/out of the retention domain."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from eduguard.retention.models import Disposition, HoldKind, PeriodUnit, Trigger
from eduguard.retention.periods import add_period
from eduguard.validation import MAX_ID

NAME = Field(min_length=1, max_length=300)


class RuleIn(BaseModel):
    """A dataset's retention rule: what starts the period, how long, the legal minimum, and
    what happens to the rows after it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    trigger: Trigger
    trigger_column: str | None = Field(default=None, max_length=300)
    event_name: str | None = Field(default=None, max_length=200)
    event_date: date | None = None
    period_value: int = Field(ge=1, le=1200)
    period_unit: PeriodUnit
    minimum_value: int | None = Field(default=None, ge=1, le=1200)
    minimum_unit: PeriodUnit | None = None
    legal_basis: str = Field(default="", max_length=2000)
    disposition: Disposition
    key_column: str | None = Field(default=None, max_length=300)
    purpose_id: int | None = Field(default=None, ge=1, le=MAX_ID)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.trigger in (Trigger.date_column, Trigger.row_age) and not self.trigger_column:
            raise ValueError("按日期列或记录时间起算时须指定日期列（trigger_column）")
        if self.trigger == Trigger.event and not self.event_name:
            raise ValueError("按事件起算时须写明事件（event_name），如“学年结束”")
        if self.trigger != Trigger.event and (self.event_name or self.event_date):
            raise ValueError("只有按事件起算的规则才有事件名称与日期")
        if self.trigger == Trigger.event and self.trigger_column:
            raise ValueError("按事件起算的规则不使用日期列")
        if (self.minimum_value is None) != (self.minimum_unit is None):
            raise ValueError("法定最短保存期限须同时填写数量与单位")
        if self.minimum_value is not None and self.minimum_unit is not None:
            if not self.legal_basis:
                raise ValueError("填写了法定最短保存期限时须写明依据（legal_basis）")
            probe = date(2000, 1, 31)
            period = add_period(probe, self.period_value, self.period_unit)
            minimum = add_period(probe, self.minimum_value, self.minimum_unit)
            if period < minimum:
                raise ValueError("保存期限短于法定最短保存期限")
        return self


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    purpose_id: int | None
    trigger: Trigger
    trigger_column: str | None
    event_name: str | None
    event_date: date | None
    period_value: int
    period_unit: PeriodUnit
    minimum_value: int | None
    minimum_unit: PeriodUnit | None
    legal_basis: str
    disposition: Disposition
    key_column: str | None
    revision: int
    updated_by: str
    updated_at: datetime
    summary: str = ""


class ExemptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=4, max_length=2000)


class ExemptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    dataset_id: int
    reason: str
    recorded_by: str
    recorded_at: datetime


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: HoldKind
    reference: str = Field(default="", max_length=200)
    reason: str = Field(min_length=2, max_length=2000)
    # A hold on one subject: the column that identifies it and its value (e.g. xh = 学号).
    # The value is hashed (HMAC-SM3) on arrival and never stored, logged or returned.
    subject_column: str | None = Field(default=None, min_length=1, max_length=300)
    subject_key: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _subject_whole(self) -> Self:
        if (self.subject_column is None) != (self.subject_key is None):
            raise ValueError("主体保全须同时填写主体所在的列与主体标识（如学号列与学号）")
        return self

    @property
    def subject(self) -> tuple[str, str] | None:
        if self.subject_column is None or self.subject_key is None:
            return None
        return self.subject_column, self.subject_key


class HoldRelease(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=2, max_length=2000)


class HoldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    kind: HoldKind
    subject_column: str | None = None  # a subject hold: the column (the value is never kept)
    reference: str
    reason: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None


class DatasetRetention(BaseModel):
    """A dataset's retention state: its rule or exemption, holds and when rows expire."""

    dataset_id: int
    dataset: str
    system_id: int
    system: str
    personal: bool
    rule: RuleRead | None
    exemption: ExemptionRead | None
    holds: list[HoldRead]
    cutoff: date | None  # rows dated on or before this day are past their period (today)
    status: str  # rule / exempt / missing / not_personal


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    rule_id: int
    disposition: Disposition
    cutoff: date
    status: str
    review_id: int | None
    table_name: str
    selection_sql: str
    rows_before: int
    selected: int
    # selected rows by the subject's age at the plan: under_14, minor (14–17), adult, unknown;
    # None when the dataset has no birth-date or ID-number column
    subject_classes: dict[str, int] | None = None
    processed: int
    rows_after: int | None
    remaining_after: int | None
    batches: int
    planned_by: str
    executor: str | None
    started_at: datetime | None
    finished_at: datetime | None
    longest_batch_ms: int
    certificate_sm3: str | None

    @field_validator("subject_classes", mode="before")
    @classmethod
    def _decoded(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: str = Field(pattern="^(approve|reject|return)$")
    reason: str = Field(min_length=2, max_length=1000)


class CredentialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(default="", max_length=200)
    password: str | None = Field(default=None, max_length=500)


class ArchiveRead(BaseModel):
    run_id: int
    rows: list[dict[str, object]]
