"""Tables of the consent domain.

* ``consent_subjects``: a student or staff member of a school, known only by a keyed reference
  (HMAC-SM3 of the school's own id under a key derived from the keyring), with the date the
  subject turns 14 (children's consent is the guardian's before it) and the guardian policy.
* ``consent_guardians``: a guardian of a child subject, also a keyed reference.
* ``consent_events``: the ledger. One row per grant, refusal, withdrawal or handover, chained
  per subject (``prev_hash`` → ``hash``, SM3 as the audit log's chain). Never updated or deleted.
* ``consent_links``: signed one-time links (only the SM3 of the nonce is stored).
* ``consent_tallies``: per consent-based purpose, the worker's last count of the ledger.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from eduguard.db.base import Base, IdMixin, UTCDateTime, utcnow
from eduguard.db.sealed import sealed


class SubjectKind(enum.StrEnum):
    student = "student"
    staff = "staff"


class GuardianPolicy(enum.StrEnum):
    any = "any"  # 任一监护人同意即可
    all = "all"  # 须全部登记的监护人同意


class Action(enum.StrEnum):
    grant = "grant"  # 同意
    refuse = "refuse"  # 拒绝
    withdraw = "withdraw"  # 撤回（不溯及既往）
    handover = "handover"  # 年满十四周岁：监护人的决定移交本人（记录，不是同意）


class GivenBy(enum.StrEnum):
    subject = "subject"  # 本人
    guardian = "guardian"  # 监护人（为不满十四周岁的子女）
    system = "system"  # 平台（仅 handover）


class Verification(enum.StrEnum):
    """How the person (or the guardian's authority over the child) was verified."""

    signed_link = "signed_link"  # 学校发给登记的本人/监护人的一次性签名链接
    in_person = "in_person"  # 在校当面核验身份与监护关系
    paper_form = "paper_form"  # 纸质回执，签名核对
    school_record = "school_record"  # 学籍登记的监护人信息核对
    none = "none"  # 未核验（本人在控制台以外的渠道，仅限 system）


class Channel(enum.StrEnum):
    link = "link"  # 一次性链接（公开页面）
    paper = "paper"  # 纸质回执，学校录入
    console = "console"  # 学校在控制台录入
    api = "api"  # 学校系统通过接口录入
    system = "system"  # 平台后台任务


class ConsentSubject(IdMixin, Base):
    __tablename__ = "consent_subjects"
    __table_args__ = (
        UniqueConstraint("unit_id", "reference", name="uq_consent_subjects_reference"),
    )

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[SubjectKind] = mapped_column(Enum(SubjectKind, native_enum=False, length=20))
    reference: Mapped[str] = mapped_column(String(64))  # HMAC-SM3 hex of the school's id
    label: Mapped[str | None] = mapped_column(Text, info=sealed())  # e.g. 三年级二班 王同学
    fourteen_on: Mapped[date | None] = mapped_column(Date, index=True)  # the 14th birthday
    guardian_policy: Mapped[GuardianPolicy] = mapped_column(
        Enum(GuardianPolicy, native_enum=False, length=20), default=GuardianPolicy.any
    )
    head_seq: Mapped[int] = mapped_column(Integer, default=0)  # the ledger's last sequence
    head_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsentGuardian(IdMixin, Base):
    __tablename__ = "consent_guardians"
    __table_args__ = (
        UniqueConstraint("subject_id", "reference", name="uq_consent_guardians_reference"),
    )

    subject_id: Mapped[int] = mapped_column(ForeignKey("consent_subjects.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(20), default="guardian")  # father/mother/…
    label: Mapped[str | None] = mapped_column(Text, info=sealed())
    email: Mapped[str | None] = mapped_column(Text, info=sealed())  # for consent links
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsentEvent(IdMixin, Base):
    """One ledger row. ``terms`` is the purpose's material terms (canonical JSON) the decision
    was about and ``terms_hash`` their SM3: a later material change shows as a different hash."""

    __tablename__ = "consent_events"
    __table_args__ = (
        UniqueConstraint("subject_id", "seq", name="uq_consent_events_seq"),
        Index("ix_consent_events_lookup", "subject_id", "purpose_id", "seq"),
    )

    subject_id: Mapped[int] = mapped_column(ForeignKey("consent_subjects.id"))
    seq: Mapped[int] = mapped_column(Integer)
    purpose_id: Mapped[int] = mapped_column(ForeignKey("processing_purposes.id"), index=True)
    action: Mapped[Action] = mapped_column(Enum(Action, native_enum=False, length=20))
    rules_version_id: Mapped[int | None] = mapped_column(ForeignKey("processing_rules_versions.id"))
    rules_sm3: Mapped[str] = mapped_column(String(64), default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    terms_hash: Mapped[str] = mapped_column(String(64), default="")
    given_by: Mapped[GivenBy] = mapped_column(Enum(GivenBy, native_enum=False, length=20))
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("consent_guardians.id"))
    verification: Mapped[Verification] = mapped_column(
        Enum(Verification, native_enum=False, length=20)
    )
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ConsentLink(IdMixin, Base):
    """A one-time link for a subject (or one guardian). The token is never stored: only the
    SM3 of its random nonce; ``used_at`` is set once, by a guarded update."""

    __tablename__ = "consent_links"

    subject_id: Mapped[int] = mapped_column(ForeignKey("consent_subjects.id"), index=True)
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("consent_guardians.id"))
    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"))
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsentTally(Base):
    """The ledger's count for one consent-based purpose, as the worker last made it (the
    dashboard reads it instead of folding a large ledger on every page load). The marks are the
    newest subject, guardian and ledger ids when counting began: a larger one now means the
    count may be out of date."""

    __tablename__ = "consent_tallies"

    purpose_id: Mapped[int] = mapped_column(
        ForeignKey("processing_purposes.id", ondelete="CASCADE"), primary_key=True
    )
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the moment counted
    terms_hash: Mapped[str] = mapped_column(String(64))  # the purpose's terms then
    subjects_mark: Mapped[int] = mapped_column(Integer)
    guardians_mark: Mapped[int] = mapped_column(Integer)
    events_mark: Mapped[int] = mapped_column(Integer)
    milliseconds: Mapped[int] = mapped_column(Integer)  # how long the count took
    subjects: Mapped[int] = mapped_column(Integer)
    valid: Mapped[int] = mapped_column(Integer)
    needs_reconsent: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)
    withdrawn: Mapped[int] = mapped_column(Integer)
    undecided: Mapped[int] = mapped_column(Integer)
    tampered: Mapped[int] = mapped_column(Integer)
