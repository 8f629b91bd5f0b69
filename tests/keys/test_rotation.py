"""``keys rotate``: a new data key moves every value in batches while readers keep reading; an
interrupted rotation resumes; a new master key rewraps the data keys and nothing else."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit.models import AuditEvent
from eduguard.crypto import MasterKeySource, new_key_hex, parse_key_hex
from eduguard.db.engine import make_session_factory
from eduguard.keys import flows, service
from eduguard.keys.keyring import Keyring, token_key_id
from eduguard.keys.models import DataKey, KeyState

from .conftest import check_readable, factory_with, plant, raw_values


def _key_ids(engine: Engine) -> set[str | None]:
    return {token_key_id(value) for value in raw_values(engine)}


def _states(factory: sessionmaker[Session]) -> dict[str, KeyState]:
    with factory() as session:
        return {key.id: key.state for key in session.scalars(select(DataKey))}


def test_rotation_moves_every_value_while_readers_keep_reading(
    audited_factory: sessionmaker[Session], engine: Engine, keyring: Keyring, tmp_path: Path
) -> None:
    planted = plant(audited_factory, units=12, users=3)
    (old,) = _key_ids(engine)
    # A reader in another "process" (its own keyring and sessions) reads throughout.
    reader = factory_with(engine, Keyring(MasterKeySource(tmp_path / "home" / "keys")))
    stop, reads, failures = threading.Event(), [0], []

    def read() -> None:
        while not stop.is_set():
            try:
                check_readable(reader, planted)
                reads[0] += 1
            except Exception as exc:  # pragma: no cover - reported below
                failures.append(repr(exc))
                return

    batches: list[int] = []

    def after_batch(_column: str, count: int) -> None:
        """Let the reader finish a full read between batches (it also reads during them)."""
        batches.append(count)
        seen = reads[0]
        for _ in range(2000):
            if reads[0] > seen or failures:
                return
            stop.wait(0.005)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        result = flows.rotate_data_key(
            audited_factory,
            keyring,
            batch_size=4,
            progress=after_batch,
        )
        # A few more reads after the rotation finished.
        target_reads = reads[0] + 2
        while reads[0] < target_reads and not failures:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert reads[0] > len(batches)  # the reader read between every two batches
    assert not result.resumed and result.target != old and result.retired == [old]
    assert result.rewritten == 12 * 3 + 3 + 1
    assert len(batches) >= 10  # 36 contacts in batches of 4, and the others
    assert _key_ids(engine) == {result.target}
    assert _states(audited_factory) == {old: KeyState.retired, result.target: KeyState.active}
    check_readable(audited_factory, planted)
    with audited_factory() as session:
        status = service.status(session)
        events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("keys.%"))).all()
    assert {k.id: k.fields for k in status.keys} == {old: 0, result.target: 40}
    actions = [e.action for e in events]
    assert actions[0] == "keys.rotate.start" and actions[-1] == "keys.rotate.finish"
    assert actions.count("keys.reencrypt") == len(batches)
    text_of_events = " ".join(
        f"{e.object_type} {e.object_id} {e.fields} {e.reason}" for e in events
    )
    assert not any(value in text_of_events for value in planted.secrets())


def test_an_interrupted_rotation_resumes(
    audited_factory: sessionmaker[Session], engine: Engine, keyring: Keyring
) -> None:
    planted = plant(audited_factory, units=6, users=1)
    (old,) = _key_ids(engine)
    done: list[int] = []

    def crash_after_two(_column: str, count: int) -> None:
        done.append(count)
        if len(done) == 2:
            raise KeyboardInterrupt  # the operator pressed Ctrl+C

    with pytest.raises(KeyboardInterrupt):
        flows.rotate_data_key(audited_factory, keyring, batch_size=3, progress=crash_after_two)
    states = _states(audited_factory)
    (new,) = (key for key, state in states.items() if state == KeyState.active)
    assert states[old] == KeyState.retiring
    assert _key_ids(engine) == {old, new}  # half done: both keys in use, all readable
    check_readable(audited_factory, planted)
    with audited_factory() as session:
        assert service.status(session).rotating
    result = flows.rotate_data_key(audited_factory, keyring, batch_size=3)
    assert result.resumed and result.target == new
    assert result.rewritten == 6 * 3 + 1 + 1 - 6  # two batches of three were already done
    assert _key_ids(engine) == {new}
    assert _states(audited_factory) == {old: KeyState.retired, new: KeyState.active}
    check_readable(audited_factory, planted)
    again = flows.rotate_data_key(audited_factory, keyring, batch_size=50)
    assert not again.resumed and again.retired == [new]


def test_master_rotation_rewraps_data_keys_only(
    audited_factory: sessionmaker[Session], engine: Engine, keyring: Keyring, tmp_path: Path
) -> None:
    planted = plant(audited_factory, units=2, users=1)
    keys_dir = tmp_path / "home" / "keys"
    running = Keyring(MasterKeySource(keys_dir))  # another process, keys already in memory
    check_readable(factory_with(engine, running), planted)
    old_fingerprint = keyring.master.fingerprint
    before = raw_values(engine)
    new = parse_key_hex(new_key_hex(), "test")
    # Processes starting throughout the rotation (a fresh keyring each) read correctly.
    stop, reads, failures = threading.Event(), [0], []

    def starting_processes() -> None:
        while not stop.is_set():
            try:
                fresh = Keyring(MasterKeySource(keys_dir))
                check_readable(make_session_factory(engine, fresh), planted)
                reads[0] += 1
            except Exception as exc:  # pragma: no cover - reported below
                failures.append(repr(exc))
                return

    thread = threading.Thread(target=starting_processes)
    thread.start()
    try:
        while reads[0] < 2 and not failures:
            stop.wait(0.01)
        result = flows.rotate_master(audited_factory, keyring, new)
        seen = reads[0]
        while reads[0] < seen + 2 and not failures:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert result.rewrapped == 1 and result.installed == keys_dir / "master.key"
    assert (keys_dir / "master.key").read_text().strip() == new.key.hex()
    assert (keys_dir / "master.key").stat().st_mode & 0o077 == 0
    assert not (keys_dir / "master.key.next").exists()
    assert raw_values(engine) == before  # field values untouched
    with audited_factory() as session:
        (key,) = session.scalars(select(DataKey)).all()
        assert key.master_fingerprint == new.fingerprint != old_fingerprint
    check_readable(audited_factory, planted)
    check_readable(factory_with(engine, running), planted)  # still works: cached data key
    fresh = Keyring(MasterKeySource(keys_dir))  # a process started now reads the new file
    check_readable(factory_with(engine, fresh), planted)
    # A data key made after the master rotation: the old process re-reads the key file.
    flows.rotate_data_key(audited_factory, keyring)
    check_readable(factory_with(engine, running), planted)


def test_a_crash_between_commit_and_installing_the_master_loses_nothing(
    audited_factory: sessionmaker[Session], engine: Engine, keyring: Keyring, tmp_path: Path
) -> None:
    """The new key is in master.key.next before the commit; readers find it there."""
    planted = plant(audited_factory, units=1, users=1)
    keys_dir = tmp_path / "home" / "keys"
    new = parse_key_hex(new_key_hex(), "test")
    flows.rotate_master(audited_factory, keyring, new)
    # Undo only the rename, as if the process died right after the commit.
    (keys_dir / "master.key").rename(keys_dir / "master.key.next")
    (keys_dir / "master.key").write_text(new_key_hex())  # stands for the old key
    check_readable(factory_with(engine, Keyring(MasterKeySource(keys_dir))), planted)
