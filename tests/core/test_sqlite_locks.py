"""Issue #13 item 3, the locking rules on SQLite: a writing transaction takes the write lock at
BEGIN (IMMEDIATE), so it never fails half-way on a stale snapshot; a read-only one takes none,
so a long read (a GET, ``audit verify``) never holds up the writers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from eduguard.db.engine import make_engine, make_session_factory, read_only_bind


def test_writers_lock_at_begin_and_readers_not_at_all(tmp_path: Path) -> None:
    database = tmp_path / "locks.db"
    engine = make_engine(f"sqlite:///{database}")
    factory = make_session_factory(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (v INTEGER)"))
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        with factory(bind=read_only_bind(engine)) as reader, reader.begin():
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
            other.execute("BEGIN IMMEDIATE")  # the reader holds no lock a writer needs
            other.execute("INSERT INTO t VALUES (1)")
            other.execute("COMMIT")
        with factory() as writer, writer.begin():
            writer.execute(text("SELECT 1"))  # nothing written yet, the lock is taken already
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        engine.dispose()
