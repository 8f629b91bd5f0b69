"""Collection reviews (数据收集审核, notice item 4): JSON API under ``/api/v1/collection``.

A plan travels in the JSON body, either as a file (采集表 .xlsx/.xls/.csv, DDL .sql, OpenAPI or
JSON Schema .json, .yaml or .yml) in base64 with its file name, or as the lines of a form typed by hand. A plan
that cannot be read is refused with a Chinese message before anything is stored. A review can
also be opened from ``source_id``, a database source registered for the system: its plan is
the tables and columns of the live schema that the last catalog version lacks.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from eduguard import exports
from eduguard.access.policy import Principal
from eduguard.catalog import flows as catalog_flows
from eduguard.collection import flows, live, outputs, readers
from eduguard.collection.schemas import (
    CheckedField,
    DecisionCreate,
    Free,
    Line,
    PlanCreate,
    PlanDetails,
    PlanRead,
)
from eduguard.reviews.models import ReviewState
from eduguard.reviews.service import Person
from eduguard.validation import MAX_ID, RequestModel
from eduguard.web.deps import AppSettings, DbSession, permission
from eduguard.web.params import Id, decode_base64

router = APIRouter()

Reader = Annotated[Principal, permission("collection:read")]
Requester = Annotated[Principal, permission("collection:request")]
Approver = Annotated[Principal, permission("collection:approve")]

# base64 of the largest plan readers accept, and a little room
MAX_BASE64 = (readers.MAX_PLAN_BYTES // 3 + 1) * 4
MAX_MINUTES_BASE64 = (flows.MAX_MINUTES_BYTES // 3 + 1) * 4
MAX_FORM = 100_000


class PlanSource(BaseModel):
    """A plan file in base64 (``file_name`` tells its kind) or a typed form, not both."""

    file_name: Line = Field(default="", max_length=200)
    content_base64: str | None = Field(default=None, max_length=MAX_BASE64)
    form: Free | None = Field(default=None, max_length=MAX_FORM)
    ONE_OF: ClassVar[str] = "give content_base64 (with file_name) or form"

    def _given(self) -> int:
        return (self.content_base64 is not None) + (self.form is not None)

    @model_validator(mode="after")
    def _one_source(self) -> PlanSource:
        if self._given() != 1:
            raise ValueError(self.ONE_OF)
        if self.content_base64 is not None and not self.file_name.strip():
            raise ValueError("file_name is required with content_base64")
        return self

    def plan(self) -> readers.Plan:
        if self.form is not None:
            return readers.read_form(self.form)
        return readers.read_plan(decode_base64(self.content_base64 or ""), self.file_name)


class ReviewCreate(PlanSource, PlanCreate):
    """A collection review request: the plan (a file, a typed form, or ``source_id``: a
    database source of the system, read live) and what the requester says of it."""

    model_config = ConfigDict(extra="forbid")

    source_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    ONE_OF: ClassVar[str] = "give content_base64 (with file_name), form or source_id"

    def _given(self) -> int:
        return super()._given() + (self.source_id is not None)


class CheckIn(PlanSource, RequestModel):
    """``eduguard collection check`` over the API: a plan against one system's approvals."""

    model_config = ConfigDict(extra="forbid")

    system_id: int = Field(ge=1, le=MAX_ID)


class CheckResult(BaseModel):
    system_id: int
    ok: bool
    unapproved: int
    fields: list[CheckedField]


class MinutesIn(RequestModel):
    """The minutes of the 领导班子 collective decision (PDF, Word, OFD or an image)."""

    model_config = ConfigDict(extra="forbid")

    file_name: Line = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=1, max_length=MAX_MINUTES_BASE64)


def person(principal: Principal) -> Person:
    roles = frozenset(role.value for role in principal.roles)
    return Person(
        principal.user_id, principal.username, roles, principal.unit_id, principal.unit_path
    )


@router.get("/api/v1/collection/reviews", tags=["collection"])
def list_reviews(
    caller: Reader, session: DbSession, state: ReviewState | None = None
) -> list[PlanRead]:
    """Collection reviews the caller requested, decides, or supervises (unit tree)."""
    return flows.list_plans(session, person(caller), state=state)


