"""What the Spark engine reads: Parquet/ORC/CSV files and folders, and JDBC tables.

A path may be local or any Hadoop filesystem URL Spark can read (``hdfs://``, ``s3a://``,
``abfss://`` …); it is listed through Hadoop's ``FileSystem``. A folder that is itself a dataset
(Spark/Hive output: ``part-*`` files, a ``_SUCCESS`` marker or ``key=value`` partition folders)
is one table named after the folder; any other folder is walked, and each data file or dataset
folder in it is a table named by its path relative to the folder, as the local engine names them.

A ``jdbc:`` URL is one table (``table``) or every table and view the connection lists, with the
table and column remarks (comments), the columns' declared types and their key kinds
(auto-increment, primary key) the driver reports, spelt as the local engine spells them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession

from eduguard.discovery.connectors.columnar import parquet_comments
from eduguard.discovery.sources import FailedTable, SourceError
from eduguard.discovery.sqltypes import canonical_sql_type
from eduguard.source_urls import SourceUrlError, check_jdbc_url

FORMATS = {".parquet": "parquet", ".orc": "orc", ".csv": "csv", ".tsv": "tsv"}
_SKIP_SCHEMAS = frozenset(
    {"information_schema", "pg_catalog", "sys", "mysql", "performance_schema"}
)


@dataclass
class SparkTable:
    """One table to scan: how to load it as a DataFrame, and its comments."""

    name: str
    load: Callable[[SparkSession], DataFrame]
    comment: str | None = None
    column_comments: dict[str, str] = field(default_factory=dict)
    column_types: dict[str, str] = field(default_factory=dict)
    column_keys: dict[str, str] = field(default_factory=dict)


@dataclass
class _Catalogued:
    name: str
    comment: str | None
    columns: dict[str, str]
    types: dict[str, str]
    keys: dict[str, str]


def _unreadable(name: str, error: Exception) -> SourceError:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return SourceError(
        "unreadable_table",
        f"无法读取“{name}”：{reason}",
        f"cannot read {name}: {reason}",
    )


def _suffix(name: str) -> str | None:
    lowered = name.lower()
    for suffix in FORMATS:
        if lowered.endswith(suffix) or lowered.endswith(f"{suffix}.gz"):
            return suffix
    if lowered.endswith((".snappy.parquet", ".zstd.parquet", ".gz.parquet")):
        return ".parquet"
    return None


def _reader(fmt: str, url: str) -> Callable[[SparkSession], DataFrame]:
    def load(spark: SparkSession) -> DataFrame:
        if fmt in ("csv", "tsv"):
            return (
                spark.read.option("header", "true")
                .option("sep", "\t" if fmt == "tsv" else ",")
                .option("encoding", "UTF-8")
                .option("multiLine", "true")
                .csv(url)
            )
        return spark.read.format(fmt).load(url)

    return load


def _local_parquet_comments(url: str) -> tuple[str | None, dict[str, str]]:
    """(table, column) comments a Parquet file carries, read as the local engine reads them."""
    path = url.removeprefix("file:")
    try:
        schema = pq.read_schema(path)
    except (OSError, ValueError):
        return None, {}
    return parquet_comments(schema)


class _Hadoop:
    """The Hadoop filesystem of a path, through the driver's JVM."""

    def __init__(self, spark: SparkSession, url: str) -> None:
        jvm: Any = spark._jvm
        self.jvm = jvm
        self.root = jvm.org.apache.hadoop.fs.Path(url)
        jsc: Any = spark._jsc
        self.fs = self.root.getFileSystem(jsc.hadoopConfiguration())

    def children(self, path: Any) -> list[tuple[str, bool, Any]]:
        """(name, is folder, path) of a folder's entries, sorted by name, hidden ones left out."""
        entries = [
            (str(status.getPath().getName()), bool(status.isDirectory()), status.getPath())
            for status in self.fs.listStatus(path)
        ]
        return sorted(entry for entry in entries if not entry[0].startswith((".", "~$")))

    def dataset_format(self, path: Any) -> str | None:
        """The format of a dataset folder: the suffix of its first data file."""
        for name, folder, child in self.children(path):
            if folder and "=" in name:
                found = self.dataset_format(child)
                if found:
                    return found
            elif not folder and not name.startswith("_") and _suffix(name):
                return FORMATS[_suffix(name) or ""]
        return None

    def is_dataset(self, path: Any) -> bool:
        entries = self.children(path)
        return any(
            name == "_SUCCESS"
            or (folder and "=" in name)
            or (not folder and name.startswith("part-"))
            for name, folder, _ in entries
        )


def _table(name: str, fmt: str, url: str) -> SparkTable:
    comment, comments = (
        _local_parquet_comments(url) if fmt == "parquet" and "://" not in url else (None, {})
    )
    return SparkTable(name=name, load=_reader(fmt, url), comment=comment, column_comments=comments)


def _walk(hadoop: _Hadoop, folder: Any, prefix: str) -> Iterator[SparkTable | FailedTable]:
    for name, is_folder, child in hadoop.children(folder):
        relative = f"{prefix}{name}"
        if is_folder:
            if hadoop.is_dataset(child):
                fmt = hadoop.dataset_format(child)
                if fmt is not None:
                    yield _table(relative, fmt, str(child.toString()))
            else:
                yield from _walk(hadoop, child, f"{relative}/")
        elif not name.startswith("_") and _suffix(name):
            yield _table(relative, FORMATS[_suffix(name) or ""], str(child.toString()))


