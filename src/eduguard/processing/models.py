"""Tables: the processing register of a system (header, purposes, the catalog fields each uses,
the items an approved collection review adds before the catalog holds them, recipients) and
the published collection rules, one immutable row per version.

Systems, catalog fields and agreements belong to other domains; they are referenced by
foreign key only (cross-domain queries live in ``processing.flows``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eduguard.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class LegalBasis(enum.StrEnum):
    """PIPL Art. 13 ¶1 items (1)–(7), in their order."""

    consent = "consent"  # (一) 取得个人的同意
    contract = "contract"  # (二) 合同/人力资源管理所必需
    statutory = "statutory"  # (三) 履行法定职责或者法定义务所必需
    emergency = "emergency"  # (四) 突发公共卫生事件、紧急情况
    news = "news"  # (五) 为公共利益实施新闻报道、舆论监督
    published = "published"  # (六) 已经合法公开的个人信息
    other_law = "other_law"  # (七) 法律、行政法规规定的其他情形


class Necessity(enum.StrEnum):
    necessary = "necessary"  # 基本业务功能所必需
    optional = "optional"  # 扩展功能，可拒绝


class PurposeStatus(enum.StrEnum):
    draft = "draft"  # 草稿：未启用
    active = "active"  # 已启用
    retired = "retired"  # 已停用


class Disposal(enum.StrEnum):
    """What happens to the information when its retention period ends."""

    delete = "delete"
    anonymise = "anonymise"
    archive = "archive"  # 依法移交档案


class RecipientKind(enum.StrEnum):
    third_party = "third_party"  # 向其他个人信息处理者提供 (PIPL Art. 23)
    processor = "processor"  # 委托处理的受托人 (PIPL Art. 21)


class Audience(enum.StrEnum):
    general = "general"
    children = "children"  # 不满十四周岁未成年人的专门规则 (PIPL Art. 31 ¶2; NDSR Art. 21 ¶2)


class ProcessingRegister(IdMixin, TimestampMixin, Base):
    """A system's register header: the public contact and how people exercise their rights."""

    __tablename__ = "processing_registers"

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), unique=True)
    contact: Mapped[str] = mapped_column(String(300), default="")  # an office, not a person
    rights_channel: Mapped[str] = mapped_column(Text, default="")


class ProcessingPurpose(IdMixin, TimestampMixin, Base):
    """One purpose (处理目的) of a system. ``revision`` counts its changes (each one audited)."""

    __tablename__ = "processing_purposes"
    __table_args__ = (UniqueConstraint("system_id", "name", name="uq_processing_purposes_name"),)

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[LegalBasis | None] = mapped_column(
        Enum(LegalBasis, native_enum=False, length=20)
    )
    basis_detail: Mapped[str] = mapped_column(Text, default="")  # the law or contract relied on
    necessity: Mapped[Necessity] = mapped_column(
        Enum(Necessity, native_enum=False, length=20), default=Necessity.necessary
    )
    collection_method: Mapped[str] = mapped_column(String(500), default="")
    retention_period: Mapped[str] = mapped_column(String(200), default="")
    disposal: Mapped[Disposal] = mapped_column(
        Enum(Disposal, native_enum=False, length=20), default=Disposal.delete
    )
    sensitive_necessity: Mapped[str] = mapped_column(Text, default="")  # PIPL Art. 30
    automated_decision: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[PurposeStatus] = mapped_column(
        Enum(PurposeStatus, native_enum=False, length=20), default=PurposeStatus.draft, index=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    fields: Mapped[list[PurposeField]] = relationship(
        cascade="all, delete-orphan", order_by="PurposeField.field_id", lazy="selectin"
    )
    recipients: Mapped[list[Recipient]] = relationship(
        cascade="all, delete-orphan", order_by="Recipient.id", lazy="selectin"
    )
    planned: Mapped[list[PlannedItem]] = relationship(
        cascade="all, delete-orphan", order_by="PlannedItem.id", lazy="selectin"
    )


class PurposeField(IdMixin, Base):
    """A catalog field (data item) a purpose uses."""

    __tablename__ = "processing_purpose_fields"
    __table_args__ = (
        UniqueConstraint("purpose_id", "field_id", name="uq_processing_purpose_fields_pair"),
    )

    purpose_id: Mapped[int] = mapped_column(ForeignKey("processing_purposes.id"), index=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("catalog_fields.id"), index=True)


class PlannedItem(IdMixin, Base):
    """A data item a purpose is approved to collect that the catalog does not hold yet: written
    by an approved collection review (``origin``: e.g. ``collection_plan:12``), so the rules
    state it before it is collected. Types and flags as the review classified them."""

    __tablename__ = "processing_planned_items"
    __table_args__ = (
        UniqueConstraint("purpose_id", "group", "name", name="uq_processing_planned_items_name"),
    )

    purpose_id: Mapped[int] = mapped_column(ForeignKey("processing_purposes.id"), index=True)
    group: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(300))
    label: Mapped[str | None] = mapped_column(String(500))
    pi_types: Mapped[str] = mapped_column(String(500), default="")  # comma-separated codes
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    minors: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(100), default="")
    # Collected: the catalog field a later scan found for the item (then linked to the purpose
    # as a PurposeField), and when; until then the item is *expected* (待收集).
    field_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_fields.id"), index=True)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def types(self) -> list[str]:
        return [code for code in self.pi_types.split(",") if code]


class Recipient(IdMixin, Base):
    """Who receives the information of a purpose: a third party or an entrusted processor,
    with the registry's third-party agreement where one exists."""

    __tablename__ = "processing_recipients"

    purpose_id: Mapped[int] = mapped_column(ForeignKey("processing_purposes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RecipientKind] = mapped_column(Enum(RecipientKind, native_enum=False, length=20))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    contact: Mapped[str] = mapped_column(String(300), default="")
    use: Mapped[str] = mapped_column(String(500), default="")  # what the recipient does with it


class RulesVersion(IdMixin, Base):
    """One published version of a system's collection rules: the rendered document (canonical
    JSON) and its SM3 digest. Never updated or deleted (``processing.service`` refuses it)."""

    __tablename__ = "processing_rules_versions"
    __table_args__ = (
        UniqueConstraint("system_id", "audience", "number", name="uq_processing_rules_number"),
    )

    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"), index=True)
    audience: Mapped[Audience] = mapped_column(Enum(Audience, native_enum=False, length=20))
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    sm3: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(64))
