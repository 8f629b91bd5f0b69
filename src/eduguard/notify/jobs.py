"""The worker's side of the outbox: ``notify.deliver`` sends one e-mail or webhook delivery.

The address is read when sending (never stored in the task or the delivery); the send
happens outside any transaction. A failed attempt is recorded on the delivery (attempts,
last error code) and the task queue tries again with backoff; when the attempts are spent
the delivery becomes 发送失败 (:func:`give_up`, in the transaction that fails the task).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from eduguard.db.engine import transaction
from eduguard.notify import channels, service
from eduguard.notify.models import Channel
from eduguard.tasks.runner import Handler, TaskContext, TaskRetry

logger = logging.getLogger("eduguard.notify")


def _text(body: str, link: str | None, console_url: str | None) -> str:
    if not link:
        return body
    where = f"{console_url.rstrip('/')}{link}" if console_url else link
    return f"{body}\n\n详情请登录控制台查看：{where}"


def deliver(context: TaskContext) -> None:
    delivery_id = int(context.payload["delivery_id"])
    settings = context.settings
    with transaction(context.factory) as session:
        delivery = service.pending_delivery(session, delivery_id)
        if delivery is None:  # sent, skipped or failed already: nothing to do
            return
        channel, target, user_id = delivery.channel, delivery.target, delivery.user_id
        subject, body, link = delivery.message.subject, delivery.message.body, delivery.message.link
        address = service.contact_address(session, user_id) if user_id is not None else None
        if channel == Channel.email and address is None:
            service.mark_skipped(session, delivery_id, "no_address")
            return
    text = _text(body, link, settings.console_url)
    try:
        if channel == Channel.email:
            assert address is not None
            channels.send_email(settings, address, subject, text)
        else:
            channels.post_webhook(settings, target or "", f"【{subject}】\n{text}")
    except channels.SendFailed as failed:
        with transaction(context.factory) as session:
            if failed.code.endswith("_not_configured"):
                service.mark_skipped(session, delivery_id, failed.code)
                return
            service.mark_attempt_failed(session, delivery_id, failed.code)
        raise TaskRetry(failed.code, permanent=failed.permanent) from None
    with transaction(context.factory) as session:
        service.mark_sent(session, delivery_id)


def give_up(session: Session, context: TaskContext, code: str) -> None:
    service.mark_failed(session, int(context.payload["delivery_id"]), code)
    logger.warning("delivery %s failed for good: %s", context.payload["delivery_id"], code)


HANDLERS = {service.DELIVER_KIND: Handler(service.DELIVER_KIND, deliver, give_up=give_up)}
