"""Databases by SQLAlchemy URL: SQLite, PostgreSQL (psycopg 3), MySQL/MariaDB (PyMySQL).

Every table and view the credentials can read is a table to scan, with its table and column
comments (PostgreSQL ``obj_description``/``col_description`` and MySQL ``information_schema``,
both through the SQLAlchemy inspector; SQLite has none, so the SQL comments written in its DDL
text, ``sqlite_master.sql``, are read instead: :mod:`eduguard.discovery.ddl`), the columns'
declared types and which columns are auto-increment or primary keys. Rows are streamed with server-side cursors
(``stream_results`` + ``yield_per``), so memory is bounded by the batch size. Scanning never
writes: SQLite files are opened read-only, PostgreSQL sessions are read-only transactions.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import NullPool

from eduguard.discovery.connectors._frames import rebatch, rows_frame
from eduguard.discovery.ddl import DdlTable, parse_ddl
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS, FailedTable, SourceError
from eduguard.discovery.sqltypes import canonical_sql_type
from eduguard.source_urls import UNREACHABLE, SourcePolicy, SourceUrl, SourceUrlError, is_url

_SYSTEM_SCHEMAS = {
    "information_schema",
    "pg_catalog",
    "pg_toast",
    "mysql",
    "performance_schema",
    "sys",
}
EXACT_COUNT_BELOW = 1_000_000
logger = logging.getLogger("eduguard.discovery.database")


def is_database_url(source: str) -> bool:
    return is_url(source)


def parse_url(source: str, policy: SourcePolicy | None = None) -> SourceUrl:
    """``source`` in its allow-listed form (:mod:`eduguard.source_urls`); a SQLite file must
    exist (it is opened read-only, never created).

    Raises :class:`SourceError`: ``invalid_database_url``, ``unsupported_database``,
    ``source_option_refused`` (an option that reads local files or is not on the list),
    ``source_not_found``.
    """
    policy = policy or SourcePolicy()
    try:
        parsed = policy.parse(source)
    except SourceUrlError as error:
        raise SourceError(error.code, error.message_zh, error.message_en) from error
    if parsed.backend == "sqlite":
        database = parsed.database or ""
        path = Path(database).expanduser().resolve()
        if not path.is_file():
            raise SourceError(
                "source_not_found",
                f"找不到 SQLite 数据库文件：{database}",
                f"no such file {database}",
            )
        parsed = dataclasses.replace(parsed, database=str(path))
    return parsed


def normalise_url(source: str) -> URL:
    """The SQLAlchemy URL of ``source`` with the project's drivers (see :func:`parse_url`)."""
    return parse_url(source).url()


def display_url(url: URL) -> str:
    """The URL for reports and messages: never the password."""
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{unquote((url.database or '').removeprefix('file:'))}"
    return url.render_as_string(hide_password=True)


class DatabaseTable:
    """One table or view."""

    def __init__(
        self,
        engine: Engine,
        schema: str | None,
        table: str,
        columns: list[str],
        name: str,
        comment: str | None,
        column_comments: dict[str, str],
        row_count: int | None,
        column_types: dict[str, str] | None = None,
        column_keys: dict[str, str] | None = None,
    ) -> None:
        self.engine = engine
        self.schema = schema
        self.table = table
        self.columns = columns
        self.name = name
        self.comment = comment
        self.column_comments = column_comments
        self.row_count = row_count
        self.column_types = column_types or {}
        self.column_keys = column_keys or {}

    def _frames(self, batch_rows: int, limit: int | None) -> Iterator[pl.DataFrame]:
        table = sa.table(
            self.table, *(sa.column(name) for name in self.columns), schema=self.schema
        )
        query = sa.select(*table.columns)
        if limit is not None:
            query = query.limit(limit)
        try:
            with self.engine.connect() as connection:
                streaming = connection.execution_options(stream_results=True, yield_per=batch_rows)
                result = streaming.execute(query)
                for partition in result.partitions():
                    yield rows_frame(self.columns, partition)
        except CONNECT_ERRORS as error:
            reason = (
                _reason(error)
                if isinstance(error, sa.exc.SQLAlchemyError)
                else type(error).__name__
            )
            raise SourceError(
                "db_read_failed",
                f"读取表“{self.name}”失败：{reason}",
                f"reading {self.name} failed: {reason}",
            ) from error

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        yield from rebatch(self._frames(batch_rows, limit), batch_rows, limit, self.name)


