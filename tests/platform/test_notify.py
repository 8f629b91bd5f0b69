"""The outbox: written with its cause, delivered by the worker to a real SMTP server and a
real HTTP robot, retried, then failed; least personal information."""

from __future__ import annotations

import email
import json
from datetime import timedelta
from email.policy import default as email_policy
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from eduguard.config import Settings
from eduguard.db.base import utcnow
from eduguard.errors import ValidationFailed
from eduguard.notify import flows, service
from eduguard.notify.flows import Recipient
from eduguard.notify.models import Channel, Delivery, DeliveryStatus
from eduguard.tasks.models import Task, TaskStatus
from eduguard.worker.loop import Worker

SUBJECT = "期限提醒：事件 #12 初次报告"
BODY = "事件 #12 的初次报告将于 2026-10-12 到期，请及时办理。"


def _send(factory: sessionmaker[Session], school: Any, **options: object) -> int:
    with factory() as session, session.begin():
        service.set_contact(session, school.officer_id, "officer@school.example")
        message = flows.send(
            session,
            topic="clocks.reminder",
            subject=SUBJECT,
            body=BODY,
            to=[Recipient.holders("pi_officer", school.unit_id)],
            unit_id=school.unit_id,
            cause_type="incident",
            cause_id=12,
            link="/clocks?unit_id=1",
            **options,  # type: ignore[arg-type]
        )
        return message.id


def _worker(factory: sessionmaker[Session], settings: Settings) -> Worker:
    return Worker(factory, settings, scan_options={})


def test_email_and_webhook_delivered_by_the_worker(
    session_factory: sessionmaker[Session],
    settings: Settings,
    school: Any,
    smtp_server: tuple[int, object],
    robot: object,
) -> None:
    port, inbox = smtp_server
    settings = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_from": "eduguard@platform.example",
            "notify_webhooks": {"security": SecretStr(robot.url)},  # type: ignore[attr-defined]
            "console_url": "https://eduguard.example",
        }
    )
    message_id = _send(
        session_factory,
        school,
        channels=(Channel.inbox, Channel.email, Channel.webhook),
        webhooks=("security",),
    )
    done = _worker(session_factory, settings).drain()
    assert done.tasks >= 2
    with session_factory() as session:
        deliveries = service.deliveries_of(session, message_id)
        by_channel = {d.channel: d for d in deliveries}
        assert set(by_channel) == {Channel.inbox, Channel.email, Channel.webhook}
        assert {d.status for d in deliveries} == {DeliveryStatus.sent}
        assert by_channel[Channel.email].attempts == 1
        # only the school's PI officer: not the teacher, not the county's administrator
        assert {d.user_id for d in deliveries if d.user_id} == {school.officer_id}
    ((mail_from, rcpt, raw),) = inbox.messages  # type: ignore[attr-defined]
    assert mail_from == "eduguard@platform.example" and rcpt == ["officer@school.example"]
    parsed = email.message_from_bytes(raw, policy=email_policy)
    assert parsed["Subject"] == SUBJECT
    text = parsed.get_body().get_content()  # type: ignore[union-attr]
    assert BODY in text and "https://eduguard.example/clocks?unit_id=1" in text
    (posted,) = robot.received  # type: ignore[attr-defined]
    assert posted["msgtype"] == "text" and SUBJECT in posted["text"]["content"]


def test_a_failed_delivery_is_retried_then_marked_failed(
    session_factory: sessionmaker[Session], settings: Settings, school: Any
) -> None:
    closed_port = 9  # discard: nothing listens there on the test machine
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": closed_port})
    message_id = _send(session_factory, school, channels=(Channel.email,))
    worker = _worker(session_factory, settings)
    for attempt in range(1, service.DELIVERY_ATTEMPTS + 1):
        assert worker.run_task() is not None
        with session_factory() as session:
            (delivery,) = service.deliveries_of(session, message_id)
            assert delivery.attempts == attempt and delivery.last_error == "smtp_unreachable"
            task = session.get(Task, delivery.task_id)
            assert task is not None
            if attempt < service.DELIVERY_ATTEMPTS:
                assert delivery.status == DeliveryStatus.pending
                assert task.status == TaskStatus.queued and task.run_at > utcnow()
        assert worker.run_task() is None  # backing off
        with session_factory() as session, session.begin():
            session.execute(update(Task).values(run_at=utcnow() - timedelta(seconds=1)))
    with session_factory() as session:
        (delivery,) = service.deliveries_of(session, message_id)
        assert delivery.status == DeliveryStatus.failed
        assert session.get(Task, delivery.task_id).status == TaskStatus.failed  # type: ignore[union-attr]


