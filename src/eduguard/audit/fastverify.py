"""The fast path of ``verify``: the check loop in C, id ranges in parallel processes.

``_chaincheck`` (C, built with the package; OpenSSL's SM3) reads each event, serialises it in
its chain format exactly as ``chain`` does, hashes it and checks ids, links, content and signed
checkpoints — no Python per event. SQLite rows come straight from SQLite's C API (the system
library, the one Python's ``sqlite3`` uses); PostgreSQL rows come as Arrow record batches from
its binary COPY (ADBC), whose buffers the C loop walks in place.

A long log is split into id ranges verified in parallel: on threads (the C loop releases the
GIL), or in child processes where a second copy of SQLite would make threads unsafe. A range
reports only whether it is clean, with its
first and last ids and hashes; the parent checks the links between ranges, and at the first
range that is not clean ``verify`` runs the exact row-by-row checker from the last verified
event, so the problem named is the same whichever path found it. The C loop never calls an
event good that the row checker would call bad: a value it does not expect makes the range
not clean.

Without the compiled module (no C compiler at install time) ``source_for`` returns None and
``verify`` checks row by row.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the worker processes never import SQLAlchemy
    import pyarrow as pa
    from sqlalchemy.engine import URL

from eduguard.audit.chain import CANONICAL_KEYS, COLUMNS

_MODULE = "eduguard.audit._chaincheck"
_INT_KEYS = {"id", "row_count", "unit_id", "user_id"}
# Per canonical key: s = text, i = integer, t = time.
KINDS = "".join("t" if k == "time" else "i" if k in _INT_KEYS else "s" for k in CANONICAL_KEYS)
_SLOTS = ", ".join(COLUMNS[key] for key in CANONICAL_KEYS)
# Constants only; the id bounds are bound parameters (SQLite) or formatted integers (ADBC).
SQLITE_SQL = (
    f"SELECT hash, chain_format, {_SLOTS} FROM audit_events "  # noqa: S608
    "WHERE id > ?1 AND id <= ?2 ORDER BY id"
)
_ARROW_SQL = (
    f"SELECT {_SLOTS}, id, prev_hash, hash, chain_format FROM audit_events "  # noqa: S608
    "WHERE id > {after} AND id <= {upto} ORDER BY id"
)
# Below this many events the row-batch path in this process is as quick as starting workers.
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


def available() -> bool:
    return importlib.util.find_spec(_MODULE) is not None


def source_for(url: URL) -> Source | None:
    """A source the fast path can read, or None (then ``verify`` uses the row-by-row path)."""
    if not available():
        return None
    dialect = url.get_backend_name()
    if dialect == "sqlite":
        database = url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Source(dialect, database)
    if dialect != "postgresql" or importlib.util.find_spec("adbc_driver_postgresql") is None:
        return None
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
    """One child process per range: plain ``python -m eduguard.audit.fastverify`` fed JSON on
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
    from eduguard.audit import _chaincheck

    if source.dialect == "sqlite":
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
    count = 0
    first_id: int | None = None
    first_prev: str | None = None
    last_id: int | None = None
    last_hash: str | None = None
    for batch in _arrow_batches(source, after_id, upto):
        done, first, prev, last, digest, bad = _chaincheck.scan_arrow(
            CANONICAL_KEYS, KINDS, batch.num_rows, _specs(batch), expected, previous, signed
        )
        if first_id is None:
            first_id, first_prev = first, prev
        if done:
            count += done
            expected += done
            previous = last_hash = digest
            last_id = last
        if bad:
            return RangeResult(count, first_id, first_prev, last_id, last_hash, True)
    return RangeResult(count, first_id, first_prev, last_id, last_hash, False)


def _specs(batch: pa.RecordBatch) -> list[tuple[Any, Any, Any, int]]:
    """(validity, offsets, data, offset) of each column, in the layouts the C loop reads:
    large strings (64-bit offsets) and 64-bit integers (times: microseconds since the epoch)."""
    import pyarrow as pa

    specs = []
    for position in range(batch.num_columns):
        column = batch.column(position)
        # The canonical slots, then id, prev_hash, hash and chain_format.
        kind = (KINDS + "issi")[position]
        if kind == "s":
            column = column.cast(pa.large_string())
            validity, offsets, data = column.buffers()[:3]
        else:
            if kind == "t":
                column = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
            else:
                column = column.cast(pa.int64())
            validity, data = column.buffers()[:2]
            offsets = None
        specs.append((validity, offsets, data if data is not None else b"", column.offset))
    return specs


def _arrow_batches(source: Source, after_id: int, upto: int) -> Iterator[pa.RecordBatch]:
    """Record batches of the rows with after_id < id <= upto, in id order, from PostgreSQL's
    binary COPY (ADBC's low-level API: its DB-API module would import pandas)."""
    import adbc_driver_manager as adbc
    import adbc_driver_postgresql
    import pyarrow as pa

    database = adbc_driver_postgresql.connect(source.target)
    with (
        database,
        adbc.AdbcConnection(database) as connection,
        adbc.AdbcStatement(connection) as statement,
    ):
        # Walk the primary key in order: without fresh statistics the planner may choose a
        # bitmap scan and sort the whole range (measured 3x slower server-side).
        for setting in ("SET enable_sort = off", "SET enable_bitmapscan = off"):
            statement.set_sql_query(setting)
            statement.execute_update()
        statement.set_sql_query(_ARROW_SQL.format(after=int(after_id), upto=int(upto)))
        stream, _ = statement.execute_query()
        yield from pa.RecordBatchReader._import_from_c(stream.address)


if __name__ == "__main__":
    _worker()
