"""Each account's own messages (我的消息, the outbox's console inbox): read/unread, and the
e-mail address notifications go to. Only the caller's own messages are ever listed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from eduguard.access.policy import AUTHENTICATED, Principal
from eduguard.audit import service as audit_service
from eduguard.notify import service
from eduguard.validation import RequestModel
from eduguard.web.deps import DbSession, permission
from eduguard.web.flash import see_other
from eduguard.web.render import page

router = APIRouter()
Caller = Annotated[Principal, permission(AUTHENTICATED)]


class InboxItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    topic: str
    subject: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class MarkRead(RequestModel):
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None = Field(
        default=None, max_length=1000, description="缺省为全部"
    )
    read: bool = True


class ContactUpdate(RequestModel):
    email: str | None = Field(default=None, max_length=254)


def _items(session: DbSession, user_id: int, unread_only: bool = False) -> list[InboxItem]:
    return [
        InboxItem(
            id=d.id,
            topic=d.message.topic,
            subject=d.message.subject,
            body=d.message.body,
            link=d.message.link,
            created_at=d.message.created_at,
            read_at=d.read_at,
        )
        for d in service.inbox(session, user_id, unread_only=unread_only)
    ]


def _mark(session: DbSession, user_id: int, ids: list[int] | None, read: bool) -> int:
    changed = service.mark_read(session, user_id, ids, read=read)
    audit_service.record(
        session,
        action="notify.read",
        object_type="notify_message",
        object_id=",".join(map(str, ids[:20])) if ids else None,
        row_count=changed,
        reason="标记已读" if read else "标记未读",
    )
    return changed


def _set_contact(session: DbSession, user_id: int, email: str | None) -> None:
    service.set_contact(session, user_id, email)
    audit_service.record(
        session, action="notify.contact", object_type="user", object_id=user_id, fields=["email"]
    )


@router.get("/api/v1/inbox", tags=["notify"])
def list_inbox(caller: Caller, session: DbSession, unread: bool = False) -> list[InboxItem]:
    """The caller's own messages, newest first."""
    return _items(session, caller.user_id, unread)


@router.post("/api/v1/inbox/read", tags=["notify"])
def mark_inbox(data: MarkRead, caller: Caller, session: DbSession) -> dict[str, int]:
    """Mark the caller's messages (``ids``, or all) read — or unread again with ``read``
    false. Others' message ids change nothing."""
    return {"changed": _mark(session, caller.user_id, data.ids, data.read)}


@router.put("/api/v1/inbox/contact", tags=["notify"])
def put_contact(data: ContactUpdate, caller: Caller, session: DbSession) -> dict[str, bool]:
    """The e-mail address the caller's notifications go to (empty: none)."""
    _set_contact(session, caller.user_id, data.email)
    return {"email_set": bool(data.email)}


@router.get("/inbox", include_in_schema=False)
def inbox_page(
    request: Request, caller: Caller, session: DbSession, unread: bool = False
) -> HTMLResponse:
    return page(
        request,
        "inbox.html",
        items=_items(session, caller.user_id, unread),
        unread_only=unread,
        unread_count=service.unread_count(session, caller.user_id),
        email=service.contact_address(session, caller.user_id),
        crumbs=[("/", "概览"), (None, "我的消息")],
    )


@router.post("/inbox/read", include_in_schema=False)
def mark_inbox_form(
    request: Request,
    caller: Caller,
    session: DbSession,
    message_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
    read: Annotated[str, Form(pattern="^(1|0)$")] = "1",
) -> Response:
    ids = [message_id] if message_id is not None else None
    _mark(session, caller.user_id, ids, read == "1")
    return see_other(
        request,
        "/inbox",
        "已标记为已读" if read == "1" else "已标记为未读",
        "Marked as read" if read == "1" else "Marked as unread",
    )


@router.post("/inbox/contact", include_in_schema=False)
def contact_form(
    request: Request,
    caller: Caller,
    session: DbSession,
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    _set_contact(session, caller.user_id, email)
    return see_other(
        request,
        "/inbox",
        "通知邮箱已保存" if email else "已删除通知邮箱",
        "Notification e-mail saved" if email else "Notification e-mail removed",
    )
