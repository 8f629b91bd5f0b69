"""Recording audit events inside the caller's transaction.

``record()`` queues an event on the session; the writer (a ``before_commit`` listener attached
to that session) appends every queued event in one go just before the transaction commits:
it takes the chain lock, reads the chain head, assigns contiguous ids, computes the SM3 chain
and inserts the rows with one executemany. The events therefore commit or roll back with the
change they describe, and the chain lock is held only from that insert to the commit.

A rolled-back savepoint drops the events queued inside it.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import event, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction

from eduguard.audit.chain import FORMAT, GENESIS_HASH, event_hash, format_time
from eduguard.audit.models import AuditCheckpoint, AuditEvent
from eduguard.db.base import utcnow

ACTOR_KEY = "audit_actor"
PENDING_KEY = "audit_pending"
WRITER_KEY = "audit_writer"
# pg_advisory_xact_lock key of the chain (any constant; "eduguard audit" in ASCII, truncated).
CHAIN_LOCK_KEY = 0x6564_7567_6175_6400 & 0x7FFF_FFFF_FFFF_FFFF
Result = Literal["ok", "denied", "failed"]
RESULTS: tuple[str, ...] = ("ok", "denied", "failed")


@dataclass(frozen=True)
class Actor:
    """Who acts: account, roles, unit, client address and the access decision's reason."""

    username: str
    user_id: int | None = None
    roles: tuple[str, ...] = ()
    unit_id: int | None = None
    unit_path: str = "/"
    client_address: str | None = None
    reason: str | None = None

    @classmethod
    def cli(cls, reason: str = "命令行操作（操作系统账户）") -> Actor:
        """The actor of a command-line action: ``cli:<os user>``."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # pragma: no cover - no passwd entry (containers)
            user = "unknown"
        return cls(username=f"cli:{user}", client_address="local", reason=reason)


SYSTEM_ACTOR = Actor(username="system", reason="未绑定操作者")


@dataclass(slots=True)
class EventRecord:
    """An event as recorded: the row that will be (after commit: was) inserted. A plain object,
    not an ORM instance — recording thousands per transaction must stay cheap. ``id``,
    ``prev_hash`` and ``hash`` are set when the transaction commits."""

    time: datetime
    username: str
    user_id: int | None
    roles: str
    unit_id: int | None
    unit_path: str
    client_address: str | None
    action: str
    object_type: str | None
    object_id: str | None
    fields: str
    row_count: int | None
    result: str
    reason: str | None
    id: int = 0
    prev_hash: str = ""
    hash: str = ""

    @property
    def field_list(self) -> list[str]:
        return [name for name in self.fields.split(",") if name]


@dataclass
class _Pending:
    event: EventRecord
    transaction: SessionTransaction | None
    extra: dict[str, Any] = field(default_factory=dict)


def bind_actor(session: Session, actor: Actor) -> None:
    """Make ``actor`` the author of every event this session records from now on."""
    session.info[ACTOR_KEY] = actor


def bound_actor(session: Session) -> Actor | None:
    actor = session.info.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def _clip(value: str | None, length: int) -> str | None:
    # NUL cannot be stored in PostgreSQL text: an event must never fail its transaction.
    return None if value is None else value.replace("\x00", "\ufffd")[:length]


def record(
    session: Session,
    *,
    action: str,
    object_type: str | None = None,
    object_id: str | int | None = None,
    fields: Iterable[str] = (),
    row_count: int | None = None,
    result: Result = "ok",
    reason: str | None = None,
    actor: Actor | None = None,
) -> EventRecord:
    """Queue one event in the session's transaction; it is written just before commit.

    Returns the :class:`EventRecord`; query :class:`AuditEvent` rows after commit.

    ``fields`` are the names of the affected fields — never their values. The returned object
    gets its ``id``, ``prev_hash`` and ``hash`` when the transaction commits.
    """
    if result not in RESULTS:
        raise ValueError(f"result must be one of {RESULTS}")
    who = actor or bound_actor(session) or SYSTEM_ACTOR
    names = sorted({name.replace(",", "_").replace("\x00", "\ufffd") for name in fields})
    audit_event = EventRecord(
        time=utcnow(),
        username=_clip(who.username, 64) or "-",
        user_id=who.user_id,
        roles=_clip(",".join(sorted(who.roles)), 200) or "",
        unit_id=who.unit_id,
        unit_path=_clip(who.unit_path, 400) or "/",
        client_address=_clip(who.client_address, 64),
        action=_clip(action, 64) or "-",
        object_type=_clip(object_type, 64),
        object_id=_clip(None if object_id is None else str(object_id), 64),
        fields=",".join(names),
        row_count=row_count,
        result=result,
        reason=_clip(reason if reason is not None else who.reason, 500),
    )
    _attach_writer(session)
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_KEY, []).append(_Pending(audit_event, transaction))
    return audit_event


def take_pending(session: Session) -> list[EventRecord]:
    """The events queued in ``session`` and not yet written, removed from it: a read-only
    request hands them to :func:`requeue` in a short writing transaction of its own."""
    return [p.event for p in session.info.pop(PENDING_KEY, [])]


def requeue(session: Session, events: Iterable[EventRecord]) -> None:
    """Queue already-made events (:func:`take_pending`) in ``session``'s transaction."""
    _attach_writer(session)
    transaction = session.get_nested_transaction() or session.get_transaction()
    queue = session.info.setdefault(PENDING_KEY, [])
    queue.extend(_Pending(audit_event, transaction) for audit_event in events)


