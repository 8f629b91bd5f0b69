"""Key operations inside one transaction each: status, re-encrypting a batch, rewrapping.

Every query here is Core on ``session.connection()``: rows are re-encrypted without loading
(and auditing) the objects, and ``updated_at`` is kept — re-encryption changes no data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, not_, select, update
from sqlalchemy.orm import Session

from eduguard.crypto import MasterKey
from eduguard.db.base import Base, utcnow
from eduguard.db.schema import import_all_models
from eduguard.db.sealed import TOKEN_PREFIX, SealedSpec, sealed_columns
from eduguard.errors import ValidationFailed
from eduguard.keys.keyring import DATA_KEYS, V1, V2, Keyring
from eduguard.keys.models import KeyState

DEFAULT_BATCH = 500


def sealed_fields() -> list[tuple[Table, SealedSpec]]:
    """Every sealed column of the schema."""
    import_all_models()
    return sealed_columns(Base.metadata.sorted_tables)


def _pk(table: Table) -> Any:
    (pk,) = table.primary_key.columns
    return pk


@dataclass(frozen=True)
class KeyInfo:
    id: str
    state: KeyState
    master_fingerprint: str
    created_at: datetime
    fields: int  # values it encrypts now


@dataclass(frozen=True)
class Status:
    keys: list[KeyInfo]
    legacy_v1: int  # values still encrypted by the old single field key
    plaintext: int  # values stored before their column was sealed
    by_column: dict[str, int]  # sealed values per column

    @property
    def rotating(self) -> bool:
        return any(key.state == KeyState.retiring for key in self.keys)


def _count(session: Session, condition: Any, fields: Sequence[tuple[Table, SealedSpec]]) -> int:
    total = 0
    for table, spec in fields:
        column = table.c[spec.column]
        total += (
            session.connection()
            .execute(
                select(func.count())
                .select_from(table)
                .where(column.is_not(None), condition(column))
            )
            .scalar_one()
        )
    return total


def status(session: Session) -> Status:
    fields = sealed_fields()
    keys = []
    for row in session.connection().execute(select(DATA_KEYS).order_by(DATA_KEYS.c.created_at)):
        prefix = f"{V2}{row.id}:%"
        count = _count(session, lambda column, p=prefix: column.like(p), fields)
        keys.append(
            KeyInfo(row.id, KeyState(row.state), row.master_fingerprint, row.created_at, count)
        )
    by_column = {
        spec.name: _count(session, lambda _column: True, [(table, spec)]) for table, spec in fields
    }
    return Status(
        keys=keys,
        legacy_v1=_count(session, lambda column: column.like(f"{V1}%"), fields),
        plaintext=_count(session, lambda column: not_(column.like(f"{TOKEN_PREFIX}%")), fields),
        by_column=by_column,
    )


def key_ids(session: Session, state: KeyState) -> list[str]:
    return list(
        session.connection()
        .execute(select(DATA_KEYS.c.id).where(DATA_KEYS.c.state == state))
        .scalars()
    )


def set_state(session: Session, ids: Sequence[str], state: KeyState) -> None:
    if ids:
        session.connection().execute(
            update(DATA_KEYS)
            .where(DATA_KEYS.c.id.in_(ids))
            .values(state=state, updated_at=utcnow())
        )


def _stale(column: Any, target: str | None) -> ColumnElement[bool]:
    """Values to rewrite: with a target key, every value not under it; without one, only
    values older than envelope encryption (v1 and plaintext)."""
    pattern = f"{V2}{target}:%" if target else f"{V2}%"
    condition: ColumnElement[bool] = not_(column.like(pattern))
    return condition


def remaining(session: Session, target: str | None) -> int:
    return _count(session, lambda column: _stale(column, target), sealed_fields())


@dataclass(frozen=True)
class BatchResult:
    last_id: int
    scanned: int
    rewritten: int


def reencrypt_batch(
    session: Session,
    keyring: Keyring,
    table: Table,
    spec: SealedSpec,
    *,
    target: str,
    only_legacy: bool = False,
    after_id: int = 0,
    limit: int = DEFAULT_BATCH,
) -> BatchResult:
    """Re-encrypt up to ``limit`` values of one column (ids above ``after_id``) with the data
    key ``target``. A value a writer changed meanwhile is left alone (compare-and-swap): the
    writer used the active key, or the next pass takes it."""
    pk, column = _pk(table), table.c[spec.column]
    connection = session.connection()
    rows = connection.execute(
        select(pk.label("id"), column.label("value"))
        .where(column.is_not(None), pk > after_id, _stale(column, None if only_legacy else target))
        .order_by(pk)
        .limit(limit)
    ).all()
    if not rows:
        return BatchResult(after_id, 0, 0)
    changes = [
        {
            "row_id": row.id,
            "old": row.value,
            "new": keyring.seal(
                session, spec, row.id, keyring.open(session, spec, row.id, row.value), key_id=target
            ),
        }
        for row in rows
    ]
    values: dict[str, Any] = {spec.column: bindparam("new")}
    if "updated_at" in table.c:
        values["updated_at"] = table.c.updated_at
    statement = (
        update(table)
        .where(pk == bindparam("row_id"), column == bindparam("old"))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    result = connection.execute(statement, changes)  # one executemany per batch
    exact = connection.dialect.supports_sane_multi_rowcount and result.rowcount >= 0
    return BatchResult(rows[-1].id, len(rows), result.rowcount if exact else len(rows))


def rewrap_all(session: Session, keyring: Keyring, new_master: MasterKey) -> int:
    """Rewrap every data key under ``new_master``; field values are untouched."""
    if new_master.fingerprint == keyring.master.fingerprint:
        raise ValidationFailed(
            "master_key_unchanged",
            "新主密钥与当前主密钥相同",
            "the new master key is the current one",
        )
    connection = session.connection()
    rows = connection.execute(select(DATA_KEYS)).all()
    for row in rows:
        material = keyring.unwrap(row.id, row.wrapped_key, row.master_fingerprint)
        connection.execute(
            update(DATA_KEYS)
            .where(DATA_KEYS.c.id == row.id)
            .values(
                wrapped_key=new_master.wrap(row.id, material),
                master_fingerprint=new_master.fingerprint,
                updated_at=utcnow(),
            )
        )
    return len(rows)
