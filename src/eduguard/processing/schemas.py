"""Pydantic in/out for the processing register and the published collection rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from eduguard.processing.models import Disposal, LegalBasis, Necessity, RecipientKind
from eduguard.validation import MultiLine, RequestModel, SingleLine, SingleLineName

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), SingleLine]
ShortLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300), SingleLine]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), MultiLine]
Retention = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), SingleLine]
FieldId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class RecipientIn(RequestModel):
    """A third party or an entrusted processor; ``agreement_id`` links the registry's
    third-party agreement (orgs) where one exists."""

    name: SingleLineName
    kind: RecipientKind
    agreement_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    contact: ShortLine = ""
    use: Line = ""


class PurposeCreate(RequestModel):
    name: SingleLineName
    description: Text = ""
    legal_basis: LegalBasis | None = None
    basis_detail: Text = ""
    necessity: Necessity = Necessity.necessary
    collection_method: Line = ""
    retention_period: Retention = ""
    disposal: Disposal = Disposal.delete
    sensitive_necessity: Text = ""
    automated_decision: bool = False
    field_ids: list[FieldId] = Field(default_factory=list, max_length=2000)
    recipients: list[RecipientIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if len(set(self.field_ids)) != len(self.field_ids):
            raise ValueError("数据项不能重复")
        return self


class PurposeUpdate(RequestModel):
    """Only what is sent changes; ``field_ids`` and ``recipients`` replace the lists."""

    name: SingleLineName | None = None
    description: Text | None = None
    legal_basis: LegalBasis | None = None
    basis_detail: Text | None = None
    necessity: Necessity | None = None
    collection_method: Line | None = None
    retention_period: Retention | None = None
    disposal: Disposal | None = None
    sensitive_necessity: Text | None = None
    automated_decision: bool | None = None
    field_ids: list[FieldId] | None = Field(default=None, max_length=2000)
    recipients: list[RecipientIn] | None = Field(default=None, max_length=50)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.field_ids is not None and len(set(self.field_ids)) != len(self.field_ids):
            raise ValueError("数据项不能重复")
        return self


class RegisterUpdate(RequestModel):
    contact: ShortLine = ""
    rights_channel: Text = ""


class LegalBasisRead(BaseModel):
    code: str
    label: str
    clause: str
    text: str


class FieldRef(BaseModel):
    id: int
    dataset: str
    name: str
    comment: str | None
    pi_types: list[str]
    sensitive: bool
    minors: bool
    present: bool


class PlannedItemIn(BaseModel):
    """A data item an approved collection review adds to a purpose before the catalog holds it."""

    group: str = Field(max_length=300)
    name: str = Field(min_length=1, max_length=300)
    label: str | None = Field(default=None, max_length=500)
    pi_types: list[str] = Field(default_factory=list, max_length=50)
    sensitive: bool = False
    minors: bool = False


class PlannedItemRef(BaseModel):
    id: int
    group: str
    name: str
    label: str | None
    pi_types: list[str]
    sensitive: bool
    minors: bool
    origin: str


class ExpectedItemRead(BaseModel):
    """An item of the expected catalog: approved by a collection review (``plan_id``, from
    ``origin``) into a purpose of the system; ``expected`` (经采集审核批准，待收集) until a scan
    finds it, then ``collected`` with the catalog field found."""

    id: int
    system_id: int
    purpose_id: int
    purpose: str
    group: str
    name: str
    label: str | None
    pi_types: list[str]
    sensitive: bool
    minors: bool
    origin: str
    plan_id: int | None
    state: Literal["expected", "collected"]
    status_label: str
    field_id: int | None
    collected_at: datetime | None


class RecipientRead(BaseModel):
    id: int
    name: str
    kind: str
    agreement_id: int | None
    agreement: str | None  # provider and validity, when linked
    contact: str
    use: str


class PurposeRead(BaseModel):
    id: int
    system_id: int
    name: str
    description: str
    legal_basis: str | None
    basis_label: str | None
    basis_clause: str | None
    basis_detail: str
    necessity: str
    collection_method: str
    retention_period: str
    disposal: str
    sensitive_necessity: str
    automated_decision: bool
    status: str
    revision: int
    activated_at: datetime | None
    updated_at: datetime
    fields: list[FieldRef]
    recipients: list[RecipientRead]
    # approved by a collection review, not (yet) in the catalog: stated in the rules
    planned: list[PlannedItemRef] = Field(default_factory=list)


class RulesVersionRead(BaseModel):
    id: int
    system_id: int
    audience: str
    number: int
    sm3: str
    published_at: datetime
    published_by: str
    current: bool
    intact: bool  # the stored content still hashes to the stored SM3


class RegisterRead(BaseModel):
    system_id: int
    system: str
    unit: str
    contact: str
    rights_channel: str
    holds_children_data: bool
    purposes: list[PurposeRead]
    versions: list[RulesVersionRead]


class RulesDocument(BaseModel):
    """A rendered rules document with its version (what the public page shows)."""

    version: RulesVersionRead
    document: dict[str, Any]
    other_audience: int | None  # the current version id of the other audience's rules, if any