def _reason(error: sa.exc.SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def _make_engine(parsed: SourceUrl, policy: SourcePolicy, address: str | None) -> Engine:
    args = parsed.engine_args(
        connect_seconds=policy.connect_seconds, read_seconds=policy.read_seconds, address=address
    )
    engine = sa.create_engine(parsed.url(address=address), poolclass=NullPool, connect_args=args)
    if policy.watch is not None:  # before the dialect's first queries on the new connection
        sa.event.listen(engine, "connect", policy.watch.register, insert=True)
    return engine


def _schemas(inspector: sa.Inspector, url: URL) -> list[str | None]:
    backend = url.get_backend_name()
    if backend == "sqlite" or (backend in ("mysql", "mariadb") and url.database):
        return [None]
    default = inspector.default_schema_name
    names = [
        schema
        for schema in inspector.get_schema_names()
        if schema not in _SYSTEM_SCHEMAS and not schema.startswith("pg_")
    ]
    return [None if schema == default else schema for schema in names]


def _readable_pg(connection: sa.Connection) -> set[tuple[str, str]]:
    rows = connection.execute(
        sa.text(
            "SELECT n.nspname, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') "
            "AND has_table_privilege(c.oid, 'SELECT')"
        )
    )
    return {(str(schema), str(table)) for schema, table in rows}


def _estimated_counts(connection: sa.Connection, url: URL) -> dict[tuple[str, str], int]:
    backend = url.get_backend_name()
    if backend == "postgresql":
        query = (
            "SELECT n.nspname, c.relname, c.reltuples::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm')"
        )
    elif backend in ("mysql", "mariadb"):
        query = (
            "SELECT table_schema, table_name, table_rows FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE'"
        )
    else:
        return {}
    return {
        (str(schema), str(table)): int(count)
        for schema, table, count in connection.execute(sa.text(query))
        if count is not None
    }


def _row_count(
    connection: sa.Connection, schema: str | None, table: str, estimate: int | None
) -> int | None:
    """Exact ``COUNT(*)`` for tables estimated under a million rows, else the estimate."""
    if estimate is not None and estimate >= EXACT_COUNT_BELOW:
        return estimate
    query = sa.select(sa.func.count()).select_from(sa.table(table, schema=schema))
    try:
        with connection.begin_nested():
            return int(connection.execute(query).scalar_one())
    except sa.exc.SQLAlchemyError:
        return estimate if estimate is not None and estimate >= 0 else None


# What a driver raises when a source misbehaves: refused, timed out, a protocol it does not
# speak, a LOAD DATA LOCAL INFILE request (PyMySQL: RuntimeError) ...
CONNECT_ERRORS = (sa.exc.SQLAlchemyError, OSError, RuntimeError, ValueError, EOFError)


def unreachable(shown: str, error: BaseException, policy: SourcePolicy) -> SourceError:
    """The one error a user is shown for any failure to reach a source. With a host policy
    (a source someone registered) it does not say why: refused, timed out and a protocol error
    look alike, so sources cannot be used to scan ports. The reason goes to the server log."""
    reason = _reason(error) if isinstance(error, sa.exc.SQLAlchemyError) else str(error)
    reason = (reason.strip().splitlines() or [type(error).__name__])[0][:300]
    logger.warning("cannot connect to %s: %s: %s", shown, type(error).__name__, reason)
    if policy.hosts is not None:
        return SourceError("db_connect_failed", UNREACHABLE, "cannot connect to the data source")
    return SourceError(
        "db_connect_failed",
        f"{UNREACHABLE} {shown}：{reason}",
        f"cannot connect to {shown}: {reason}",
    )


def open_database(
    source: str, policy: SourcePolicy | None = None, *, row_counts: bool = True
) -> Iterator[DatabaseTable | FailedTable]:
    """Every readable table and view behind ``source``; one ``FailedTable`` if it refuses.

    ``policy``: the host allow-list and timeouts (default: no host check, default timeouts —
    the operator's own ``eduguard scan``); the URL's options are checked in every case.
    ``row_counts=False``: the structure only (names, types, comments, keys), no ``COUNT(*)``
    and no statistics read: a table's ``row_count`` is then None."""
    policy = policy or SourcePolicy()
    try:
        parsed = parse_url(source, policy)
    except SourceError as error:
        yield FailedTable(source.split("@")[-1].split("?")[0], error)
        return
    shown = parsed.display()
    if parsed.backend == "sqlite" and policy.path_refused(Path(parsed.database or "")):
        yield FailedTable(
            shown,
            SourceError(
                "source_forbidden",
                "SQLite 数据源（解析符号链接后）位于允许扫描的目录之外或 eduguard 数据目录内",
                "the SQLite file resolves outside the scan roots or into eduguard's home",
            ),
        )
        return
    address: str | None = None
    if policy.hosts is not None:
        try:
            address = policy.hosts.admit(parsed)
        except SourceUrlError as error:
            yield FailedTable(shown, unreachable(shown, error, policy))
            return
    try:
        engine = _make_engine(parsed, policy, address)
    except (sa.exc.SQLAlchemyError, ImportError) as error:
        yield FailedTable(
            shown,
            SourceError(
                "db_driver_missing",
                f"无法使用数据库驱动“{parsed.url().drivername}”：{error}",
                str(error),
            ),
        )
        return
    try:
        tables = list(_list_tables(engine, parsed.url(), row_counts=row_counts))
    except CONNECT_ERRORS as error:
        yield FailedTable(shown, unreachable(shown, error, policy))
        return
    if not tables:
        yield FailedTable(
            shown,
            SourceError(
                "no_tables",
                f"数据库 {shown} 中没有当前账号可读的表或视图",
                f"no readable tables in {shown}",
            ),
        )
        return
    yield from tables


def _list_tables(
    engine: Engine, url: URL, *, row_counts: bool = True
) -> Iterator[DatabaseTable | FailedTable]:
    backend = url.get_backend_name()
    with engine.connect() as connection, warnings.catch_warnings():
        # reflection warns about column types it does not know; their values are still text
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        inspector = sa.inspect(connection)
        readable = _readable_pg(connection) if backend == "postgresql" else None
        estimates = _estimated_counts(connection, url) if row_counts else {}
        default_schema = inspector.default_schema_name or ""
        for schema in _schemas(inspector, url):
            schema_name = schema or default_schema
            names = inspector.get_table_names(schema=schema) + inspector.get_view_names(
                schema=schema
            )
            if backend == "postgresql":
                names += inspector.get_materialized_view_names(schema=schema)
            for table in sorted(set(names)):
                if readable is not None and (schema_name, table) not in readable:
                    continue
                try:
                    yield _describe(
                        connection,
                        inspector,
                        engine,
                        schema,
                        schema_name,
                        table,
                        estimates,
                        row_counts=row_counts,
                    )
                except sa.exc.SQLAlchemyError as error:  # dropped meanwhile, no privilege ...
                    shown = table if schema is None else f"{schema}.{table}"
                    yield FailedTable(
                        shown,
                        SourceError(
                            "db_read_failed",
                            f"读取表“{shown}”的结构失败：{_reason(error)}",
                            f"reading the structure of {shown} failed: {_reason(error)}",
                        ),
                    )


def _sqlite_ddl(connection: sa.Connection, table: str) -> DdlTable | None:
    """The table's CREATE statement as SQLite keeps it, parsed; None if it cannot be read."""
    text = connection.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE name = :name AND type = 'table'"),
        {"name": table},
    ).scalar()
    if not text:
        return None
    parsed = parse_ddl(str(text), table, sqlite=True)
    for problem in parsed.problems:  # SQLite accepted it: a gap of the parser, not of the data
        logger.warning("DDL of SQLite table %s not read: %s", table, problem.message_en)
    return parsed.tables[0] if parsed.tables else None


