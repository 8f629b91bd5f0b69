"""Clocks in and out of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from eduguard.clocks.models import ClockStatus
from eduguard.clocks.workdays import ClockUnit
from eduguard.validation import RequestModel

CODE = r"^[a-z][a-z0-9_.]{0,63}$"
ROLE = r"^[a-z][a-z_]{1,29}$"


class ClockOpen(RequestModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(default="manual", pattern=CODE, description="期限类别代码")
    title: str = Field(min_length=1, max_length=200, description="标题：写对象编号，不写个人信息")
    subject_type: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    subject_id: int = Field(ge=1, le=2**31 - 1)
    unit_id: int = Field(ge=1, le=2**31 - 1)
    unit: ClockUnit
    amount: int = Field(ge=1, le=3660)
    started_at: datetime | None = None
    remind_before: list[Annotated[int, Field(ge=0, le=3660)]] | None = Field(
        default=None, max_length=10
    )
    owner_role: str = Field(pattern=ROLE)
    escalate_role: str = Field(pattern=ROLE)
    escalate_unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ClockClose(RequestModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=500)


class ClockRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    subject_type: str
    subject_id: int
    unit_id: int
    unit: ClockUnit
    amount: int
    started_at: datetime
    due_at: datetime
    calendar_exact: bool
    owner_role: str
    escalate_role: str
    escalate_unit_id: int | None
    status: ClockStatus
    escalated_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    close_reason: str | None
