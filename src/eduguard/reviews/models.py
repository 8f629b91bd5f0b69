"""Tables: review requests, their steps (who decides) and the decisions taken (the timeline).

Units and users belong to ``orgs`` and ``identity``; they are referenced by foreign key only.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eduguard.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class ReviewState(enum.StrEnum):
    draft = "draft"  # 草稿（或被退回修改）
    submitted = "submitted"  # 审批中
    approved = "approved"  # 已批准
    rejected = "rejected"  # 已驳回
    withdrawn = "withdrawn"  # 已撤回
    fulfilled = "fulfilled"  # 已完成（如：脱敏数据已生成）


class StepStatus(enum.StrEnum):
    waiting = "waiting"  # 尚未轮到
    pending = "pending"  # 待决定
    approved = "approved"
    rejected = "rejected"
    returned = "returned"


class DecisionKind(enum.StrEnum):
    submit = "submit"
    approve = "approve"
    reject = "reject"
    back = "return"  # returned to the requester for changes
    withdraw = "withdraw"
    fulfil = "fulfil"


class ReviewRequest(IdMixin, TimestampMixin, Base):
    """A request about one object (``object_type``/``object_id``) of a domain's ``kind``."""

    __tablename__ = "review_requests"

    kind: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    requester_name: Mapped[str] = mapped_column(String(64))
    requester_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    state: Mapped[ReviewState] = mapped_column(
        Enum(ReviewState, native_enum=False, length=20), default=ReviewState.draft, index=True
    )
    current_step: Mapped[int] = mapped_column(Integer, default=0)  # 0: no step awaits
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    steps: Mapped[list[ReviewStep]] = relationship(
        back_populates="request", order_by="ReviewStep.position", lazy="selectin"
    )
    decisions: Mapped[list[ReviewDecision]] = relationship(
        order_by="ReviewDecision.id", lazy="selectin"
    )


class ReviewStep(IdMixin, Base):
    """Step ``position`` (from 1): decided by an account with ``role`` in unit ``unit_id``."""

    __tablename__ = "review_steps"
    __table_args__ = (UniqueConstraint("request_id", "position", name="uq_review_steps_position"),)

    request_id: Mapped[int] = mapped_column(ForeignKey("review_requests.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[StepStatus] = mapped_column(
        Enum(StepStatus, native_enum=False, length=20), default=StepStatus.waiting
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(1000))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[ReviewRequest] = relationship(back_populates="steps")


class ReviewDecision(IdMixin, Base):
    """One entry of a request's timeline: who did what, at which step, and why."""

    __tablename__ = "review_decisions"

    request_id: Mapped[int] = mapped_column(ForeignKey("review_requests.id"), index=True)
    step_position: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[DecisionKind] = mapped_column(Enum(DecisionKind, native_enum=False, length=20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
