"""The outbox's logic. Services flush, never commit: a message is written — and its sending
enqueued (``tasks``) — in the transaction of the event that causes it.

Recipients are account ids here (``notify.flows`` turns a role or a unit into accounts).
Every recipient gets the message in the console inbox; e-mail and webhook deliveries are
sent by the worker (``notify.jobs``), each with its own status.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from eduguard.db.base import utcnow
from eduguard.errors import ValidationFailed
from eduguard.notify.models import Channel, Contact, Delivery, DeliveryStatus, Message
from eduguard.notify.privacy import check_text
from eduguard.tasks import service as tasks_service

DELIVER_KIND = "notify.deliver"
DELIVERY_ATTEMPTS = 5
DELIVERY_BACKOFF_SECONDS = 60  # then 2, 4, 8 minutes …
TOPIC = re.compile(r"[a-z][a-z0-9_.]{0,63}")
WEBHOOK_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")


def _check_link(link: str | None) -> str | None:
    if link is None:
        return None
    if not link.startswith("/") or link.startswith("//") or len(link) > 300:
        raise ValidationFailed("message_link", "消息链接须为控制台内的路径（以 / 开头）")
    return link


def write(
    session: Session,
    *,
    topic: str,
    subject: str,
    body: str,
    user_ids: Iterable[int],
    addressed_to: str,
    channels: Sequence[Channel] = (Channel.inbox, Channel.email),
    webhooks: Sequence[str] = (),
    unit_id: int | None = None,
    cause_type: str | None = None,
    cause_id: int | None = None,
    link: str | None = None,
) -> Message:
    """Write one message with a delivery per recipient and channel; e-mail and webhook
    deliveries are enqueued for the worker. Refuses personal values in the text."""
    if not TOPIC.fullmatch(topic):
        raise ValueError(f"topic {topic!r} is not a code")
    subject, body = subject.strip(), body.strip()
    if not subject or len(subject) > 200 or len(body) > 2000:
        raise ValidationFailed("message_length", "消息标题须为 1–200 字，正文不超过 2000 字")
    check_text(subject, body)
    for name in webhooks:
        if not WEBHOOK_NAME.fullmatch(name):
            raise ValidationFailed("webhook_name", f"机器人名称“{name[:40]}”无效")
    message = Message(
        topic=topic,
        subject=subject,
        body=body,
        link=_check_link(link),
        unit_id=unit_id,
        cause_type=cause_type,
        cause_id=cause_id,
        addressed_to=addressed_to[:500],
    )
    session.add(message)
    session.flush()
    now = utcnow()
    deliveries: list[Delivery] = []
    for user_id in dict.fromkeys(user_ids):  # each person once, in order
        if Channel.inbox in channels:
            deliveries.append(
                Delivery(
                    message_id=message.id,
                    channel=Channel.inbox,
                    user_id=user_id,
                    status=DeliveryStatus.sent,
                    sent_at=now,
                )
            )
        if Channel.email in channels:
            deliveries.append(
                Delivery(message_id=message.id, channel=Channel.email, user_id=user_id)
            )
    if Channel.webhook in channels:
        deliveries += [
            Delivery(message_id=message.id, channel=Channel.webhook, target=name)
            for name in dict.fromkeys(webhooks)
        ]
    session.add_all(deliveries)
    session.flush()
    for delivery in deliveries:
        if delivery.status == DeliveryStatus.pending:
            task = tasks_service.enqueue(
                session,
                DELIVER_KIND,
                {"delivery_id": delivery.id},
                max_attempts=DELIVERY_ATTEMPTS,
                backoff_seconds=DELIVERY_BACKOFF_SECONDS,
            )
            delivery.task_id = task.id
    session.flush()
    return message


# ---------------------------------------------------------------- the inbox


def inbox(
    session: Session, user_id: int, *, unread_only: bool = False, limit: int = 200
) -> Sequence[Delivery]:
    query = select(Delivery).where(Delivery.user_id == user_id, Delivery.channel == Channel.inbox)
    if unread_only:
        query = query.where(Delivery.read_at.is_(None))
    return session.scalars(query.order_by(Delivery.id.desc()).limit(limit)).unique().all()


def unread_count(session: Session, user_id: int) -> int:
    query = select(func.count()).where(
        Delivery.user_id == user_id,
        Delivery.channel == Channel.inbox,
        Delivery.read_at.is_(None),
    )
    return session.scalar(query) or 0


def mark_read(
    session: Session, user_id: int, delivery_ids: Iterable[int] | None = None, *, read: bool = True
) -> int:
    """Mark the person's own inbox messages read (or unread again); how many changed. Ids of
    someone else's messages change nothing."""
    query = update(Delivery).where(Delivery.user_id == user_id, Delivery.channel == Channel.inbox)
    if delivery_ids is not None:
        query = query.where(Delivery.id.in_(list(delivery_ids)))
    if read:
        query = query.where(Delivery.read_at.is_(None)).values(read_at=utcnow())
    else:
        query = query.where(Delivery.read_at.is_not(None)).values(read_at=None)
    result = session.execute(query.execution_options(synchronize_session=False))
    session.expire_all()
    return int(getattr(result, "rowcount", 0) or 0)


def set_contact(session: Session, user_id: int, email: str | None) -> None:
    """The account's own e-mail address for notifications (None or "" removes it)."""
    contact = session.get(Contact, user_id)
    address = (email or "").strip()
    if not address:
        if contact is not None:
            session.delete(contact)
        session.flush()
        return
    if len(address) > 254 or not EMAIL.fullmatch(address):
        raise ValidationFailed("contact_email", "电子邮箱格式不正确", "invalid e-mail address")
    if contact is None:
        session.add(Contact(user_id=user_id, email=address))
    else:
        contact.email = address
    session.flush()


def contact_address(session: Session, user_id: int) -> str | None:
    contact = session.get(Contact, user_id)
    return contact.email if contact is not None else None


# ---------------------------------------------------------------- sending (the worker)


def pending_delivery(session: Session, delivery_id: int) -> Delivery | None:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.pending:
        return None
    return delivery


def _settle(
    session: Session,
    delivery_id: int,
    status: DeliveryStatus,
    code: str | None,
    *,
    attempt: bool,
    now: datetime | None = None,
) -> None:
    values: dict[str, object] = {"status": status, "last_error": code}
    if attempt:
        values["attempts"] = Delivery.attempts + 1
    if status == DeliveryStatus.sent:
        values["sent_at"] = now or utcnow()
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.pending)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def mark_sent(session: Session, delivery_id: int) -> None:
    _settle(session, delivery_id, DeliveryStatus.sent, None, attempt=True)


def mark_attempt_failed(session: Session, delivery_id: int, code: str) -> None:
    """One failed attempt: still pending, tried again after the task's backoff."""
    _settle(session, delivery_id, DeliveryStatus.pending, code[:64], attempt=True)


def mark_failed(session: Session, delivery_id: int, code: str) -> None:
    _settle(session, delivery_id, DeliveryStatus.failed, code[:64], attempt=False)


def mark_skipped(session: Session, delivery_id: int, code: str) -> None:
    _settle(session, delivery_id, DeliveryStatus.skipped, code[:64], attempt=False)


def deliveries_of(session: Session, message_id: int) -> Sequence[Delivery]:
    query = select(Delivery).where(Delivery.message_id == message_id).order_by(Delivery.id)
    return session.scalars(query).unique().all()


def messages_about(session: Session, cause_type: str, cause_id: int) -> Sequence[Message]:
    query = select(Message).where(Message.cause_type == cause_type, Message.cause_id == cause_id)
    return session.scalars(query.order_by(Message.id)).all()