def open_paths(spark: SparkSession, url: str) -> Iterator[SparkTable | FailedTable]:
    """The tables under a file or folder URL (local or any Hadoop filesystem)."""
    try:
        hadoop = _Hadoop(spark, url)
        exists = bool(hadoop.fs.exists(hadoop.root))
        is_folder = exists and bool(hadoop.fs.getFileStatus(hadoop.root).isDirectory())
    except Exception as error:  # py4j raises whatever the filesystem raises
        yield FailedTable(url, _unreadable(url, error))
        return
    if not exists:
        yield FailedTable(
            url, SourceError("source_not_found", f"找不到数据源：{url}", f"no such path: {url}")
        )
        return
    name = str(hadoop.root.getName()) or url
    if not is_folder:
        suffix = _suffix(name)
        if suffix is None:
            yield FailedTable(
                name,
                SourceError(
                    "unsupported_format",
                    f"Spark 引擎不支持的文件格式“{name}”：支持 Parquet、ORC、CSV/TSV",
                    f"the Spark engine reads Parquet, ORC and CSV/TSV, not {name}",
                ),
            )
            return
        yield _table(name, FORMATS[suffix], url)
        return
    if hadoop.is_dataset(hadoop.root):
        fmt = hadoop.dataset_format(hadoop.root)
        if fmt is not None:
            yield _table(name, fmt, url)
            return
    found = False
    for table in _walk(hadoop, hadoop.root, ""):
        found = True
        yield table
    if not found:
        yield FailedTable(
            name,
            SourceError(
                "no_supported_files",
                f"文件夹“{url}”中没有 Spark 引擎可扫描的文件（Parquet、ORC、CSV/TSV）",
                f"no Parquet, ORC or CSV files under {url}",
            ),
        )


def _jdbc_reader(url: str, dbtable: str) -> Callable[[SparkSession], DataFrame]:
    def load(spark: SparkSession) -> DataFrame:
        return (
            spark.read.format("jdbc")
            .option("url", url)
            .option("dbtable", dbtable)
            .option("pushDownAggregate", "true")
            .load()
        )

    return load


def _quote(identifier: str) -> str:
    return identifier if identifier.replace("_", "").isalnum() else f'"{identifier}"'


def _jdbc_catalog(spark: SparkSession, url: str) -> list[_Catalogued]:
    """Every table and view with its remarks, declared types and keys, via JDBC metadata."""
    jvm: Any = spark._jvm
    gateway: Any = spark.sparkContext._gateway
    connection = jvm.java.sql.DriverManager.getConnection(url)
    try:
        meta = connection.getMetaData()
        types = gateway.new_array(jvm.java.lang.String, 2)
        types[0], types[1] = "TABLE", "VIEW"
        found: list[tuple[str | None, str, str | None]] = []
        result = meta.getTables(None, None, "%", types)
        while result.next():
            schema = result.getString("TABLE_SCHEM")
            if schema is not None and str(schema).lower() in _SKIP_SCHEMAS:
                continue
            remark = result.getString("REMARKS")
            found.append(
                (
                    None if schema is None else str(schema),
                    str(result.getString("TABLE_NAME")),
                    remark,
                )
            )
        tables = []
        for schema, table, remark in sorted(found, key=lambda item: (item[0] or "", item[1])):
            primary: set[str] = set()
            keys_found = meta.getPrimaryKeys(None, schema, table)
            while keys_found.next():
                primary.add(str(keys_found.getString("COLUMN_NAME")))
            item = _Catalogued(
                name=table if schema in (None, "", "public", "main") else f"{schema}.{table}",
                comment=str(remark) if remark else None,
                columns={},
                types={},
                keys={},
            )
            described = meta.getColumns(None, schema, table, "%")
            while described.next():
                column = str(described.getString("COLUMN_NAME"))
                column_remark = described.getString("REMARKS")
                if column_remark:
                    item.columns[column] = str(column_remark)
                size = described.getInt("COLUMN_SIZE")
                item.types[column] = canonical_sql_type(
                    str(described.getString("TYPE_NAME") or ""), int(size) if size else None
                )
                if str(described.getString("IS_AUTOINCREMENT") or "").upper() == "YES":
                    item.keys[column] = "auto_increment"
                elif column in primary:
                    item.keys[column] = "primary"
            tables.append(item)
        return tables
    finally:
        connection.close()


def open_jdbc(
    spark: SparkSession, url: str, table: str | None = None
) -> Iterator[SparkTable | FailedTable]:
    """One JDBC table (``table``), or every table and view the connection lists."""
    shown = url.split("?")[0]
    try:
        url = check_jdbc_url(url)
    except SourceUrlError as refused:
        yield FailedTable(shown, SourceError(refused.code, refused.message_zh, refused.message_en))
        return
    try:
        catalog = _jdbc_catalog(spark, url)
    except Exception as error:  # py4j raises the driver's SQLException
        if table is None:
            yield FailedTable(shown, _unreadable(shown, error))
            return
        catalog = []
    if table is not None:
        known = {item.name: item for item in catalog}
        item = known.get(table, _Catalogued(table, None, {}, {}, {}))
        yield SparkTable(
            table, _jdbc_reader(url, table), item.comment, item.columns, item.types, item.keys
        )
        return
    for item in catalog:
        dbtable = ".".join(_quote(part) for part in item.name.split("."))
        yield SparkTable(
            item.name,
            _jdbc_reader(url, dbtable),
            item.comment,
            item.columns,
            item.types,
            item.keys,
        )


def open_spark_source(
    spark: SparkSession, source: str, table: str | None = None
) -> Iterator[SparkTable | FailedTable]:
    """The tables of a path/URL or a ``jdbc:`` URL."""
    if source.startswith("jdbc:"):
        yield from open_jdbc(spark, source, table)
    else:
        yield from open_paths(spark, source)
