"""Pydantic in/out of the sharing domain: share attributes, the open-data catalog and the
sharing responsibility list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from eduguard.sharing.models import ShareAttribute
from eduguard.validation import MultiLine, RequestModel, SingleLine

Free = Annotated[str, MultiLine]
Line = Annotated[str, SingleLine]


class DatasetShareIn(RequestModel):
    """The dataset's share attribute and the owner's protection requirements. ``never_shared``
    names the fields that are never shared (they become 不予共享); it replaces the list saved
    before — a field left out loses the mark but stays 不予共享 until it is set otherwise."""

    attribute: ShareAttribute
    conditions: Free = Field(default="", max_length=2000)
    protection: Free = Field(default="", max_length=2000)
    responsible: Line = Field(default="", max_length=200)
    never_shared: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=500
    )


class FieldShareIn(RequestModel):
    """One field's attribute (never more open than its dataset's) and its masking requirement
    (an operator of eduguard.protection)."""

    attribute: ShareAttribute
    conditions: Free = Field(default="", max_length=2000)
    masking: Line | None = Field(default=None, max_length=40)
    never_shared: bool = False


class FieldShare(BaseModel):
    field_id: int
    name: str
    comment: str | None
    level: str
    sensitive: bool  # sensitive PI (catalog flag or a sensitive type)
    minors: bool  # children's personal information
    attribute: ShareAttribute | None  # effective: its own, else the dataset's (capped)
    explicit: bool  # set on the field itself
    conditions: str
    masking: str | None
    never_shared: bool


class DatasetShare(BaseModel):
    dataset_id: int
    name: str
    comment: str | None
    level: str
    system_id: int
    system: str
    unit_id: int
    unit: str
    attribute: ShareAttribute | None  # None: not set yet
    conditions: str
    protection: str
    responsible: str
    updated_by: str | None
    updated_at: datetime | None
    revision: int
    fields: list[FieldShare]


class OpenField(BaseModel):
    name: str
    comment: str | None
    level: str


class OpenDataset(BaseModel):
    """One entry of the 数据开放目录: names, descriptions and grade — never values."""

    system: str
    name: str
    comment: str | None
    level: str
    fields: list[OpenField]


class ResponsibilityRow(BaseModel):
    """One line of the 数据共享责任清单 (a dataset, or one of its fields)."""

    unit: str
    system: str
    owner_unit: str
    operator: str
    dataset: str
    field: str | None
    description: str | None
    level: str
    attribute: ShareAttribute | None
    conditions: str
    masking: str | None
    protection: str
    never_shared: bool
    responsible: str
    updated_by: str | None
