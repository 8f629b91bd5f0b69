"""A disposition on the source database: the row selection, the dry-run counts, and the
batched, resumable execution with its manifest of keyed row hashes.

Exactly once across two databases that share no transaction: every batch is written ahead
into the manifest (``pending``, with the archive copies) and committed in the platform database
*before* the source is touched; the source then deletes or anonymises exactly those rows in one
transaction (no lock held longer than ``LOCK_SECONDS`` on PostgreSQL/MariaDB); the batch is
then marked ``done``. A run killed anywhere resumes by reconciling the pending batch against
the source: rows still selected are done again, rows gone were done. Nothing here imports
another domain; ``retention.flows`` opens the engines and checks the run.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    Select,
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from eduguard.db.base import utcnow
from eduguard.db.engine import transaction
from eduguard.errors import ValidationFailed
from eduguard.retention.models import (
    ArchiveChunk,
    Disposition,
    DispositionRun,
    ManifestBatch,
    ManifestEntry,
    ManifestState,
    RunStatus,
)

LOCK_SECONDS = 1
LEASE_SECONDS = 120
DEFAULT_BATCH = 5000  # 1,000,000 rows on PostgreSQL: longest source transaction ~0.2 s
ANON_PREFIX = "ANON-"


def key_hash(salt_hex: str, value: object) -> str:
    """HMAC-SM3 of a row key under the run's salt: the manifest never holds the key itself."""
    mac = hmac.HMAC(bytes.fromhex(salt_hex), hashes.SM3())
    mac.update(f"{type(value).__name__}:{value}".encode())
    return mac.finalize().hex()


@dataclass(frozen=True)
class Selection:
    """What a run selects on its source table."""

    table: Table
    key: Column[Any]
    condition: Any  # a SQL expression (true for every row of an event rule)
    pi_columns: tuple[Column[Any], ...]  # anonymise: set to NULL (the key: replaced)

    def keys(self) -> Select[Any]:
        return select(self.key).where(self.condition).order_by(self.key)

    def shown(self, engine: Engine) -> str:
        """The selection query with its values inlined, as reviewers read it."""
        query = select(func.count()).select_from(self.table).where(self.condition)
        compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
        return str(compiled).replace("\n", " ")


def reflect(engine: Engine, table_name: str) -> Table:
    try:
        return Table(table_name, MetaData(), autoload_with=engine)
    except Exception as exc:  # NoSuchTableError, or the driver's own error
        raise ValidationFailed(
            "retention_table_unreadable",
            f"无法读取源库中的数据表“{table_name}”（{type(exc).__name__}）",
            "the source table cannot be read",
        ) from None


def selection(
    table: Table,
    *,
    key_column: str,
    date_column: str | None,
    cutoff: date,
    disposition: Disposition,
    pi_columns: Sequence[str],
    exclude: Sequence[Any] = (),
) -> Selection:
    """The rows a rule selects; ``exclude``: row keys left out (subject holds)."""

    def col(name: str) -> Column[Any]:
        if name not in table.c:
            raise ValidationFailed(
                "retention_column_missing",
                f"源库数据表“{table.name}”中没有列“{name}”；请重新扫描数据源后再计划",
                f"the source table has no column {name}",
            )
        return table.c[name]

    key = col(key_column)
    # Rows dated on or before the cutoff day (a timestamp column: before the next midnight).
    condition: Any = (
        literal(True) if date_column is None else col(date_column) < cutoff + timedelta(days=1)
    )
    others = tuple(col(n) for n in pi_columns if n != key_column)
    if disposition == Disposition.anonymise:
        if not others:
            raise ValidationFailed(
                "retention_nothing_to_anonymise",
                "数据集中除行键外没有个人信息字段，无法匿名化；请改为删除或归档",
                "no personal-information column besides the key to anonymise",
            )
        condition = and_(condition, or_(*(c.is_not(None) for c in others)))
    if exclude:
        condition = and_(condition, key.not_in(list(exclude)))
    return Selection(table, key, condition, others)


def held_keys(
    engine: Engine,
    chosen: Selection,
    wanted: Mapping[str, set[str]],
    digest: Callable[[object], str],
) -> list[Any]:
    """The keys of the rows ``chosen`` selects whose subject column's value hashes (``digest``)
    to one of the held hashes — ``wanted``: column name → hashes. One read of the selected
    rows' key and subject columns; only values' hashes are compared, none is kept."""
    found: dict[Any, None] = {}
    with engine.connect() as connection:
        for name, hashes_ in wanted.items():
            if name not in chosen.table.c:
                raise ValidationFailed(
                    "retention_column_missing",
                    f"源库数据表“{chosen.table.name}”中没有主体保全所指的列“{name}”",
                    f"the source table has no column {name}",
                )
            column = chosen.table.c[name]
            rows = connection.execution_options(yield_per=10_000).execute(
                select(chosen.key, column).where(chosen.condition, column.is_not(None))
            )
            found.update((key, None) for key, value in rows if digest(value) in hashes_)
    return list(found)


