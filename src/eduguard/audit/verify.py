"""Verify the log: the chain, the contiguous ids, and the signed checkpoints.

Reports the **first** bad event and why: edited (its content no longer matches its hash),
deleted (a gap in the contiguous ids), inserted or reordered (its ``prev_hash`` is not the
previous event's hash), rewritten (a re-computed chain that disagrees with a signed checkpoint)
truncated (the log ends before the last signed checkpoint, in the database or the sink) and
checkpoint rows deleted (a checkpoint in the sink that the database no longer has).

Two paths name the same first problem: the row checker here (rows read in id order, in
batches, straight from the driver cursor; the database builds each canonical text, Python
hashes it with OpenSSL) and, for long logs, the C loop of ``fastverify``, which hands over to
the row checker at the first range that is not clean.
"""

from __future__ import annotations

import time as clock
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from eduguard.audit import checkpoints as cp
from eduguard.audit import fastverify, keys
from eduguard.audit.chain import (
    CANONICAL_KEYS,
    COLUMNS,
    GENESIS_HASH,
    INTEGER_KEYS,
    TIME_KEY,
    hash_input,
    sm3_hex,
)
from eduguard.audit.models import AuditCheckpoint

# The database builds each row's canonical JSON (C speed): JSON string quoting by SQLite's
# json_quote / PostgreSQL's to_json, which escape exactly as Python's json module does (", \\,
# \\b \\f \\n \\r \\t, other controls as \\u00xx, non-ASCII kept). Python then only hashes and
# compares. A difference in quoting could only raise a false alarm, never hide a change: the
# bytes are hashed here and compared with the stored chain. tests/audit cover tricky strings.
# SQLite lets anyone with the file store a blob in any column, and json_quote refuses blobs:
# such a cell becomes the bare word blob, which no canonical JSON the writer made contains (its
# strings are quoted), so the event is reported as edited instead of verify failing.
_SQLITE_VALUE = "CASE typeof({0}) WHEN 'blob' THEN 'blob' ELSE json_quote({0}) END"
_TEXT = {
    "sqlite": _SQLITE_VALUE,
    "postgresql": "coalesce(pg_catalog.to_json({0})::text, 'null')",
}
_INT = {"sqlite": _SQLITE_VALUE, "postgresql": "coalesce({0}::text, 'null')"}
_TIME = {
    "sqlite": "'\"' || replace(time, ' ', 'T') || 'Z\"'",
    "postgresql": (
        "'\"' || to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '\"'"
    ),
}
_SOURCES = {
    key: (column, "time" if key == TIME_KEY else "int" if key in INTEGER_KEYS else "text")
    for key, column in COLUMNS.items()
}


def canonical_sql(dialect: str, chain_format: int = 1) -> str:
    """SQL expression producing the canonical text of a row of ``audit_events`` in
    ``chain_format`` (``chain.canonical`` for 1, ``chain.canonical_v2`` for 2)."""
    dialect = dialect if dialect in _TEXT else "postgresql"
    parts: list[str] = []
    for key in CANONICAL_KEYS:
        column, kind = _SOURCES[key]
        if kind == "time":
            value = _TIME[dialect]
        else:
            value = (_TEXT if kind == "text" else _INT)[dialect].format(column)
        if chain_format == 1:
            opening = "," if parts else "{"
            parts.append(f"'{opening}\"{key}\":' || {value}")
        elif key != "prev_hash":
            parts.append(f"'{',' if parts else '[2,'}' || {value}")
    return " || ".join(parts) + (" || '}'" if chain_format == 1 else " || ']'")


def _canonical_case(dialect: str) -> str:
    """The canonical text of each row in its own ``chain_format`` (an unknown one: format 1's
    text, which cannot match a hash made otherwise)."""
    return (
        f"CASE WHEN chain_format = 2 THEN {canonical_sql(dialect, 2)} "
        f"ELSE {canonical_sql(dialect, 1)} END"
    )


@dataclass(frozen=True)
class Problem:
    code: str  # edited | deleted | chain_broken | checkpoint_mismatch | truncated | ...
    event_id: int | None
    message_zh: str
    message_en: str


