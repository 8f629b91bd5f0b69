"""Account shapes for the API and forms."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from eduguard.identity.models import Role
from eduguard.validation import RequestModel, RowId, SingleLine


class UserCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, SingleLine] = Field(min_length=1, max_length=64, pattern=r"^\S+$")
    display_name: Annotated[str, SingleLine] = Field(default="", max_length=100)
    password: str = Field(min_length=1, max_length=256)
    unit_id: RowId | None = None
    roles: list[Role] = Field(default_factory=list, max_length=8)


class RolesUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[Role] = Field(max_length=8)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    unit_id: int | None
    roles: list[Role]
    active: bool
    locked: bool
    locked_until: datetime | None
    failed_logins: int
    mfa_enrolled: bool


class PasswordReset(RequestModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=256)
