"""``eduguard scan --engine spark``: the same scan, on a Spark cluster (or Spark's local mode).

Needs PySpark (``pip install 'eduguard[spark]'``) and Java 17+. The report is the same contract
(../shared/contracts/scan-report.md) as the local engine's, computed by the same detector code:
see :mod:`.engine` for how the work is divided between the driver, the JVM and the executors.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from pyspark.errors import PySparkException
from pyspark.sql import SparkSession

from eduguard.classification import Rules, load_rules
from eduguard.discovery.api import DEFAULT_SAMPLE, ProgressCallback
from eduguard.discovery.report import ScanReport, TableReport
from eduguard.discovery.sources import FailedTable, SourceError
from eduguard.discovery.spark.engine import scan_spark_table
from eduguard.discovery.spark.session import DEFAULT_MASTER, get_session
from eduguard.discovery.spark.sources import SparkTable, _unreadable, open_spark_source

__all__ = ["DEFAULT_MASTER", "get_session", "scan"]

DEFAULT_PARALLEL = 4


def _failed(name: str, error: SourceError) -> TableReport:
    return TableReport(name=name, error={"code": error.code, "message": error.message_zh})


def _scan_one(
    spark: SparkSession, table: SparkTable, sample: int | None, rules: Rules, today: date
) -> TableReport:
    try:
        frame = table.load(spark)
        return scan_spark_table(table, frame, sample=sample, rules=rules, today=today)
    except SourceError as error:
        return _failed(table.name, error)
    except MemoryError:
        raise
    except (PySparkException, Exception) as error:  # py4j/JVM errors of one table
        return _failed(table.name, _unreadable(table.name, error))


def scan(
    source: str,
    *,
    master: str | None = None,
    sample: int | None = DEFAULT_SAMPLE,
    rules: Rules | None = None,
    table: str | None = None,
    progress: ProgressCallback | None = None,
    spark: SparkSession | None = None,
    today: date | None = None,
    parallel: int = DEFAULT_PARALLEL,
) -> ScanReport:
    """Discover, classify and grade every table of ``source`` on Spark.

    ``source`` is a Parquet/ORC/CSV file or folder (local path or Hadoop filesystem URL) or a
    ``jdbc:`` URL (``table``: one table; default every table). ``sample`` rows per table (None:
    all). A table that cannot be read is reported with its error and the scan goes on.
    ``parallel`` tables are scanned at once (each one Spark job after another).
    """
    from eduguard.discovery.api import _now

    spark = spark or get_session(master)
    rules = rules or load_rules(None)
    today = today or date.today()
    report = ScanReport(source=source.split("?")[0], scanned_at=_now())
    tables: list[SparkTable | FailedTable] = list(open_spark_source(spark, source, table))
    # tables are scanned as concurrent Spark jobs: small tables leave the cluster idle otherwise
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        pending = [
            item
            if isinstance(item, FailedTable)
            else pool.submit(_scan_one, spark, item, sample, rules, today)
            for item in tables
        ]
        for item, job in zip(tables, pending, strict=True):
            if isinstance(job, FailedTable):
                report.tables.append(_failed(job.name, job.error))
                continue
            result = job.result()
            report.tables.append(result)
            if progress is not None:
                progress(item.name, result.rows_sampled, result.row_count)
    return report