@dataclass
class VerifyResult:
    ok: bool
    events_checked: int = 0
    first_event_id: int | None = None
    last_event_id: int | None = None
    checkpoints_checked: int = 0
    last_checkpoint_event_id: int | None = None
    problem: Problem | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        return self.events_checked / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "first_event_id": self.first_event_id,
            "last_event_id": self.last_event_id,
            "checkpoints_checked": self.checkpoints_checked,
            "last_checkpoint_event_id": self.last_checkpoint_event_id,
            "problem": None
            if self.problem is None
            else {
                "code": self.problem.code,
                "event_id": self.problem.event_id,
                "message": self.problem.message_zh,
                "message_en": self.problem.message_en,
            },
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }


def _checkpoints(
    connection: Connection, public: Ed25519PublicKey | None, sink: Path | None
) -> tuple[list[dict[str, Any]], Problem | None]:
    stored = [
        dict(row._mapping)
        for row in connection.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id))
    ]
    exported = cp.read_sink(sink)
    rows = [("数据库", row) for row in stored] + [("导出文件", row) for row in exported]
    if rows and public is None:
        return [], Problem(
            "public_key_missing",
            None,
            "找不到审计公钥（keys/audit-signing.pub），无法验证检查点签名",
            "audit public key (keys/audit-signing.pub) not found: cannot check signatures",
        )
    valid = []
    for where, row in rows:
        if "invalid_line" in row or public is None or not cp.signature_ok(public, row):
            line = row.get("invalid_line")
            position = f"第 {line} 行" if line else f"最后事件 {row.get('last_event_id')}"
            return [], Problem(
                "checkpoint_forged",
                row.get("last_event_id"),
                f"{where}中的检查点（{position}）签名无效：检查点被伪造或篡改",
                f"checkpoint in the {'database' if where == '数据库' else 'sink'} "
                f"({position}) has an invalid signature: forged or altered",
            )
        valid.append({**row, "_where": "database" if where == "数据库" else "sink"})
    return valid, None


def _stream(connection: Connection, after_id: int, batch_size: int) -> Iterator[list[Any]]:
    """Batches of (id, prev_hash, hash, chain_format, canonical text), in id order, from the
    driver cursor."""
    dialect = connection.dialect.name
    placeholder = "?" if dialect == "sqlite" else "%s"
    # Only constants and an int are formatted in; the id is a bound parameter.
    sql = (
        f"SELECT id, prev_hash, hash, chain_format, {_canonical_case(dialect)} "  # noqa: S608
        "FROM audit_events "
        f"WHERE id > {placeholder} ORDER BY id LIMIT {int(batch_size)}"
    )
    raw = connection.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        while True:
            cursor.execute(sql, (after_id,))
            rows = cursor.fetchall()
            if not rows:
                return
            yield rows
            after_id = rows[-1][0]
    finally:
        cursor.close()


def _first_difference(left: Sequence[Any], right: Sequence[Any]) -> int | None:
    if left == right:  # the common case, compared in C
        return None
    return next(i for i, (a, b) in enumerate(zip(left, right, strict=True)) if a != b)


def _batch_problem(
    rows: list[Any], expected: int, previous: str, signed: dict[int, str], anchored: bool
) -> Problem | None:
    """The first bad event of a batch, or None. Whole-batch comparisons run in C; only a
    batch with a problem is searched element by element."""
    ids, prevs, hashes, formats, texts = zip(*rows, strict=True)
    count = len(ids)
    candidates: list[tuple[int, int, Problem]] = []
    # Ids are unique and ascending: contiguous exactly when first and last are as expected.
    gap = None
    if ids[0] != expected or ids[-1] != expected + count - 1:
        gap = _first_difference(ids, tuple(range(expected, expected + count)))
    if gap is not None:
        want = expected + gap
        candidates.append((gap, 0, _gap(want, ids[gap], anchored)))
    link = _first_difference(prevs, (previous, *hashes[:-1]))
    if link is not None:
        event_id = ids[link]
        candidates.append(
            (
                link,
                1,
                Problem(
                    "chain_broken",
                    event_id,
                    f"事件 {event_id} 的 prev_hash 与前一事件的哈希不符：其前有事件被插入、删除或调换顺序",
                    f"event {event_id}: prev_hash does not match the previous event's hash "
                    "(an event was inserted, deleted or reordered)",
                ),
            )
        )
    edited = _first_difference(tuple(map(_row_hash, texts, prevs, formats)), hashes)
    if edited is not None:
        event_id = ids[edited]
        candidates.append(
            (
                edited,
                2,
                Problem(
                    "edited",
                    event_id,
                    f"事件 {event_id} 的内容与其哈希不符：记录被修改",
                    f"event {event_id}: content does not match its hash (edited)",
                ),
            )
        )
    for position, event_id in enumerate(ids):
        if event_id in signed and signed[event_id] != hashes[position]:
            candidates.append(
                (
                    position,
                    3,
                    Problem(
                        "checkpoint_mismatch",
                        event_id,
                        f"事件 {event_id} 与已签名检查点记录的哈希不符：此前的事件被改写并重算了哈希链",
                        f"event {event_id} differs from its signed checkpoint: events up to it "
                        "were rewritten and the chain recomputed",
                    ),
                )
            )
            break
    if not candidates:
        return None
    return min(candidates, key=lambda item: (item[0], item[1]))[2]