def _key_kind(column: dict[str, object], primary: list[str], backend: str) -> str:
    """ "auto_increment" when the database numbers the column, "primary" for another primary
    key column, else "" (SQLite's keys come from its DDL text: :func:`_sqlite_ddl`)."""
    if backend in ("mysql", "mariadb"):  # reflected ``autoincrement`` is True for AUTO_INCREMENT
        numbered = column.get("autoincrement") is True
    elif backend == "postgresql":  # serial (a nextval default) and identity columns
        numbered = bool(column.get("identity")) or str(column.get("default") or "").startswith(
            "nextval("
        )
    else:
        numbered = False
    if numbered:
        return "auto_increment"
    return "primary" if str(column["name"]) in primary else ""


def _describe(
    connection: sa.Connection,
    inspector: sa.Inspector,
    engine: Engine,
    schema: str | None,
    schema_name: str,
    table: str,
    estimates: dict[tuple[str, str], int],
    *,
    row_counts: bool = True,
) -> DatabaseTable:
    backend = engine.url.get_backend_name()
    columns = inspector.get_columns(table, schema=schema)
    try:
        comment = inspector.get_table_comment(table, schema=schema).get("text")
    except NotImplementedError:  # SQLite has no comments
        comment = None
    column_comments = {
        str(column["name"]): str(column["comment"]) for column in columns if column.get("comment")
    }
    types: dict[str, str] = {}
    for column in columns:
        try:
            declared = column["type"].compile(dialect=connection.dialect)
        except sa.exc.CompileError:  # a type the dialect cannot spell (reflected as NullType)
            declared = ""
        types[str(column["name"])] = canonical_sql_type(declared)
    try:
        primary = list(inspector.get_pk_constraint(table, schema=schema)["constrained_columns"])
    except (NotImplementedError, KeyError, TypeError):
        primary = []
    keys = {
        str(column["name"]): kind
        for column in columns
        if (kind := _key_kind(dict(column), primary, backend))
    }
    if backend == "sqlite":
        ddl = _sqlite_ddl(connection, table)
        for written in ddl.columns if ddl is not None else []:
            if written.comment and written.name in types:
                column_comments[written.name] = written.comment
            if written.key and written.name in types:
                keys[written.name] = written.key
        comment = ddl.comment if ddl is not None else None
    estimate = estimates.get((schema_name, table))
    return DatabaseTable(
        engine=engine,
        schema=schema,
        table=table,
        columns=[str(column["name"]) for column in columns],
        name=table if schema is None else f"{schema}.{table}",
        comment=comment or None,
        column_comments=column_comments,
        row_count=_row_count(connection, schema, table, estimate) if row_counts else None,
        column_types=types,
        column_keys=keys,
    )
