"""Sending a message to people named by account, role or unit — the one place notify
reaches into identity (who holds a role in a unit). Other domains call :func:`send`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.notify import service
from eduguard.notify.models import Channel, Message


@dataclass(frozen=True)
class Recipient:
    """An account (``user_id``), the holders of ``role`` in ``unit_id``, or everyone of
    ``unit_id`` (``role`` None). ``unit_id`` None with a role: platform-wide accounts."""

    user_id: int | None = None
    role: Role | None = None
    unit_id: int | None = None

    @classmethod
    def user(cls, user_id: int) -> Recipient:
        return cls(user_id=user_id)

    @classmethod
    def holders(cls, role: Role | str, unit_id: int | None) -> Recipient:
        return cls(role=Role(role), unit_id=unit_id)

    @classmethod
    def unit(cls, unit_id: int) -> Recipient:
        return cls(unit_id=unit_id)

    def describe(self) -> str:
        if self.user_id is not None:
            return f"user:{self.user_id}"
        where = f"unit:{self.unit_id}" if self.unit_id is not None else "platform"
        return f"role:{self.role.value}@{where}" if self.role else where


def resolve(session: Session, recipients: Sequence[Recipient]) -> list[int]:
    """The active accounts the recipients stand for, each once."""
    found: list[int] = []
    for recipient in recipients:
        if recipient.user_id is not None:
            user = identity_service.get_user(session, recipient.user_id)
            if user.active:
                found.append(user.id)
            continue
        units = [recipient.unit_id] if recipient.unit_id is not None else None
        for user in identity_service.list_users(session, unit_ids=units):
            if not user.active or user.unit_id != recipient.unit_id:
                continue
            if recipient.role is None or recipient.role in user.role_set:
                found.append(user.id)
    return list(dict.fromkeys(found))


def send(
    session: Session,
    *,
    topic: str,
    subject: str,
    body: str,
    to: Sequence[Recipient],
    channels: Sequence[Channel] = (Channel.inbox, Channel.email),
    webhooks: Sequence[str] = (),
    unit_id: int | None = None,
    cause_type: str | None = None,
    cause_id: int | None = None,
    link: str | None = None,
) -> Message:
    """Write a message to ``to`` in the caller's transaction (see :func:`service.write`)."""
    return service.write(
        session,
        topic=topic,
        subject=subject,
        body=body,
        user_ids=resolve(session, to),
        addressed_to=", ".join(r.describe() for r in to),
        channels=channels,
        webhooks=webhooks,
        unit_id=unit_id,
        cause_type=cause_type,
        cause_id=cause_id,
        link=link,
    )