def _row_hash(text: str | None, prev_hash: str, chain_format: int) -> str | None:
    """The hash a row's content gives in its format; None when nothing can match."""
    if text is None:
        return None
    data = hash_input(text.encode(), prev_hash, chain_format)
    return None if data is None else sm3_hex(data)


def verify(
    connection: Connection,
    *,
    keys_dir: Path,
    sink: Path | None = None,
    batch_size: int = 50_000,
    fast: bool = True,
    workers: int | None = None,
) -> VerifyResult:
    """Check the whole log; stop at the first problem.

    ``fast`` checks a long log with the C loop (``fastverify``) in ``workers`` child processes
    (default: one per core, from ``fastverify.FAST_THRESHOLD`` events on; give ``workers`` to
    use it for any length). Without the compiled module or a reader for the database, or with
    ``fast=False``, rows are checked one batch at a time in this process. Both name the same
    first problem.
    """
    started = clock.perf_counter()
    public = keys.public_key(keys_dir)
    checkpoints, problem = _checkpoints(connection, public, sink)
    result = VerifyResult(ok=False, checkpoints_checked=len(checkpoints))
    if problem is not None:
        result.problem = problem
        result.seconds = clock.perf_counter() - started
        return result
    anchors = [row for row in checkpoints if row["kind"] == "purge"]
    anchor = max(anchors, key=lambda row: int(row["last_event_id"]), default=None)
    after_id = int(anchor["last_event_id"]) if anchor else 0
    previous = str(anchor["last_hash"]) if anchor else GENESIS_HASH
    signed: dict[int, str] = {}
    for row in checkpoints:
        if int(row["last_event_id"]) > after_id:
            signed[int(row["last_event_id"])] = str(row["last_hash"])
    expected = after_id + 1
    source = fastverify.source_for(connection.engine.url) if fast else None
    if source is not None:
        problem, checked, expected, first = _verify_fast(
            connection, source, after_id, previous, signed, anchor is not None, batch_size, workers
        )
    else:
        problem, checked, expected, first = _verify_rows(
            connection, after_id, expected, previous, signed, anchor is not None, batch_size
        )
    result.first_event_id = first
    result.events_checked = checked
    result.last_event_id = expected - 1 if checked else None
    if signed:
        result.last_checkpoint_event_id = max(signed)
    if problem is None and signed and max(signed) > expected - 1:
        problem = Problem(
            "truncated",
            expected,
            f"日志在事件 {expected - 1} 处结束，但已签名检查点覆盖到事件 {max(signed)}："
            f"事件 {expected} 起被删除（日志被截断）",
            f"the log ends at event {expected - 1} but a signed checkpoint covers event "
            f"{max(signed)}: events from {expected} on were deleted (truncated)",
        )
    if problem is None:
        problem = _deleted_checkpoint(connection, checkpoints)
    result.problem = problem
    result.ok = problem is None
    result.seconds = clock.perf_counter() - started
    return result