# ----------------------------------------------------------------- the writer


def _attach_writer(session: Session) -> None:
    if session.info.get(WRITER_KEY):
        return
    event.listen(session, "before_commit", _before_commit)
    event.listen(session, "after_soft_rollback", _after_soft_rollback)
    session.info[WRITER_KEY] = True


def _descends_from(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[_Pending] = session.info.get(PENDING_KEY, [])
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
        return
    session.info[PENDING_KEY] = [
        p for p in pending if not _descends_from(p.transaction, previous_transaction)
    ]


def lock_chain(connection: Connection) -> None:
    """Serialise appends: PostgreSQL advisory transaction lock; on SQLite a no-op write takes
    the database's single write lock now (before the head is read), not at the insert."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    else:
        connection.execute(text("UPDATE audit_purge_marker SET id = id WHERE 0 = 1"))


def chain_head(connection: Connection) -> tuple[int, str]:
    """(last event id, its hash); after a purge of everything, the purge anchor; else genesis."""
    last_id, last_hash, _time = _head(connection)
    return last_id, last_hash


def _head(connection: Connection) -> tuple[int, str, datetime | None]:
    last = connection.execute(
        select(AuditEvent.id, AuditEvent.hash, AuditEvent.time)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if last is not None:
        moment = last[2]
        if moment is not None and moment.tzinfo is None:  # SQLite hands back naive UTC
            moment = moment.replace(tzinfo=UTC)
        return int(last[0]), str(last[1]), moment
    anchor = connection.execute(
        select(AuditCheckpoint.last_event_id, AuditCheckpoint.last_hash)
        .where(AuditCheckpoint.kind == "purge")
        .order_by(AuditCheckpoint.last_event_id.desc())
        .limit(1)
    ).first()
    if anchor is not None:
        return int(anchor[0]), str(anchor[1]), None
    return 0, GENESIS_HASH, None


_INSERT_COLUMNS = (
    "id, time, username, user_id, roles, unit_id, unit_path, client_address, action, "
    "object_type, object_id, fields, row_count, result, reason, prev_hash, hash, chain_format"
)
# Constants only; every value is a bound parameter.
_INSERT = {
    "sqlite": f"INSERT INTO audit_events ({_INSERT_COLUMNS}) VALUES ({', '.join(['?'] * 18)})",  # noqa: S608
    "postgresql": f"INSERT INTO audit_events ({_INSERT_COLUMNS}) VALUES ({', '.join(['%s'] * 18)})",  # noqa: S608
}


def append(connection: Connection, events: list[EventRecord]) -> None:
    """Chain and insert ``events`` in order (one executemany on the driver: at thousands of
    events per transaction, SQLAlchemy's per-row parameter processing was half the cost).
    The caller's transaction commits."""
    if not events:
        return
    dialect = connection.dialect.name
    lock_chain(connection)
    last_id, previous, latest = _head(connection)
    rows = []
    for offset, audit_event in enumerate(events, start=1):
        # Time never decreases along the chain (a transaction that recorded earlier may commit
        # later; the clock may step back): so time order is id order, and a time-bounded
        # search can walk the time index instead of the whole id range.
        moment = audit_event.time
        if latest is not None and moment < latest:
            audit_event.time = moment = latest
        latest = moment
        event_id = audit_event.id = last_id + offset
        audit_event.prev_hash = previous
        stamp = format_time(moment)
        audit_event.hash = digest = event_hash(
            (
                audit_event.username,
                audit_event.action,
                audit_event.client_address,
                audit_event.fields,
                event_id,
                audit_event.object_id,
                audit_event.object_type,
                previous,
                audit_event.reason,
                audit_event.result,
                audit_event.roles,
                audit_event.row_count,
                stamp,
                audit_event.unit_id,
                audit_event.unit_path,
                audit_event.user_id,
            ),
            FORMAT,
        )
        rows.append(
            (
                event_id,
                # SQLAlchemy's textual DATETIME on SQLite (naive UTC, "YYYY-MM-DD HH:MM:SS.ffffff"):
                # rows written here and by the ORM agree.
                f"{stamp[:10]} {stamp[11:26]}" if dialect == "sqlite" else moment,
                audit_event.username,
                audit_event.user_id,
                audit_event.roles,
                audit_event.unit_id,
                audit_event.unit_path,
                audit_event.client_address,
                audit_event.action,
                audit_event.object_type,
                audit_event.object_id,
                audit_event.fields,
                audit_event.row_count,
                audit_event.result,
                audit_event.reason,
                previous,
                digest,
                FORMAT,
            )
        )
        previous = digest
    if dialect == "postgresql" and len(rows) >= COPY_THRESHOLD:
        _copy_rows(connection, rows)
    else:
        connection.exec_driver_sql(_INSERT.get(dialect, _INSERT["postgresql"]), rows)


COPY_THRESHOLD = 50  # below this a plain executemany is as fast as COPY's extra round trip


def _copy_rows(connection: Connection, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL COPY through psycopg, inside the caller's transaction."""
    raw: Any = connection.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY audit_events ({_INSERT_COLUMNS}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint release: the events wait for the real commit
    # Flush first: the automatic capture records the flushed changes (after_flush).
    session.flush()
    pending: list[_Pending] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    connection = session.connection()
    events = [p.event for p in pending]
    append(connection, events)
    hook = session.info.get(AFTER_APPEND_KEY)
    if hook is not None:
        hook(session, connection, events)


AfterAppend = Callable[[Session, Connection, list[EventRecord]], None]
# session.info key of the hook run after each append, in the same transaction (automatic
# checkpoints): set on every session of a target by eduguard.audit.capture.install.
AFTER_APPEND_KEY = "audit_after_append"


def record_separately(
    factory: Callable[[], Session],
    *,
    actor: Actor | None = None,
    session: Session | None = None,
    **details: Any,
) -> EventRecord | None:
    """Record an event that must outlive the failure of the request it describes (a denied
    access, a failed login), whose own transaction is rolled back.

    With ``session`` (the request's session, which is about to roll back), the event is written
    in a transaction of its own **when that session's transaction ends** — after its rollback
    has released its locks. Pass it whenever the request may already have written: on SQLite a
    second connection cannot write while the first holds the write lock ("database is locked").
    Without ``session`` the event is committed at once and returned.
    ``details`` are the keyword arguments of :func:`record`.
    """
    who = actor or (bound_actor(session) if session is not None else None)
    if session is None or session.get_transaction() is None:
        with factory() as own, own.begin():
            return record(own, actor=who, **details)
    queued: list[tuple[Callable[[], Session], Actor | None, dict[str, Any]]] = (
        session.info.setdefault(SURVIVING_KEY, [])
    )
    if not event.contains(session, "after_soft_rollback", _write_surviving):
        event.listen(session, "after_soft_rollback", _write_surviving)
        event.listen(session, "after_commit", _write_surviving)
    queued.append((factory, who, details))
    return None


SURVIVING_KEY = "audit_surviving"


def _write_surviving(session: Session, previous: SessionTransaction | None = None) -> None:
    if previous is not None and previous.parent is not None:
        return  # a savepoint: wait for the real end of the transaction
    for factory, who, details in session.info.pop(SURVIVING_KEY, []):
        with factory() as own, own.begin():
            record(own, actor=who, **details)
