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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def read_only_bind(engine: Engine) -> Engine:
    """``engine`` for read-only transactions: on SQLite they begin deferred, take no write
    lock, and must not write (a write there can fail under concurrency). Bind a session of the
    usual factory to it: ``factory(bind=read_only_bind(engine))``."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def is_read_only(session: Session) -> bool:
    bind = session.get_bind()
    return bool(isinstance(bind, Engine) and bind.get_execution_options().get(READ_ONLY_OPTION))


def make_engine(url: str) -> Engine:
    url = _normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None hands transaction control to SQLAlchemy (the pysqlite recipe), so
        # SAVEPOINTs work and a failed statement inside one rolls back only that savepoint.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "isolation_level": None}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
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
