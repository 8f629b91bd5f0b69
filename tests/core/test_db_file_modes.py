"""Issue #13 item 16 (database half): the embedded database and its WAL/SHM files are readable
by their owner only (0600), like the keys — on a fresh home, whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

import eduguard
from eduguard.db.engine import make_engine

SRC = Path(eduguard.__file__).resolve().parent.parent


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> object:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_fresh_home_keeps_the_database_private(tmp_path: Path, open_umask: object) -> None:
    home = tmp_path / "home"
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "EDUGUARD_HOME": str(home),
        "EDUGUARD_DEMO": "true",
    }
    env.pop("EDUGUARD_DATABASE_URL", None)
    env.pop("EDUGUARD_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "eduguard", "init"], env=env, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    database = home / "eduguard.db"
    assert _mode(database) == 0o600
    # While in use, SQLite's write-ahead log and shared-memory index sit beside it.
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE probe (v TEXT)"))
            connection.execute(text("INSERT INTO probe VALUES ('synthetic')"))
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM probe")).scalar()
            for suffix in ("-wal", "-shm"):
                companion = database.with_name(database.name + suffix)
                assert companion.exists(), suffix
                assert _mode(companion) == 0o600, suffix
    finally:
        engine.dispose()


def test_an_existing_database_is_made_private(tmp_path: Path, open_umask: object) -> None:
    database = tmp_path / "old.db"  # made by an earlier version, under the umask
    database.touch()
    database.chmod(0o644)
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            assert _mode(database) == 0o600
    finally:
        engine.dispose()
