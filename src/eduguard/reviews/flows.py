"""Reviews across domains: who may see a request (unit tree, from ``orgs``) and the audit
event of every step (``audit``). The only module of ``reviews`` that imports other domains.

A request is visible to its requester, to the accounts that decide one of its steps (the
step's role in the step's unit), and to the kind's watchers (e.g. 上级监管) whose unit is the
request's unit or above it. To anyone else it does not exist (404).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.errors import NotFound
from eduguard.orgs.models import Unit
from eduguard.reviews import service
from eduguard.reviews.models import ReviewRequest, ReviewState, ReviewStep
from eduguard.reviews.service import DECISION_LABELS, DECISIONS, Person, ReviewKind

audit_capture.register("review_requests", "review_request")
audit_capture.register("review_steps", "review_step")


def _visible(person: Person, kind: ReviewKind) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if person.user_id is not None:
        conditions.append(ReviewRequest.requester_id == person.user_id)
    if person.unit_id is not None and person.roles:
        conditions.append(
            exists(
                select(ReviewStep.id).where(
                    ReviewStep.request_id == ReviewRequest.id,
                    ReviewStep.unit_id == person.unit_id,
                    ReviewStep.role.in_(sorted(person.roles)),
                )
            )
        )
    if person.roles & kind.watchers:
        units = select(Unit.id).where(Unit.path.startswith(person.unit_path, autoescape=True))
        conditions.append(ReviewRequest.unit_id.in_(units))
    return or_(*conditions) if conditions else false()


def visible_ids(person: Person, kind: ReviewKind, state: ReviewState | None = None) -> Any:
    """A SELECT of the ids of ``kind``'s requests ``person`` may see (in ``state``)."""
    query = select(ReviewRequest.id).where(ReviewRequest.kind == kind.name, _visible(person, kind))
    return query if state is None else query.where(ReviewRequest.state == state)


def get(session: Session, request_id: int, person: Person, kind: ReviewKind) -> ReviewRequest:
    request = session.scalar(
        select(ReviewRequest).where(
            ReviewRequest.id == request_id,
            ReviewRequest.kind == kind.name,
            _visible(person, kind),
        )
    )
    if request is None:
        raise NotFound("review_not_found", f"申请不存在：{request_id}", "request not found")
    return request


def list_requests(
    session: Session,
    person: Person,
    kind: ReviewKind,
    *,
    state: ReviewState | None = None,
    limit: int = 200,
) -> Sequence[ReviewRequest]:
    query = select(ReviewRequest).where(ReviewRequest.kind == kind.name, _visible(person, kind))
    if state is not None:
        query = query.where(ReviewRequest.state == state)
    return session.scalars(query.order_by(ReviewRequest.id.desc()).limit(limit)).all()


def _record(
    session: Session, request: ReviewRequest, kind: ReviewKind, action: str, reason: str
) -> None:
    audit_service.record(
        session,
        action=f"review.{action}",
        object_type="review_request",
        object_id=request.id,
        fields=["state"],
        row_count=1,
        reason=f"{kind.label}（申请 {request.id}）：{reason}"[:1000],
    )


def create(
    session: Session,
    kind: ReviewKind,
    *,
    object_type: str,
    object_id: int | None,
    title: str,
    unit_id: int,
    requester: Person,
    units: Mapping[str, int | None],
    flags: frozenset[str] = frozenset(),
) -> ReviewRequest:
    return service.create(
        session,
        kind,
        object_type=object_type,
        object_id=object_id,
        title=title,
        unit_id=unit_id,
        requester=requester,
        units=units,
        flags=flags,
    )


def submit(session: Session, request: ReviewRequest, kind: ReviewKind, person: Person) -> None:
    service.submit(session, request, person)
    _record(
        session,
        request,
        kind,
        "submit",
        f"{person.username} 提交申请，共 {len(request.steps)} 个审批步骤",
    )


def decide(
    session: Session,
    request: ReviewRequest,
    kind: ReviewKind,
    person: Person,
    decision: str,
    reason: str,
) -> ReviewState:
    """Decide the awaiting step (audited with the reason); the request's new state."""
    step = service.decide(session, request, person, decision, reason)
    label = DECISION_LABELS[DECISIONS[decision]]
    _record(
        session,
        request,
        kind,
        decision,
        f"第 {step.position} 步“{step.label}”由 {person.username} {label}：{step.reason}",
    )
    return request.state


def withdraw(session: Session, request: ReviewRequest, kind: ReviewKind, person: Person) -> None:
    service.withdraw(session, request, person)
    _record(session, request, kind, "withdraw", f"{person.username} 撤回申请")


def fulfil(
    session: Session, request: ReviewRequest, kind: ReviewKind, person: Person, note: str
) -> None:
    service.fulfil(session, request, person, note)
    _record(session, request, kind, "fulfil", note)