def test_a_robot_that_refuses_then_accepts(
    session_factory: sessionmaker[Session], settings: Settings, school: Any, robot: object
) -> None:
    robot.answers.extend([503])  # type: ignore[attr-defined]
    settings = settings.model_copy(update={"notify_webhooks": {"ops": SecretStr(robot.url)}})  # type: ignore[attr-defined]
    message_id = _send(session_factory, school, channels=(Channel.webhook,), webhooks=("ops",))
    worker = _worker(session_factory, settings)
    assert worker.run_task() is not None
    with session_factory() as session, session.begin():
        (delivery,) = service.deliveries_of(session, message_id)
        assert (delivery.status, delivery.last_error) == (
            DeliveryStatus.pending,
            "webhook_http_503",
        )
        session.execute(update(Task).values(run_at=utcnow() - timedelta(seconds=1)))
    assert worker.run_task() is not None
    with session_factory() as session:
        (delivery,) = service.deliveries_of(session, message_id)
        assert delivery.status == DeliveryStatus.sent and delivery.attempts == 2
    assert len(robot.received) == 2  # type: ignore[attr-defined]


def test_no_address_or_no_mail_server_is_skipped_not_retried(
    session_factory: sessionmaker[Session], settings: Settings, school: Any
) -> None:
    message_id = _send(session_factory, school, channels=(Channel.email,))  # no SMTP host
    _worker(session_factory, settings).drain()  # the delivery (and the clocks' first tick)
    with session_factory() as session:
        (delivery,) = service.deliveries_of(session, message_id)
        task = session.get(Task, delivery.task_id)
        assert task is not None and (task.status, task.attempts) == (TaskStatus.succeeded, 1)
        assert (delivery.status, delivery.last_error) == (
            DeliveryStatus.skipped,
            "smtp_not_configured",
        )


@pytest.mark.parametrize(
    "text",
    [
        "学生 110101200001011237 的申请",
        "请联系家长 13800138000",
        "退款至 6222020200112233445",
        "回复 parent@family.example",
    ],
)
def test_personal_values_never_enter_the_outbox(
    session_factory: sessionmaker[Session], school: Any, text: str
) -> None:
    with session_factory() as session, session.begin():
        with pytest.raises(ValidationFailed) as refused:
            flows.send(
                session,
                topic="demo.notice",
                subject="提醒",
                body=text,
                to=[Recipient.unit(school.unit_id)],
            )
        assert refused.value.code == "message_personal_value"
        session.rollback()
    with session_factory() as session:
        assert session.scalars(select(Delivery)).all() == []


def test_what_the_outbox_stores_names_no_person(
    session_factory: sessionmaker[Session], school: Any
) -> None:
    message_id = _send(session_factory, school)
    with session_factory() as session:
        tasks = session.scalars(select(Task)).all()
        assert tasks and all(set(t.payload) == {"delivery_id"} for t in tasks)
        stored = json.dumps(
            [
                [d.channel, d.user_id, d.target, d.last_error]
                for d in service.deliveries_of(session, message_id)
            ]
            + [t.payload for t in tasks]
        )
        assert "officer@school.example" not in stored  # the address is read when sending
        assert "@" not in stored


def test_inbox_read_and_unread_only_for_its_owner(
    session_factory: sessionmaker[Session], school: Any
) -> None:
    _send(session_factory, school)
    with session_factory() as session, session.begin():
        assert service.unread_count(session, school.officer_id) == 1
        (item,) = service.inbox(session, school.officer_id)
        assert service.mark_read(session, school.user_id, [item.id]) == 0  # someone else's
        assert service.mark_read(session, school.officer_id, [item.id]) == 1
        assert service.unread_count(session, school.officer_id) == 0
        assert service.mark_read(session, school.officer_id, [item.id], read=False) == 1
        assert service.unread_count(session, school.officer_id) == 1
