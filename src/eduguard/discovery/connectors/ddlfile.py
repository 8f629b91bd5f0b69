"""A ``.sql`` file of CREATE TABLE statements (a schema dump, a migration), scanned without data.

Every CREATE TABLE in the file is a table named ``file.sql:table``; its columns are judged on
what the DDL says of them: names, comments (``COMMENT '…'``, ``COMMENT ON COLUMN``, SQL comments
beside the column), declared types and keys (:mod:`eduguard.discovery.ddl`). The tables have no
rows: the report says so (``rows_sampled`` 0, ``row_count`` unknown) and a column found by
its name or comment has the evidence "列无非空值，仅凭列名/注释判断". INSERT and COPY data in the file are skipped, not scanned.
A statement that cannot be read is reported on its own; the file's other tables are kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from eduguard.discovery.connectors._frames import check_columns
from eduguard.discovery.connectors.encoding import detect_encoding
from eduguard.discovery.ddl import MAX_DDL_CHARS, DdlTable, parse_ddl
from eduguard.discovery.sources import DEFAULT_BATCH_ROWS, FailedTable, SourceError
from eduguard.discovery.sqltypes import canonical_sql_type


class SchemaTable:
    """One CREATE TABLE of a DDL file: columns, comments, types and keys, no rows."""

    schema_only = True  # the engine reports an unknown row count, not zero rows

    def __init__(self, ddl: DdlTable, name: str) -> None:
        self.name = name
        self.comment = ddl.comment
        self.columns = [column.name for column in ddl.columns]
        check_columns(len(self.columns), name)
        self.column_comments = {c.name: c.comment for c in ddl.columns if c.comment}
        self.column_types = {c.name: canonical_sql_type(c.sql_type) for c in ddl.columns}
        self.column_keys = {c.name: c.key for c in ddl.columns if c.key}
        self.row_count: int | None = None

    def batches(
        self, batch_rows: int = DEFAULT_BATCH_ROWS, limit: int | None = None
    ) -> Iterator[pl.DataFrame]:
        """One frame with the table's columns and no rows."""
        yield pl.DataFrame({name: pl.Series(name, [], dtype=pl.String) for name in self.columns})


def open_ddl(path: Path, name: str) -> Iterator[SchemaTable | FailedTable]:
    """The tables a DDL file creates, and one ``FailedTable`` per statement it cannot read."""
    try:
        size = path.stat().st_size
        if size > MAX_DDL_CHARS * 4:  # checked again on the text: 4 bytes a character at most
            raise SourceError(
                "ddl_too_large",
                f"“{name}”超过 {MAX_DDL_CHARS >> 20} MB，不作为表结构文件读取",
                f"{name} is larger than {MAX_DDL_CHARS >> 20} MB",
            )
        encoding = detect_encoding(path)
        text = path.read_text(encoding=encoding, errors="strict")
    except SourceError as error:
        yield FailedTable(name, error)
        return
    except (OSError, UnicodeDecodeError) as error:
        yield FailedTable(
            name,
            SourceError(
                "unreadable_file", f"无法读取文件“{name}”：{error}", f"cannot read {name}: {error}"
            ),
        )
        return
    parsed = parse_ddl(text.removeprefix("\ufeff"), name)
    seen: set[str] = set()
    for table in parsed.tables:
        if not table.columns or table.name.lower() in seen:
            continue
        seen.add(table.name.lower())
        shown = f"{name}:{table.name}"
        try:
            yield SchemaTable(table, shown)
        except SourceError as error:
            yield FailedTable(shown, error)
    for problem in parsed.problems:
        yield FailedTable(name, problem)
    if not seen and not parsed.problems:
        yield FailedTable(
            name,
            SourceError(
                "ddl_no_tables",
                f"文件“{name}”中没有 CREATE TABLE 语句（.sql 文件只读取其中的表结构）",
                f"{name} holds no CREATE TABLE statement",
            ),
        )
