"""Signed checkpoints: every N events or M minutes, "event X had hash H", signed with Ed25519.

A checkpoint is a row in ``audit_checkpoints`` *and* a line in the sink (a JSONL file the
operator can place on other storage, and optionally a command that receives each line on
stdin, e.g. to ship it to a remote syslog). Verification reads both, so deleting the tail of
the log together with its checkpoint rows is still caught by the copy in the sink.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import event, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from eduguard.audit import keys, service
from eduguard.audit.chain import format_time
from eduguard.audit.models import AuditCheckpoint, AuditEvent
from eduguard.config import Settings
from eduguard.db.base import utcnow

EXPORT_KEY = "audit_checkpoint_exports"
KINDS = ("checkpoint", "purge")


@dataclass(frozen=True)
class CheckpointPolicy:
    keys_dir: Path
    every_events: int = 10_000
    every_minutes: int = 60
    sink: Path | None = None
    command: str | None = None
    interval_seconds: int = 60  # the tail is signed this often when there are new events

    @classmethod
    def from_settings(cls, settings: Settings) -> CheckpointPolicy:
        return cls(
            keys_dir=settings.keys_dir,
            every_events=settings.audit_checkpoint_events,
            every_minutes=settings.audit_checkpoint_minutes,
            sink=settings.audit_checkpoint_sink_path,
            command=settings.audit_checkpoint_command,
            interval_seconds=settings.audit_checkpoint_seconds,
        )


def signed_payload(row: dict[str, Any]) -> bytes:
    """The bytes a checkpoint's signature covers (sorted-key compact JSON)."""
    content = {
        "kind": row["kind"],
        "last_event_id": int(row["last_event_id"]),
        "last_hash": row["last_hash"],
        "event_count": int(row["event_count"]),
        "created_at": row["created_at"]
        if isinstance(row["created_at"], str)
        else format_time(row["created_at"]),
        "key_id": row["key_id"],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def signature_ok(public: Ed25519PublicKey, row: dict[str, Any]) -> bool:
    try:
        public.verify(bytes.fromhex(row["signature"]), signed_payload(row))
    except (InvalidSignature, ValueError):
        return False
    return True


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint as stored in the sink: plain JSON values, time in canonical form."""
    out = {key: row[key] for key in ("kind", "last_event_id", "last_hash", "event_count")}
    out["created_at"] = (
        row["created_at"] if isinstance(row["created_at"], str) else format_time(row["created_at"])
    )
    out["key_id"] = row["key_id"]
    out["signature"] = row["signature"]
    return out


def write_checkpoint(
    session: Session,
    connection: Connection,
    policy: CheckpointPolicy,
    *,
    last_event_id: int,
    last_hash: str,
    kind: str = "checkpoint",
) -> dict[str, Any]:
    """Sign and insert a checkpoint in the current transaction; export it after commit."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    private = keys.signing_key(policy.keys_dir)
    row: dict[str, Any] = {
        "kind": kind,
        "last_event_id": last_event_id,
        "last_hash": last_hash,
        "event_count": last_event_id,  # ids are contiguous from 1: the id is the count
        "created_at": utcnow(),
        "key_id": keys.key_id(private.public_key()),
    }
    row["signature"] = private.sign(signed_payload(row)).hex()
    connection.execute(insert(AuditCheckpoint), [row])
    _queue_export(session, policy, as_json(row))
    return row


def _queue_export(session: Session, policy: CheckpointPolicy, line: dict[str, Any]) -> None:
    if policy.sink is None and policy.command is None:
        return
    queued: list[tuple[CheckpointPolicy, dict[str, Any]]] = session.info.setdefault(EXPORT_KEY, [])
    if not queued and not event.contains(session, "after_commit", _export_after_commit):
        event.listen(session, "after_commit", _export_after_commit)
        event.listen(session, "after_rollback", _drop_exports)
    queued.append((policy, line))


def _drop_exports(session: Session) -> None:
    session.info.pop(EXPORT_KEY, None)


def _export_after_commit(session: Session) -> None:
    # After commit: a checkpoint of a rolled-back transaction must never reach the sink.
    for policy, line in session.info.pop(EXPORT_KEY, []):
        export_line(policy, line)


def export_line(policy: CheckpointPolicy, line: dict[str, Any]) -> None:
    text_line = json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n"
    if policy.sink is not None:
        append_private(policy.sink, text_line)
    if policy.command:
        subprocess.run(  # noqa: S603 - the operator's own configured command, no shell
            shlex.split(policy.command), input=text_line.encode(), timeout=30, check=False
        )


def append_private(path: Path, text_line: str) -> None:
    """Append to a file readable by the service account only (0600, like the keys): the
    checkpoints say how much was logged and when. A file left wider by an older version is
    narrowed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        if stat.S_IMODE(os.fstat(descriptor).st_mode) & 0o077:
            os.fchmod(descriptor, 0o600)
        handle.write(text_line)


def read_sink(path: Path | None) -> list[dict[str, Any]]:
    """Checkpoints exported to the sink file (unparseable lines are reported by verify)."""
    if path is None or not path.exists():
        return []
    lines: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                parsed = json.loads(line)
            except json.JSONDecodeError:
                parsed = {"invalid_line": number}
            lines.append(parsed if isinstance(parsed, dict) else {"invalid_line": number})
    return lines


def last_checkpoint(connection: Connection) -> tuple[int, datetime] | None:
    row = connection.execute(
        select(AuditCheckpoint.last_event_id, AuditCheckpoint.created_at)
        .order_by(AuditCheckpoint.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), row[1])


def is_due(connection: Connection, policy: CheckpointPolicy, last_event_id: int) -> bool:
    previous = last_checkpoint(connection)
    if previous is None:
        first = connection.execute(select(AuditEvent.time).order_by(AuditEvent.id).limit(1))
        previous = (0, first.scalar_one_or_none() or utcnow())
    previous_id, previous_time = previous
    if last_event_id <= previous_id:
        return False
    if last_event_id - previous_id >= policy.every_events:
        return True
    if previous_time.tzinfo is None:  # SQLite hands back naive UTC
        previous_time = previous_time.replace(tzinfo=utcnow().tzinfo)
    return utcnow() - previous_time >= timedelta(minutes=policy.every_minutes)


def automatic(policy: CheckpointPolicy) -> service.AfterAppend:
    """The after-append hook: a checkpoint when N events or M minutes have passed."""

    def hook(session: Session, connection: Connection, events: list[service.EventRecord]) -> None:
        last = events[-1]
        if is_due(connection, policy, last.id):
            write_checkpoint(
                session, connection, policy, last_event_id=last.id, last_hash=last.hash
            )

    return hook


def checkpoint_now(session: Session, policy: CheckpointPolicy) -> dict[str, Any] | None:
    """An explicit checkpoint of the current head (``eduguard audit checkpoint``, cron)."""
    connection = session.connection()
    service.lock_chain(connection)
    last_id, last_hash = service.chain_head(connection)
    if last_id == 0:
        return None
    previous = last_checkpoint(connection)
    if previous is not None and previous[0] == last_id:
        return None
    return write_checkpoint(session, connection, policy, last_event_id=last_id, last_hash=last_hash)
