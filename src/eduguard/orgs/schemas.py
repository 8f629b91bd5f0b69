"""Pydantic shapes for units, systems and agreements (API in/out, console forms, CLI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from eduguard.orgs.models import StorageLocation, SystemKind, UnitKind
from eduguard.validation import MultiLine, RequestModel, RowId, SingleLine, SingleLineName

# Names refuse control characters (ESC, NUL …: eduguard.validation), free text keeps newlines.
Name = SingleLineName
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), SingleLine]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), SingleLine]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), MultiLine]
CreditCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
]


class UnitBase(RequestModel):
    model_config = ConfigDict(extra="forbid")

    principal_leader: PersonName | None = None
    leader_in_charge: PersonName | None = None
    security_department: ShortText | None = None
    security_contact: PersonName | None = None


class UnitCreate(UnitBase):
    name: Name
    kind: UnitKind
    code: CreditCode | None = None
    parent_id: RowId | None = None


class UnitUpdate(UnitBase):
    name: Name | None = None
    code: CreditCode | None = None


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: UnitKind
    code: str | None
    parent_id: int | None
    path: str
    principal_leader: str | None
    leader_in_charge: str | None
    security_department: str | None
    security_contact: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime


class SystemFields(RequestModel):
    model_config = ConfigDict(extra="forbid")

    kind: SystemKind = SystemKind.system
    purpose: LongText = ""
    url: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), SingleLine] | None
    ) = None
    deployment_location: ShortText | None = None
    storage_location: StorageLocation = StorageLocation.domestic
    mlps_level: Annotated[int, Field(ge=1, le=5)] | None = None
    mlps_filing_no: ShortText | None = None
    pi_subject_count: Annotated[int, Field(ge=0, le=2_000_000_000)] = 0
    operator_unit_id: RowId | None = None
    operator_name: ShortText | None = None
    user_unit_ids: list[RowId] = Field(default_factory=list, max_length=500)


class SystemCreate(SystemFields):
    name: Name
    unit_id: RowId
    owner_unit_id: RowId | None = None  # defaults to unit_id


class SystemUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: SystemKind | None = None
    purpose: LongText | None = None
    url: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), SingleLine] | None
    ) = None
    deployment_location: ShortText | None = None
    storage_location: StorageLocation | None = None
    mlps_level: Annotated[int, Field(ge=1, le=5)] | None = None
    mlps_filing_no: ShortText | None = None
    pi_subject_count: Annotated[int, Field(ge=0, le=2_000_000_000)] | None = None
    owner_unit_id: RowId | None = None
    operator_unit_id: RowId | None = None
    operator_name: ShortText | None = None
    user_unit_ids: list[RowId] | None = Field(default=None, max_length=500)


class UnitRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class SystemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: SystemKind
    unit_id: int
    purpose: str
    url: str | None
    deployment_location: str | None
    storage_location: StorageLocation
    mlps_level: int | None
    mlps_filing_no: str | None
    pi_subject_count: int
    owner_unit: UnitRef
    operator_unit: UnitRef | None
    operator_name: str | None
    user_units: list[UnitRef]
    archived: bool
    created_at: datetime
    updated_at: datetime


class AgreementCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: int
    system_id: int | None = None
    provider: Name
    scope: LongText = ""
    scenarios: LongText = ""
    boundaries: LongText = ""
    valid_from: date
    valid_until: date

    @model_validator(mode="after")
    def _period(self) -> AgreementCreate:
        if self.valid_until < self.valid_from:
            raise ValueError("有效期截止日期早于起始日期 (valid_until is before valid_from)")
        return self


class AgreementUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    provider: Name | None = None
    system_id: RowId | None = None
    scope: LongText | None = None
    scenarios: LongText | None = None
    boundaries: LongText | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class AgreementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    system_id: int | None
    provider: str
    scope: str
    scenarios: str
    boundaries: str
    valid_from: date
    valid_until: date
    document_name: str | None
    document_sha256: str | None
    document_size: int | None
    archived: bool
    created_at: datetime