SUBJECT_CLASSES = ("under_14", "minor", "adult", "unknown")


def _age_class(born: date | None, today: date) -> str:
    if born is None or born > today:
        return "unknown"
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return "under_14" if age < 14 else "minor" if age < 18 else "adult"


def subject_classes(
    engine: Engine,
    chosen: Selection,
    column: str,
    born: Callable[[object], date | None],
    today: date,
) -> dict[str, int]:
    """The selected rows by their subject's age today (不满十四周岁 / 十四至十七周岁 / 成年 / 无法判断),
    from ``column`` read by ``born`` (a birth date, or the date inside an ID number): one read of
    that column over the selection, no value kept."""
    counts = dict.fromkeys(SUBJECT_CLASSES, 0)
    if column not in chosen.table.c:
        return counts
    query = select(chosen.table.c[column]).where(chosen.condition)
    with engine.connect() as connection:
        for value in connection.execution_options(yield_per=10_000).scalars(query):
            counts[_age_class(born(value), today)] += 1
    return counts


def count_plan(engine: Engine, chosen: Selection) -> tuple[int, int]:
    """(rows in the table, rows selected) on the source now."""
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(chosen.table)) or 0
        selected = (
            connection.scalar(
                select(func.count()).select_from(chosen.table).where(chosen.condition)
            )
            or 0
        )
    return int(total), int(selected)


def remaining(engine: Engine, chosen: Selection) -> tuple[int, int]:
    """The verification query after a run: (rows in the table, rows still selected)."""
    return count_plan(engine, chosen)


# ---------------------------------------------------------------- execution


@dataclass
class Outcome:
    batches: int = 0
    processed: int = 0
    reconciled: int = 0  # rows of a pending batch found already done at the source
    longest_ms: int = 0  # the longest batch: manifest write-ahead, source, marked done
    longest_source_ms: int = 0  # the longest source transaction (what holds its locks)


Hook = Callable[[str, int], None]  # (phase, batch): a test injects a crash here


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _begin_source(connection: Any) -> None:
    """No lock held longer than a second: the statement waits at most that long for one."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_SECONDS}s'")
    elif dialect in ("mysql", "mariadb"):
        connection.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {LOCK_SECONDS}")


def _apply(
    engine: Engine,
    chosen: Selection,
    disposition: Disposition,
    keys: list[Any],
    salt: str,
    outcome: Outcome | None = None,
) -> int:
    """One source transaction: the disposition of exactly ``keys`` (still selected)."""
    where = and_(chosen.key.in_(keys), chosen.condition)
    started = time.monotonic()
    with engine.begin() as connection:
        _begin_source(connection)
        if disposition == Disposition.anonymise:
            values: dict[str, Any] = {c.name: None for c in chosen.pi_columns}
            result = connection.execute(update(chosen.table).where(where).values(**values))
        else:
            result = connection.execute(delete(chosen.table).where(where))
        done = int(result.rowcount or 0)
    if outcome is not None:
        held = int((time.monotonic() - started) * 1000)
        outcome.longest_source_ms = max(outcome.longest_source_ms, held)
    return done


def _pending(session: Session, run_id: int) -> tuple[int | None, set[str]]:
    """The batch written ahead but not marked done (at most one: batches run one by one),
    with its rows' hashes."""
    batch = session.scalar(
        select(ManifestBatch.batch).where(
            ManifestBatch.run_id == run_id, ManifestBatch.state == ManifestState.pending
        )
    )
    if batch is None:
        return None, set()
    hashes_ = session.scalars(
        select(ManifestEntry.key_hash).where(
            ManifestEntry.run_id == run_id, ManifestEntry.batch == batch
        )
    )
    return batch, set(hashes_)


