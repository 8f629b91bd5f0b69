"""Pydantic in/out of the backup domain: a system's backup policy and its recovery drills."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from eduguard.backup.models import DrillOutcome, Frequency
from eduguard.validation import MultiLine, RequestModel, SingleLine

Free = Annotated[str, MultiLine]
Line = Annotated[str, SingleLine]
MINUTES_MAX = 525_600 * 10  # ten years in minutes: beyond is a typing error


class PolicyIn(RequestModel):
    """How the system is backed up: how often, where, how encrypted, how long kept."""

    frequency: Frequency
    location: Free = Field(min_length=2, max_length=2000)
    offsite: bool = False
    encryption: Line = Field(default="", max_length=500)
    retention_days: int = Field(ge=1, le=36_500)
    rto_target_minutes: int | None = Field(default=None, ge=0, le=MINUTES_MAX)
    rpo_target_minutes: int | None = Field(default=None, ge=0, le=MINUTES_MAX)
    notes: Free = Field(default="", max_length=2000)


class PolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    system_id: int
    frequency: Frequency
    location: str
    offsite: bool
    encryption: str
    retention_days: int
    rto_target_minutes: int | None
    rpo_target_minutes: int | None
    notes: str
    revision: int
    updated_by: str
    updated_at: datetime


class DrillIn(RequestModel):
    """A recovery drill that took place: what was restored, how it went, RTO/RPO achieved."""

    drilled_on: date
    scope: Free = Field(min_length=2, max_length=2000)
    outcome: DrillOutcome
    rto_minutes: int = Field(ge=0, le=MINUTES_MAX)
    rpo_minutes: int = Field(ge=0, le=MINUTES_MAX)
    notes: Free = Field(default="", max_length=2000)


class EvidenceIn(RequestModel):
    """An evidence file in base64 with its name (its suffix tells its kind)."""

    file_name: Line = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=4, max_length=(10 * 1024 * 1024 // 3 + 1) * 4)


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    drill_id: int
    name: str
    sha256: str
    size: int
    uploaded_by: str
    uploaded_at: datetime


class DrillRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    system_id: int
    drilled_on: date
    scope: str
    outcome: DrillOutcome
    rto_minutes: int
    rpo_minutes: int
    notes: str
    recorded_by: str
    recorded_at: datetime
    evidence: list[EvidenceRead]
    rto_met: bool | None = None  # against the policy's target; None: no target
    rpo_met: bool | None = None


class SystemBackup(BaseModel):
    """A system's backup posture: its policy, its drills (newest first), and whether a drill
    is due (none, or the last good one more than twelve months ago)."""

    system_id: int
    system: str
    unit_id: int
    policy: PolicyRead | None
    drills: list[DrillRead]
    last_drill_on: date | None  # the newest drill that did not fail
    next_drill_due: date | None
    status: str  # ok / no_policy / no_drill / drill_overdue / drill_failed
