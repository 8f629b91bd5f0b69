"""Outbox tables: a message (what is said, about which object), its deliveries (one per
channel and recipient, each with its own status), and a person's notification address.

Deliveries name a recipient by account id, never by address: the address is looked up when
the message is sent, so the outbox holds the least personal information the job needs.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eduguard.db.base import Base, IdMixin, UTCDateTime, utcnow


class Channel(enum.StrEnum):
    inbox = "inbox"  # the console's own 我的消息
    email = "email"  # SMTP, to the account's notification address
    webhook = "webhook"  # a group robot (WeCom/DingTalk style), by configured name


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # waiting for the worker (or for its next attempt)
    sent = "sent"
    failed = "failed"  # every attempt failed
    skipped = "skipped"  # nothing to send to: no address, channel not configured


class Message(IdMixin, Base):
    __tablename__ = "notify_messages"

    topic: Mapped[str] = mapped_column(String(64))  # e.g. clocks.reminder
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000))
    link: Mapped[str | None] = mapped_column(String(300))  # a console path, e.g. /clocks?unit=3
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    cause_type: Mapped[str | None] = mapped_column(String(40))
    cause_id: Mapped[int | None] = mapped_column(Integer)
    addressed_to: Mapped[str] = mapped_column(String(500))  # role:pi_officer@unit:3, user:7
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="message", order_by="Delivery.id"
    )


class Delivery(IdMixin, Base):
    __tablename__ = "notify_deliveries"
    __table_args__ = (Index("ix_notify_deliveries_inbox", "user_id", "channel", "read_at"),)

    message_id: Mapped[int] = mapped_column(
        ForeignKey("notify_messages.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target: Mapped[str | None] = mapped_column(String(64))  # the webhook's configured name
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(64))  # a code, e.g. smtp_refused
    task_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # inbox only

    message: Mapped[Message] = relationship(back_populates="deliveries", lazy="joined")


class Contact(Base):
    """Where an account wants e-mail notifications (set by the person, in 我的消息)."""

    __tablename__ = "notify_contacts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
