"""Rotation and migration: many short transactions, each audited (key ids and field names only).

Readers keep working throughout: every value names the data key that encrypted it, and no data
key is deleted — a rotation moves values to the new key, then marks the old one retired.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.crypto import MasterKey, write_key_file
from eduguard.db.engine import transaction
from eduguard.errors import Conflict
from eduguard.keys import service
from eduguard.keys.keyring import Keyring
from eduguard.keys.models import KeyState

MAX_PASSES = 10  # a pass leaves a value only when a writer changed it meanwhile
Progress = Callable[[str, int], None]  # column name, values rewritten in the batch


@dataclass(frozen=True)
class RotationResult:
    target: str
    resumed: bool
    rewritten: int
    retired: list[str]


@contextlib.contextmanager
def _begin(factory: sessionmaker[Session], actor: Actor | None) -> Iterator[Session]:
    with transaction(factory) as session:
        if actor is not None:
            audit_service.bind_actor(session, actor)
        yield session


def _reencrypt(
    factory: sessionmaker[Session],
    keyring: Keyring,
    target: str,
    *,
    only_legacy: bool,
    batch_size: int,
    actor: Actor | None,
    progress: Progress | None,
) -> int:
    """One pass over every sealed column; each batch commits on its own."""
    total = 0
    for table, spec in service.sealed_fields():
        after = 0
        while True:
            with _begin(factory, actor) as session:
                batch = service.reencrypt_batch(
                    session,
                    keyring,
                    table,
                    spec,
                    target=target,
                    only_legacy=only_legacy,
                    after_id=after,
                    limit=batch_size,
                )
                if batch.rewritten:
                    audit_service.record(
                        session,
                        action="keys.reencrypt",
                        object_type=spec.table,
                        object_id=target,
                        fields=[spec.column],
                        row_count=batch.rewritten,
                    )
            if batch.scanned == 0:
                break
            after, total = batch.last_id, total + batch.rewritten
            if progress is not None:
                progress(spec.name, batch.rewritten)
    return total


def migrate(
    factory: sessionmaker[Session],
    keyring: Keyring,
    *,
    batch_size: int = service.DEFAULT_BATCH,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> int:
    """Encrypt values stored before envelope encryption (plaintext contacts, ``sm4gcm:v1:``
    secrets) with the active data key, made if missing. Returns how many were rewritten."""
    with _begin(factory, actor) as session:
        keyring.check_master(session)
        target = keyring.active_key(session)
    rewritten = _reencrypt(
        factory,
        keyring,
        target,
        only_legacy=True,
        batch_size=batch_size,
        actor=actor,
        progress=progress,
    )
    if rewritten:
        with _begin(factory, actor) as session:
            audit_service.record(
                session,
                action="keys.migrate",
                object_type="data_key",
                object_id=target,
                row_count=rewritten,
            )
    return rewritten


def rotate_data_key(
    factory: sessionmaker[Session],
    keyring: Keyring,
    *,
    batch_size: int = service.DEFAULT_BATCH,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> RotationResult:
    """Make a new active data key and move every value to it, batch by batch; then retire the
    old keys. Interrupted, it resumes where it stopped (the retiring keys say a rotation is on)."""
    with _begin(factory, actor) as session:
        keyring.check_master(session)  # a wrong master key stops here, nothing changed
        resumed = bool(service.key_ids(session, KeyState.retiring))
        if resumed:
            target = keyring.active_key(session)
        else:
            old = service.key_ids(session, KeyState.active)
            target = keyring.create_key(session)
            service.set_state(session, old, KeyState.retiring)
            audit_service.record(
                session,
                action="keys.rotate.start",
                object_type="data_key",
                object_id=target,
                fields=["state"],
                row_count=len(old),
            )
    rewritten = 0
    for _pass in range(MAX_PASSES):
        rewritten += _reencrypt(
            factory,
            keyring,
            target,
            only_legacy=False,
            batch_size=batch_size,
            actor=actor,
            progress=progress,
        )
        with _begin(factory, actor) as session:
            if service.remaining(session, target):
                continue  # a writer that began before the new key used an old one: again
            retired = service.key_ids(session, KeyState.retiring)
            service.set_state(session, retired, KeyState.retired)
            audit_service.record(
                session,
                action="keys.rotate.finish",
                object_type="data_key",
                object_id=target,
                fields=["state"],
                row_count=rewritten,
            )
        return RotationResult(target, resumed, rewritten, retired)
    raise Conflict(
        "rotation_unfinished",
        "仍有字段被并发修改、未能改用新数据密钥；请稍后再次运行 eduguard keys rotate 继续",
        "values keep changing under the old data key; run eduguard keys rotate again later",
    )


@dataclass(frozen=True)
class MasterRotation:
    rewrapped: int
    old_fingerprint: str
    new_fingerprint: str
    installed: Path | None  # the master key file now holding the new key; None: set it yourself


def rotate_master(
    factory: sessionmaker[Session],
    keyring: Keyring,
    new_master: MasterKey,
    *,
    actor: Actor | None = None,
) -> MasterRotation:
    """Rewrap every data key under ``new_master`` in one transaction; field values stay as they
    are. With a file master key, the new key is written to ``master.key.next`` before the commit
    (readers try it if they meet a key wrapped by it) and renamed over ``master.key`` after."""
    migrate(factory, keyring, actor=actor)  # v1 values depend on the old key itself
    source = keyring.source
    old = keyring.master
    pending = source.pending_path if source.from_file else None
    try:
        with _begin(factory, actor) as session:
            keyring.check_master(session)
            count = service.rewrap_all(session, keyring, new_master)
            audit_service.record(
                session,
                action="keys.rotate_master",
                object_type="data_key",
                fields=["master_fingerprint", "wrapped_key"],
                row_count=count,
            )
            if pending is not None:
                write_key_file(pending, new_master.key.hex(), replace=True)
    except BaseException:
        if pending is not None:
            pending.unlink(missing_ok=True)
        raise
    installed = None
    if pending is not None:
        legacy = source.active_file() == source.legacy_path
        pending.replace(source.file_path)
        if legacy:  # an old install's field.key was the master; it protects nothing now
            source.legacy_path.unlink(missing_ok=True)
        installed = source.file_path
    keyring.reload_master()
    return MasterRotation(count, old.fingerprint, new_master.fingerprint, installed)
