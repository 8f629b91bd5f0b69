"""The fast path of ``verify``: the check loop in C, id ranges in parallel.

The C extensions (built with the package; libgcrypt's SM3) read each event, serialise it in its
chain format exactly as ``chain`` does, hash it and check ids, links, content and signed
checkpoints — no Python per event. ``_chaincheck`` reads SQLite through its C API (the system
library, the one Python's ``sqlite3`` uses); ``_chaincheck_pg`` reads PostgreSQL's binary COPY
through libpq and parses it in place.

A long log is split into id ranges verified in parallel: on threads (the C loop releases the
GIL), or in child processes where a second copy of SQLite would make threads unsafe. A range
reports only whether it is clean, with its first and last ids and hashes; the parent checks
the links between ranges, and at the first
range that is not clean ``verify`` runs the exact row-by-row checker from the last verified
event, so the problem named is the same whichever path found it. The C loop never calls an
event good that the row checker would call bad: a value it does not expect makes the range
not clean.

Without the compiled module for the database (no C compiler or headers at install time)
``source_for`` returns None and ``verify`` checks row by row.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the worker processes never import SQLAlchemy
    from sqlalchemy.engine import URL

from eduguard.audit.chain import CANONICAL_KEYS, COLUMNS, INTEGER_KEYS, TIME_KEY

_MODULES = {"sqlite": "eduguard.audit._chaincheck", "postgresql": "eduguard.audit._chaincheck_pg"}
# Per canonical key: s = text, i = integer, t = time.
KINDS = "".join(
    "t" if key == TIME_KEY else "i" if key in INTEGER_KEYS else "s" for key in CANONICAL_KEYS
)
_SLOTS = ", ".join(COLUMNS[key] for key in CANONICAL_KEYS)
# Constants only; the id bounds are bound parameters.
SQLITE_SQL = (
    f"SELECT hash, chain_format, {_SLOTS} FROM audit_events "  # noqa: S608
    "WHERE id > ?1 AND id <= ?2 ORDER BY id"
)
# Walk the primary key in order: without fresh statistics the planner may choose a bitmap scan
# and sort the whole range (measured 3x slower server-side).
# Constants only; the bounds are formatted in as integers.
_COPY_SQL = (
    "SET enable_sort = off; SET enable_bitmapscan = off; "  # noqa: S608
    f"COPY (SELECT {_SLOTS}, hash, chain_format FROM audit_events "
    "WHERE id > {after} AND id <= {upto} ORDER BY id) TO STDOUT (FORMAT binary)"
)
# Below this many events the row checker takes well under a second: no workers.
FAST_THRESHOLD = 10_000
RANGES_PER_WORKER = 4


@dataclass(frozen=True)
class Source:
    """Where a worker process reads from: the dialect and a file path or libpq string."""

    dialect: str
    target: str


@dataclass(frozen=True)
class RangeResult:
    count: int  # events verified, from the range's first
    first_id: int | None
    first_prev: str | None
    last_id: int | None  # the last verified event
    last_hash: str | None
    bad: bool  # the range is not clean after ``count`` events


def available(dialect: str = "sqlite") -> bool:
    """Whether the compiled loop for ``dialect`` was built with this install."""
    module = _MODULES.get(dialect)
    return module is not None and importlib.util.find_spec(module) is not None


def source_for(url: URL) -> Source | None:
    """A source the fast path can read, or None (then ``verify`` uses the row-by-row path)."""
    dialect = url.get_backend_name()
    if not available(dialect):
        return None
    if dialect == "sqlite":
        database = url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Source(dialect, database)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return Source(dialect, libpq)


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def split(after_id: int, last_id: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` id ranges (after, upto] covering (after_id, last_id]."""
    span = last_id - after_id
    parts = max(1, min(parts, span))
    bounds = [after_id + span * k // parts for k in range(parts + 1)]
    return [(bounds[k], bounds[k + 1]) for k in range(parts)]


def verify_ranges(
    source: Source,
    ranges: list[tuple[int, int]],
    starts: list[tuple[int, str | None]],
    signed: dict[int, str],
    *,
    workers: int | None = None,
    processes: bool | None = None,
) -> list[RangeResult] | None:
    """Verify each range (after, upto] given its (expected first id, previous hash or None)
    on ``workers`` threads (the C loop releases the GIL; default one per range) or, where
    threads are not safe, one child process per range; None when a range could not be read
    (the caller then checks row by row).

    Threads are not safe for SQLite when this module's SQLite is another copy than the one
    Python's ``sqlite3`` uses: two copies in one process break each other's POSIX locks
    (sqlite.org/howtocorrupt.html, 2.2.1). ``processes`` forces the choice (tests use both).
    """
    jobs = [
        (after, upto, expected, previous)
        for (after, upto), (expected, previous) in zip(ranges, starts, strict=True)
    ]
    checkpoints = sorted(signed.items())
    if processes is None:
        processes = source.dialect == "sqlite" and not shares_sqlite()
    if processes:  # one process per worker: neighbouring ranges merged
        count = max(1, min(workers or len(jobs), len(jobs)))
        groups = [jobs[len(jobs) * k // count : len(jobs) * (k + 1) // count] for k in range(count)]
        merged = [(group[0][0], group[-1][1], group[0][2], group[0][3]) for group in groups]
        return _in_processes(source, merged, checkpoints)
    with ThreadPoolExecutor(max_workers=workers or len(jobs)) as pool:
        futures = [pool.submit(verify_range, source, *job, checkpoints) for job in jobs]
        try:
            return [future.result() for future in futures]
        except Exception:  # a driver error: the row path will say what is wrong
            return None


def shares_sqlite() -> bool:
    """Whether the C loop and Python's ``sqlite3`` use one copy of SQLite in this process."""
    import _sqlite3

    from eduguard.audit import _chaincheck

    try:
        theirs = ctypes.CDLL(_sqlite3.__file__).sqlite3_libversion
    except (AttributeError, OSError):  # SQLite linked into _sqlite3 and not exported
        return False
    return ctypes.cast(theirs, ctypes.c_void_p).value == _chaincheck.sqlite_address()


def _in_processes(
    source: Source,
    jobs: list[tuple[int, int, int, str | None]],
    checkpoints: list[tuple[int, str]],
) -> list[RangeResult] | None:
    """One child process per job: plain ``python -m eduguard.audit.fastverify`` fed JSON on
    stdin (the connection string never appears in a process list)."""
    children = []
    for after, upto, expected, previous in jobs:
        job = {
            "dialect": source.dialect,
            "target": source.target,
            "after": after,
            "upto": upto,
            "expected": expected,
            "previous": previous,
            "signed": checkpoints,
        }
        child = subprocess.Popen(  # noqa: S603 - our own module, JSON on stdin
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert child.stdin is not None
        child.stdin.write(json.dumps(job).encode())
        child.stdin.close()
        children.append(child)
    results: list[RangeResult] = []
    failed = False
    for child in children:
        assert child.stdout is not None
        output = child.stdout.read()
        child.stdout.close()
        if child.wait() != 0 or failed:
            failed = True
            continue
        results.append(RangeResult(**json.loads(output)))
    return None if failed else results


def _worker() -> None:
    job = json.loads(sys.stdin.buffer.read())
    outcome = verify_range(
        Source(job["dialect"], job["target"]),
        job["after"],
        job["upto"],
        job["expected"],
        job["previous"],
        [(int(key), str(value)) for key, value in job["signed"]],
    )
    sys.stdout.write(json.dumps(asdict(outcome)))


def verify_range(
    source: Source,
    after_id: int,
    upto: int,
    expected: int,
    previous: str | None,
    signed: list[tuple[int, str]],
) -> RangeResult:
    """Check the events with after_id < id <= upto, in this process."""
    if source.dialect == "sqlite":
        from eduguard.audit import _chaincheck

        return RangeResult(
            *_chaincheck.scan_sqlite(
                source.target,
                SQLITE_SQL,
                CANONICAL_KEYS,
                KINDS,
                after_id,
                upto,
                expected,
                previous,
                signed,
            )
        )
    from eduguard.audit import _chaincheck_pg

    return RangeResult(
        *_chaincheck_pg.scan_postgres(
            source.target,
            _COPY_SQL.format(after=int(after_id), upto=int(upto)),
            CANONICAL_KEYS,
            KINDS,
            expected,
            previous,
            signed,
        )
    )


if __name__ == "__main__":
    _worker()