def me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _gone(owner: str) -> bool:
    """Whether the lease holder was a process of this host that no longer runs."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def take_lease(session: Session, run: DispositionRun) -> bool:
    """Claim the run for this process (a guarded update: two executors never run it)."""
    now = utcnow()
    holder = run.lease_owner
    free = (
        holder is None
        or holder == me()
        or run.lease_until is None
        or run.lease_until < now
        or _gone(holder)
    )
    if not free:
        return False
    claimed = session.execute(
        update(DispositionRun)
        .where(
            DispositionRun.id == run.id,
            DispositionRun.lease_owner.is_(None)
            if holder is None
            else DispositionRun.lease_owner == holder,
        )
        .values(lease_owner=me(), lease_until=now + timedelta(seconds=LEASE_SECONDS))
        .execution_options(synchronize_session=False)
    )
    session.refresh(run)
    return bool(getattr(claimed, "rowcount", 0))


def _finish_batch(
    factory: sessionmaker[Session], run_id: int, batch: int, done: int, elapsed_ms: int
) -> None:
    with transaction(factory) as session:
        session.execute(
            update(ManifestBatch)
            .where(ManifestBatch.run_id == run_id, ManifestBatch.batch == batch)
            .values(state=ManifestState.done)
        )
        run = session.get_one(DispositionRun, run_id)
        run.processed += done
        run.longest_batch_ms = max(run.longest_batch_ms, elapsed_ms)
        run.lease_until = utcnow() + timedelta(seconds=LEASE_SECONDS)


def _write_ahead(session: Session, run_id: int, batch: int, hashes_: list[str]) -> None:
    """The batch, pending, and its manifest rows in the caller's transaction: COPY on
    PostgreSQL (psycopg's executemany sends a statement a row), one executemany elsewhere."""
    session.add(
        ManifestBatch(run_id=run_id, batch=batch, state=ManifestState.pending, rows=len(hashes_))
    )
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw: Any = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy("COPY retention_manifest (run_id, key_hash, batch) FROM STDIN") as copy,
        ):
            for digest in hashes_:
                copy.write_row((run_id, digest, batch))
        return
    session.execute(
        insert(ManifestEntry),
        [{"run_id": run_id, "key_hash": h, "batch": batch} for h in hashes_],
    )


def _archive(
    session: Session, run_id: int, batch: int, hashes_: list[str], rows: Sequence[Any]
) -> None:
    """The batch's archive copy, one sealed chunk, in the caller's transaction."""
    payload = [
        {"key_hash": h, "row": {k: _jsonable(v) for k, v in r._mapping.items()}}
        for h, r in zip(hashes_, rows, strict=True)
    ]
    session.add(
        ArchiveChunk(
            run_id=run_id,
            batch=batch,
            rows=len(payload),
            payload=json.dumps(payload, ensure_ascii=False),
        )
    )


def execute(
    factory: sessionmaker[Session],
    run_id: int,
    engine: Engine,
    chosen: Selection,
    *,
    batch_size: int = DEFAULT_BATCH,
    hook: Hook | None = None,
    pause: float = 0.0,
) -> Outcome:
    """Run (or resume) ``run_id`` until no selected row is left. Each step commits alone."""
    outcome = Outcome()
    with transaction(factory) as session:
        run = session.get_one(DispositionRun, run_id)
        salt, disposition = run.salt, Disposition(run.disposition)
        if run.status == RunStatus.approved:
            run.status, run.started_at = RunStatus.running, utcnow()
        batch, pending = _pending(session, run_id)
        next_batch = run.batches + 1
    if batch is not None:  # killed between writing ahead and marking done: reconcile
        started = time.monotonic()
        with engine.connect() as connection:
            still = [
                k
                for k in connection.scalars(chosen.keys().limit(max(batch_size, len(pending))))
                if key_hash(salt, k) in pending
            ]
        done = _apply(engine, chosen, disposition, still, salt, outcome) if still else 0
        outcome.reconciled = len(pending) - done
        elapsed = int((time.monotonic() - started) * 1000)
        _finish_batch(factory, run_id, batch, len(pending), elapsed)
        outcome.processed += len(pending)
    archive = disposition == Disposition.archive
    after: Any = None  # keyset: the last key of the batch before (None: from the start)
    while True:
        started = time.monotonic()
        query = select(chosen.table) if archive else select(chosen.key)
        query = query.where(chosen.condition)
        if after is not None:  # not from the start: no rereading of the rows just disposed
            query = query.where(chosen.key > after)
        query = query.order_by(chosen.key).limit(batch_size)
        with engine.connect() as connection:
            if archive:
                rows = connection.execute(query).all()
                keys = [row._mapping[chosen.key.name] for row in rows]
            else:
                rows = []
                keys = list(connection.scalars(query))
        if not keys:
            if after is None:
                break
            after = None  # once more from the start: rows selected behind us meanwhile
            continue
        after = keys[-1]
        hashes_ = [key_hash(salt, k) for k in keys]
        with transaction(factory) as session:  # written ahead, with the archive copies
            _write_ahead(session, run_id, next_batch, hashes_)
            if archive:
                _archive(session, run_id, next_batch, hashes_, rows)
            session.get_one(DispositionRun, run_id).batches = next_batch
        if hook:
            hook("ahead", next_batch)
        done = _apply(engine, chosen, disposition, keys, salt, outcome)
        if hook:
            hook("source", next_batch)
        elapsed = int((time.monotonic() - started) * 1000)
        _finish_batch(factory, run_id, next_batch, done, elapsed)
        outcome.batches += 1
        outcome.processed += done
        outcome.longest_ms = max(outcome.longest_ms, elapsed)
        next_batch += 1
        if pause:
            time.sleep(pause)
    return outcome
