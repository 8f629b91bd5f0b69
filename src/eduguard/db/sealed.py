"""Sealed columns: encrypted at rest, plaintext in Python.

A model marks a column ``mapped_column(Text, info=sealed())``. On flush the value is encrypted
by the session's keyring (``session.info[KEYRING_KEY]``, set by the session factory) and bound to
its table, column and row id; on load it is decrypted. A new row gets its id from the insert, so
its sealed values are written as a placeholder and encrypted by an UPDATE right after, inside
the same flush and transaction — plaintext never reaches the database.

Queries cannot filter on sealed columns (each value is randomised); none do. Bulk
``update()``/``insert()`` statements bypass the ORM and so the sealing: sealed columns are written
through ORM objects only (``eduguard.keys`` rewrites ciphertexts with Core on purpose).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import Any, Protocol

from sqlalchemy import Column, Table, bindparam, event, inspect, update
from sqlalchemy.orm import Mapper, QueryContext, Session
from sqlalchemy.orm.attributes import set_committed_value

from eduguard.errors import ConfigurationError

KEYRING_KEY = "eduguard.keyring"
PENDING_KEY = "eduguard.sealed.pending"
PLACEHOLDER = "sm4gcm:pending"
TOKEN_PREFIX = "sm4gcm:"  # noqa: S105 - a format prefix


@dataclass(frozen=True)
class SealedSpec:
    """A sealed column. ``legacy_context`` formats the context of values written by the single
    field key before envelope encryption (``{id}`` is the row id); ``legacy_plaintext`` lets
    values stored before the column was sealed be read until they are migrated."""

    table: str
    column: str
    legacy_context: str | None = None
    legacy_plaintext: bool = False

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def sealed(*, legacy_context: str | None = None, legacy_plaintext: bool = False) -> dict[str, Any]:
    """The ``info`` of a sealed column."""
    return {"sealed": {"legacy_context": legacy_context, "legacy_plaintext": legacy_plaintext}}


def spec_of(column: Column[Any]) -> SealedSpec | None:
    options = column.info.get("sealed")
    if not isinstance(options, dict) or not isinstance(column.table, Table):
        return None
    return SealedSpec(
        column.table.name,
        column.name,
        legacy_context=options.get("legacy_context"),
        legacy_plaintext=bool(options.get("legacy_plaintext")),
    )


def sealed_columns(tables: Iterable[Table]) -> list[tuple[Table, SealedSpec]]:
    """Every sealed column of ``tables`` (each table has a single integer primary key)."""
    found = []
    for table in tables:
        for column in table.columns:
            spec = spec_of(column)
            if spec is not None:
                found.append((table, spec))
    return found


class SealingKeyring(Protocol):
    def seal(self, session: Session, spec: SealedSpec, row_id: int, plaintext: str) -> str: ...

    def open(self, session: Session, spec: SealedSpec, row_id: int, token: str) -> str: ...


def keyring_of(session: Session) -> SealingKeyring:
    keyring = session.info.get(KEYRING_KEY)
    if keyring is None:
        raise ConfigurationError(
            "keyring_missing",
            "此数据库会话未配置字段加密密钥环，无法读写加密字段",
            "this session has no keyring; encrypted fields cannot be read or written",
        )
    return keyring  # type: ignore[no-any-return]


_ATTRS: dict[Mapper[Any], list[tuple[str, SealedSpec, Column[Any]]]] = {}


def _sealed_attrs(mapper: Mapper[Any]) -> list[tuple[str, SealedSpec, Column[Any]]]:
    found = _ATTRS.get(mapper)
    if found is None:
        found = []
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if isinstance(column, Column):
                spec = spec_of(column)
                if spec is not None:
                    found.append((prop.key, spec, column))
        _ATTRS[mapper] = found
    return found


def _row_id(instance: object) -> int | None:
    key = inspect(instance).mapper.primary_key_from_instance(instance)
    return key[0] if len(key) == 1 and isinstance(key[0], int) else None


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    new_rows: list[tuple[object, str, SealedSpec, Column[Any], str]] = []
    restore: list[tuple[object, str, str]] = []
    session.info[PENDING_KEY] = (new_rows, restore)
    for instance in chain(session.new, session.dirty):
        state = inspect(instance)
        attrs = _sealed_attrs(state.mapper)
        if not attrs:
            continue
        for key, spec, column in attrs:
            if key not in state.dict:
                continue
            value = state.dict[key]
            if value is None or not (state.pending or state.attrs[key].history.has_changes()):
                continue
            row_id = _row_id(instance)
            if row_id is None:
                setattr(instance, key, PLACEHOLDER)
                new_rows.append((instance, key, spec, column, value))
            else:
                setattr(instance, key, keyring_of(session).seal(session, spec, row_id, value))
                restore.append((instance, key, value))


def _after_flush_postexec(session: Session, _context: Any) -> None:
    new_rows, restore = session.info.pop(PENDING_KEY, ([], []))
    tokens: dict[Column[Any], list[dict[str, Any]]] = {}
    for instance, key, spec, column, value in new_rows:
        row_id = _row_id(instance)
        if row_id is None:  # pragma: no cover - an insert always yields the id
            raise RuntimeError(f"no row id after insert into {spec.table}")
        token = keyring_of(session).seal(session, spec, row_id, value)
        tokens.setdefault(column, []).append({"row_id": row_id, "token": token})
        set_committed_value(instance, key, value)
    for column, rows in tokens.items():  # one executemany per column
        table = column.table
        assert isinstance(table, Table)
        (pk,) = table.primary_key.columns
        values: dict[str, Any] = {column.name: bindparam("token")}
        if "updated_at" in table.c:  # keep the timestamp the insert wrote
            values["updated_at"] = table.c.updated_at
        statement = update(table).where(pk == bindparam("row_id")).values(values)
        session.connection().execute(statement, rows)
    for instance, key, value in restore:
        set_committed_value(instance, key, value)


def _open_loaded(instance: object, session: Session | None, keys: Iterable[str] | None) -> None:
    state = inspect(instance)
    attrs = _sealed_attrs(state.mapper)
    if not attrs:
        return
    wanted = None if keys is None else set(keys)
    row_id = _row_id(instance)
    for key, spec, _column in attrs:
        if wanted is not None and key not in wanted:
            continue
        token = state.dict.get(key)
        if token is None or row_id is None:
            continue
        if session is None:
            raise ConfigurationError("keyring_missing", "无法在会话之外解密加密字段")
        set_committed_value(instance, key, keyring_of(session).open(session, spec, row_id, token))


def _on_load(instance: object, context: QueryContext) -> None:
    _open_loaded(instance, context.session, None)


def _on_refresh(instance: object, context: QueryContext, attrs: Iterable[str] | None) -> None:
    _open_loaded(instance, context.session, attrs)


def install(base: type[Any]) -> None:
    """Seal the marked columns of every model under ``base`` in every session."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush_postexec", _after_flush_postexec)
        event.listen(base, "load", _on_load, propagate=True)
        event.listen(base, "refresh", _on_refresh, propagate=True)