@router.post("/api/v1/collection/reviews", tags=["collection"], status_code=201)
def create_review(
    body: ReviewCreate, caller: Requester, session: DbSession, settings: AppSettings
) -> PlanRead:
    """Read the plan, classify and grade every field, and open a draft review (the requester
    completes the artefacts with PATCH and /minutes, then submits). With ``source_id``, the
    plan is what the database source's live schema adds to its last catalog version."""
    if body.source_id is not None:
        plan = live.live_plan(
            session,
            system_id=body.system_id,
            source_id=body.source_id,
            scope=caller.unit_path,
            policy=catalog_flows.source_policy(settings),
        )
    else:
        plan = body.plan()
    data = PlanCreate.model_validate(body.model_dump(include=set(PlanCreate.model_fields)))
    created = flows.request(session, data, plan, person(caller))
    return flows.read(session, created.id, person(caller))


@router.get("/api/v1/collection/reviews/{plan_id}", tags=["collection"])
def read_review(plan_id: Id, caller: Reader, session: DbSession) -> PlanRead:
    """The plan's fields with their evidence, each pre-check with its clause, the steps."""
    return flows.read(session, plan_id, person(caller))


@router.patch("/api/v1/collection/reviews/{plan_id}", tags=["collection"])
def update_review(
    plan_id: Id, body: PlanDetails, caller: Requester, session: DbSession
) -> PlanRead:
    """Purpose, retention, storage, arguments, meeting, per-field justification (requester)."""
    flows.update(session, plan_id, body, person(caller))
    return flows.read(session, plan_id, person(caller))


@router.post("/api/v1/collection/reviews/{plan_id}/minutes", tags=["collection"])
def attach_minutes(
    plan_id: Id, body: MinutesIn, caller: Requester, session: DbSession, settings: AppSettings
) -> PlanRead:
    content = decode_base64(body.content_base64)
    flows.attach_minutes(
        session, plan_id, body.file_name, content, person(caller), uploads_dir=settings.uploads_dir
    )
    return flows.read(session, plan_id, person(caller))


@router.post("/api/v1/collection/reviews/{plan_id}/submit", tags=["collection"])
def submit_review(plan_id: Id, caller: Requester, session: DbSession) -> PlanRead:
    flows.submit(session, plan_id, person(caller))
    return flows.read(session, plan_id, person(caller))


@router.post("/api/v1/collection/reviews/{plan_id}/withdraw", tags=["collection"])
def withdraw_review(plan_id: Id, caller: Requester, session: DbSession) -> PlanRead:
    flows.withdraw(session, plan_id, person(caller))
    return flows.read(session, plan_id, person(caller))


@router.post("/api/v1/collection/reviews/{plan_id}/decision", tags=["collection"])
def decide_review(
    plan_id: Id, body: DecisionCreate, caller: Approver, session: DbSession
) -> PlanRead:
    """Approve, reject or return the awaiting step; approval is refused while a pre-check
    fails. The last approval writes the fields into the system's approved collection list."""
    flows.decide(session, plan_id, body, person(caller))
    return flows.read(session, plan_id, person(caller))


@router.get("/api/v1/collection/reviews/{plan_id}/summary.xlsx", tags=["collection"])
def review_summary(plan_id: Id, caller: Reader, session: DbSession) -> Response:
    """The Excel summary of the review: fields, pre-checks with their clauses, steps."""
    read = flows.read(session, plan_id, person(caller))
    name = exports.file_name(read.system, "数据收集审核", str(read.id), suffix="xlsx")
    return Response(
        outputs.summary_xlsx(read),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "content-disposition": exports.attachment(name, f"collection-review-{read.id}.xlsx")
        },
    )


@router.post("/api/v1/collection/check", tags=["collection"])
def check_plan(body: CheckIn, caller: Reader, session: DbSession) -> CheckResult:
    """Each personal field of the plan, approved for the system or not, and why (for CI)."""
    plan = body.plan()
    fields = flows.check(session, plan, body.system_id, scope=caller.unit_path)
    missing = sum(1 for f in fields if not f.approved)
    return CheckResult(system_id=body.system_id, ok=not missing, unapproved=missing, fields=fields)
