"""The approval state machine. Services flush, never commit.

A kind (``ReviewKind``) is data: its steps name the role that decides and *which* unit — a
name the requesting domain resolves (``owner`` → the system's owner unit). A step may apply
only ``when`` the domain raises a flag (``sensitive``: the request touches sensitive personal
information). Nobody decides a step of their own request.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from eduguard.db.base import utcnow
from eduguard.errors import Conflict, PermissionDenied, ValidationFailed
from eduguard.reviews.models import (
    DecisionKind,
    ReviewDecision,
    ReviewRequest,
    ReviewState,
    ReviewStep,
    StepStatus,
)

STATE_LABELS = {
    ReviewState.draft: "草稿/退回修改",
    ReviewState.submitted: "审批中",
    ReviewState.approved: "已批准",
    ReviewState.rejected: "已驳回",
    ReviewState.withdrawn: "已撤回",
    ReviewState.fulfilled: "已完成",
}
STEP_LABELS = {
    StepStatus.waiting: "未开始",
    StepStatus.pending: "待审批",
    StepStatus.approved: "同意",
    StepStatus.rejected: "驳回",
    StepStatus.returned: "退回修改",
}
DECISION_LABELS = {
    DecisionKind.submit: "提交申请",
    DecisionKind.approve: "同意",
    DecisionKind.reject: "驳回",
    DecisionKind.back: "退回修改",
    DecisionKind.withdraw: "撤回申请",
    DecisionKind.fulfil: "完成",
}
DECISIONS = {
    "approve": DecisionKind.approve,
    "reject": DecisionKind.reject,
    "return": DecisionKind.back,
}
MIN_REASON = 2
MAX_REASON = 1000
OPEN = (ReviewState.draft, ReviewState.submitted)
DEFAULT_WATCHERS = frozenset({"supervisor"})


@dataclass(frozen=True)
class StepSpec:
    role: str  # the Role value of the deciding account
    unit: str  # a unit the domain names ("owner", "unit", …)
    label: str
    when: str | None = None  # applies only if the domain raises this flag


@dataclass(frozen=True)
class ReviewKind:
    name: str
    label: str
    steps: tuple[StepSpec, ...]
    # Roles that see every request of the units in their scope (read-only).
    watchers: frozenset[str] = field(default=DEFAULT_WATCHERS)


@dataclass(frozen=True)
class Person:
    """Who acts: an account (``user_id``), its roles (Role values), unit and unit-tree path."""

    user_id: int | None
    username: str
    roles: frozenset[str]
    unit_id: int | None
    unit_path: str


def load_kind(text: str, source: str = "steps") -> ReviewKind:
    """A kind from TOML: ``name``, ``label``, ``watchers`` and ``[[steps]]`` (role, unit, label,
    optional when). Invalid data raises :class:`ValidationFailed` naming the file."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
        steps = tuple(
            StepSpec(str(s["role"]), str(s["unit"]), str(s["label"]), s.get("when"))
            for s in data["steps"]
        )
        kind = ReviewKind(
            str(data["name"]),
            str(data["label"]),
            steps,
            frozenset(data.get("watchers", DEFAULT_WATCHERS)),
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ValidationFailed(
            "review_kind_invalid", f"审批流程定义有误（{source}）：{exc}", details=None
        ) from None
    if not kind.steps:
        raise ValidationFailed("review_kind_invalid", f"审批流程至少需要一个步骤（{source}）")
    return kind


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
    """A draft request with the kind's steps resolved to units (applicable ones only)."""
    request = ReviewRequest(
        kind=kind.name,
        object_type=object_type,
        object_id=object_id,
        title=title[:300],
        unit_id=unit_id,
        requester_id=requester.user_id,
        requester_name=requester.username,
        requester_unit_id=requester.unit_id,
        state=ReviewState.draft,
        current_step=0,
    )
    session.add(request)
    session.flush()
    position = 0
    for spec in kind.steps:
        if spec.when is not None and spec.when not in flags:
            continue
        unit = units.get(spec.unit)
        if unit is None:
            raise ValidationFailed(
                "review_unit_missing", f"无法确定审批单位（{spec.label}：{spec.unit}）"
            )
        position += 1
        session.add(
            ReviewStep(
                request_id=request.id,
                position=position,
                label=spec.label,
                role=spec.role,
                unit_id=unit,
                status=StepStatus.waiting,
            )
        )
    if position == 0:
        raise ValidationFailed(
            "review_no_steps", f"“{kind.label}”没有适用的审批步骤，申请未创建", details=None
        )
    session.flush()
    session.refresh(request)
    return request


def _note(
    request: ReviewRequest,
    action: DecisionKind,
    person: Person,
    reason: str,
    step: int | None = None,
) -> None:
    request.decisions.append(  # the loaded timeline stays current within the transaction
        ReviewDecision(
            step_position=step,
            action=action,
            actor_id=person.user_id,
            actor_name=person.username,
            reason=reason,
        )
    )


def _reason(reason: str, *, required: bool) -> str:
    text = reason.strip()
    if required and len(text) < MIN_REASON:
        raise ValidationFailed(
            "reason_required", "请填写理由（至少 2 个字）", "a reason is required"
        )
    if len(text) > MAX_REASON:
        raise ValidationFailed("reason_too_long", f"理由过长（上限 {MAX_REASON} 字）")
    return text


def _own(request: ReviewRequest, person: Person) -> None:
    if person.user_id is None:
        # A background job (no account, e.g. the daily retention round) acts only on the
        # requests it opened itself under its own name; it never decides a step (may_decide).
        if request.requester_id is None and request.requester_name == person.username:
            return
        raise PermissionDenied("not_requester", "只有申请人本人可以进行此操作", "requester only")
    if request.requester_id != person.user_id:
        raise PermissionDenied("not_requester", "只有申请人本人可以进行此操作", "requester only")


def submit(session: Session, request: ReviewRequest, person: Person, reason: str = "") -> None:
    """Draft (or returned) → submitted; the first step awaits its decision."""
    _own(request, person)
    if request.state != ReviewState.draft:
        raise Conflict(
            "review_not_draft", f"申请当前状态为“{STATE_LABELS[request.state]}”，不能提交"
        )
    for step in request.steps:
        step.status = StepStatus.waiting
        step.decided_by_id = step.decided_by_name = step.reason = step.decided_at = None
    request.steps[0].status = StepStatus.pending
    request.state, request.current_step = ReviewState.submitted, 1
    request.submitted_at = utcnow()
    _note(request, DecisionKind.submit, person, _reason(reason, required=False))
    session.flush()


def pending_step(request: ReviewRequest) -> ReviewStep | None:
    if request.state != ReviewState.submitted:
        return None
    return next((s for s in request.steps if s.position == request.current_step), None)


def may_decide(request: ReviewRequest, person: Person) -> bool:
    """Whether ``person`` decides the step now awaiting (never their own request)."""
    step = pending_step(request)
    return (
        step is not None
        and person.user_id is not None
        and person.user_id != request.requester_id
        and step.role in person.roles
        and person.unit_id == step.unit_id
    )


def decide(
    session: Session, request: ReviewRequest, person: Person, decision: str, reason: str
) -> ReviewStep:
    """Approve, reject or return the step awaiting a decision, with a reason."""
    action = DECISIONS.get(decision)
    if action is None:
        raise ValidationFailed("decision_invalid", "决定须为 approve、reject 或 return")
    text = _reason(reason, required=True)
    step = pending_step(request)
    if step is None:
        raise Conflict(
            "review_not_pending", f"申请当前状态为“{STATE_LABELS[request.state]}”，无需审批"
        )
    if person.user_id is not None and person.user_id == request.requester_id:
        raise PermissionDenied("self_approval", "不能审批本人提出的申请", "no self-approval")
    if not may_decide(request, person):
        raise PermissionDenied(
            "not_decider", f"本步骤（{step.label}）须由审批单位的相应角色决定", "not the decider"
        )
    step.decided_by_id, step.decided_by_name = person.user_id, person.username
    step.reason, step.decided_at = text, utcnow()
    if action == DecisionKind.approve:
        step.status = StepStatus.approved
        following = [s for s in request.steps if s.position > step.position]
        if following:
            following[0].status = StepStatus.pending
            request.current_step = following[0].position
        else:
            request.state, request.current_step = ReviewState.approved, 0
    elif action == DecisionKind.reject:
        step.status = StepStatus.rejected
        request.state, request.current_step, request.closed_at = ReviewState.rejected, 0, utcnow()
    else:
        step.status = StepStatus.returned
        request.state, request.current_step = ReviewState.draft, 0
    _note(request, action, person, text, step.position)
    session.flush()
    return step


def withdraw(session: Session, request: ReviewRequest, person: Person, reason: str = "") -> None:
    _own(request, person)
    if request.state not in OPEN:
        raise Conflict("review_closed", f"申请当前状态为“{STATE_LABELS[request.state]}”，不能撤回")
    request.state, request.current_step, request.closed_at = ReviewState.withdrawn, 0, utcnow()
    _note(request, DecisionKind.withdraw, person, _reason(reason, required=False))
    session.flush()


def fulfil(session: Session, request: ReviewRequest, person: Person, note: str) -> None:
    """Approved → fulfilled: what was approved has been done (by a job: ``person`` names it)."""
    if request.state != ReviewState.approved:
        raise Conflict("review_not_approved", "申请尚未批准")
    request.state, request.closed_at = ReviewState.fulfilled, utcnow()
    _note(request, DecisionKind.fulfil, person, note[:MAX_REASON])
    session.flush()