def _deleted_checkpoint(
    connection: Connection, checkpoints: list[dict[str, Any]]
) -> Problem | None:
    """An exported checkpoint whose row is gone from the database: every sink line is written
    after its row commits, so a missing row was deleted (checkpoint rows are append-only)."""
    stored = set(connection.execute(select(AuditCheckpoint.signature)).scalars())
    for row in checkpoints:
        if row.get("_where") == "sink" and row["signature"] not in stored:
            event_id = int(row["last_event_id"])
            return Problem(
                "checkpoint_deleted",
                event_id,
                f"导出文件中的检查点（最后事件 {event_id}）在数据库中不存在：检查点记录被删除",
                f"the exported checkpoint of event {event_id} is missing from the database: "
                "checkpoint rows were deleted",
            )
    return None


def _verify_rows(
    connection: Connection,
    after_id: int,
    expected: int,
    previous: str,
    signed: dict[int, str],
    anchored: bool,
    batch_size: int,
) -> tuple[Problem | None, int, int, int | None]:
    """Row-batch verification from ``after_id``: (problem, checked, next expected id, first id)."""
    checked = 0
    first: int | None = None
    for rows in _stream(connection, after_id, batch_size):
        if first is None:
            first = rows[0][0]
        problem = _batch_problem(rows, expected, previous, signed, anchored)
        if problem is not None:
            return problem, checked, expected, first
        previous = rows[-1][2]
        expected += len(rows)
        checked += len(rows)
    return None, checked, expected, first


def _verify_fast(
    connection: Connection,
    source: fastverify.Source,
    after_id: int,
    previous: str,
    signed: dict[int, str],
    anchored: bool,
    batch_size: int,
    workers: int | None,
) -> tuple[Problem | None, int, int, int | None]:
    """Columnar verification of (after_id, max id] in id ranges; at the first range that is not
    clean (inside, or at its link to the one before) the row-batch checker takes over from the
    last verified event, so the problem reported is the one it names."""
    expected = after_id + 1
    last = connection.execute(text("SELECT max(id) FROM audit_events")).scalar()
    if last is None or int(last) <= after_id:
        return None, 0, expected, None
    last = int(last)
    if workers is None:
        if last - after_id < fastverify.FAST_THRESHOLD:
            return _verify_rows(
                connection, after_id, expected, previous, signed, anchored, batch_size
            )
        workers = fastverify.default_workers()
    # More ranges than workers: whichever worker is done first takes the next one, so a core
    # slowed by something else does not hold up the end.
    ranges = fastverify.split(after_id, last, workers * fastverify.RANGES_PER_WORKER)
    starts: list[tuple[int, str | None]] = [(after_id + 1, previous)]
    starts += [(low + 1, None) for low, _ in ranges[1:]]
    results = fastverify.verify_ranges(source, ranges, starts, signed, workers=workers)
    if results is None:  # a worker could not run: check row by row instead
        return _verify_rows(connection, after_id, expected, previous, signed, anchored, batch_size)
    checked = 0
    first: int | None = None
    verified_to = after_id
    for outcome in results:
        if outcome.first_id is None and not outcome.bad:
            continue  # an empty range (every id in it is missing; the next range's start says so)
        if first is None:
            first = outcome.first_id
        clean = (
            not outcome.bad
            and outcome.first_id == expected
            and outcome.first_prev == previous
            and outcome.last_id is not None
            and outcome.last_hash is not None
        )
        if not clean:
            problem, more, expected, _ = _verify_rows(
                connection, verified_to, expected, previous, signed, anchored, batch_size
            )
            return problem, checked + more, expected, first
        assert outcome.last_id is not None and outcome.last_hash is not None
        checked += outcome.count
        expected = outcome.last_id + 1
        previous = outcome.last_hash
        verified_to = outcome.last_id
    return None, checked, expected, first


def _gap(expected: int, found: int, anchored: bool) -> Problem:
    if expected == 1 and not anchored:
        return Problem(
            "deleted",
            expected,
            f"事件 {expected} 至 {found - 1} 缺失：日志开头被删除且没有签名的清理锚点",
            f"events {expected}–{found - 1} are missing: the start of the log was deleted "
            "without a signed purge anchor",
        )
    return Problem(
        "deleted",
        expected,
        f"事件 {expected}{'' if found == expected + 1 else f' 至 {found - 1}'} 缺失：记录被删除",
        f"event {expected}{'' if found == expected + 1 else f'–{found - 1}'} is missing (deleted)",
    )
