"""Engine and session factory. One transaction per request, command or job: services flush,
the caller of :func:`transaction` commits (or rolls back on any exception).

SQLite has one writer at a time. A transaction that began deferred, read, and then writes must
upgrade its lock; when another connection committed in between, SQLite refuses at once
("database is locked", no busy wait can help). So every transaction begins ``IMMEDIATE`` (it
waits, up to the busy timeout, for the write lock before reading anything) — except those bound
through :func:`read_only_bind`, which begin deferred and must not write: WAL lets them read
while another connection writes. PostgreSQL needs none of this.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from eduguard.db.sealed import KEYRING_KEY, SealingKeyring


def _normalise_url(url: str) -> str:
    """Let users write ``postgresql://`` and get the psycopg 3 driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# How long a writer waits for SQLite's write lock before "database is locked" (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "eduguard_read_only"


PRIVATE_MODE = 0o600
COMPANIONS = ("-wal", "-shm", "-journal")


def _make_private(database: Path) -> None:
    """The database file (created if missing) and its WAL/SHM companions readable and
    writable by the owner only, like the keys. SQLite gives new companions the database
    file's mode; those left by an older version are narrowed here."""
    if not database.exists():
        os.close(os.open(database, os.O_CREAT | os.O_WRONLY, PRIVATE_MODE))
    for path in (database, *(database.with_name(database.name + s) for s in COMPANIONS)):
        try:
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                path.chmod(PRIVATE_MODE)
        except FileNotFoundError:
            continue


def _sqlite_pragmas(database: Path | None) -> Any:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
        if database is not None:
            _make_private(database)

    return connect


def _sqlite_begin(connection: Any) -> None:
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def read_only_bind(engine: Engine) -> Engine:
    """``engine`` for read-only transactions: on SQLite they begin deferred, take no write
    lock, and must not write (a write there can fail under concurrency). Bind a session of the
    usual factory to it: ``factory(bind=read_only_bind(engine))``."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def is_read_only(session: Session) -> bool:
    """Whether ``session`` is bound through :func:`read_only_bind`."""
    bind = session.bind  # not get_bind(): an unbound session is simply not read-only
    return bool(isinstance(bind, Engine) and bind.get_execution_options().get(READ_ONLY_OPTION))


def make_engine(url: str) -> Engine:
    url = _normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = None
        if (
            parsed.database
            and parsed.database != ":memory:"
            and not parsed.database.startswith("file:")
        ):
            database = Path(parsed.database)
            database.parent.mkdir(parents=True, exist_ok=True)
            _make_private(database)
        # isolation_level=None hands transaction control to SQLAlchemy (the pysqlite recipe), so
        # SAVEPOINTs work and a failed statement inside one rolls back only that savepoint.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "isolation_level": None}
        )
        event.listen(engine, "connect", _sqlite_pragmas(database))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(
    engine: Engine, keyring: SealingKeyring | None = None
) -> sessionmaker[Session]:
    """Sessions of ``engine``; with ``keyring`` they read and write sealed (encrypted) columns."""
    info = {KEYRING_KEY: keyring} if keyring is not None else {}
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True, info=info)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits as one unit, or not at all."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
