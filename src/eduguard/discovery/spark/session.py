"""The SparkSession the Spark engine runs on: local mode by default, any master by URL.

Local mode (``local[*]``, ``local[2]`` …) needs nothing but PySpark and a Java 17+ on the machine.
Launched by ``spark-submit`` (``eduguard.discovery.spark.submit``), the master and every setting
come from ``spark-submit`` and are left alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from pyspark.sql import SparkSession

from eduguard.discovery.sources import DEFAULT_BATCH_ROWS

DEFAULT_MASTER = "local[*]"

# Arrow batches as large as the local engine's batches: the same counting per batch. One
# polars thread per task: Spark runs one task per core, so more threads would only compete.
DEFAULTS = {
    "spark.executorEnv.POLARS_MAX_THREADS": "1",
    "spark.sql.execution.arrow.maxRecordsPerBatch": str(DEFAULT_BATCH_ROWS),
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
    "spark.ui.enabled": "false",
}
# Local mode: few shuffle partitions (only summaries are shuffled).
LOCAL_DEFAULTS = {"spark.sql.shuffle.partitions": "4", "spark.driver.memory": "2g"}


def under_spark_submit() -> bool:
    """Whether this process was started by ``spark-submit`` (its JVM is already running)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def get_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """The active session, or a new one on ``master`` (default ``local[*]``).

    Executors run the same Python as this process unless ``PYSPARK_PYTHON`` says otherwise.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("eduguard-scan")
    settings = dict(DEFAULTS)
    if master is None and not under_spark_submit():
        master = DEFAULT_MASTER
    if master is not None:
        builder = builder.master(master)
        if master.startswith("local"):
            settings.update(LOCAL_DEFAULTS)
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
