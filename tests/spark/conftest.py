"""Fixtures of the Spark engine tests: one local[2] SparkSession for the whole test session.

PySpark and Java 17 are needed (``pip install 'eduguard[spark]'``); without PySpark the tests are
skipped with that reason. The PostgreSQL JDBC driver comes from Debian's
``libpostgresql-jdbc-java`` (scripts/test installs it): Maven Central is not reachable here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# the labelled corpus of the discovery tests (tests/discovery/corpus.py) is reused as it is
sys.path.insert(0, str(Path(__file__).parents[1] / "discovery"))

POSTGRES_JAR = Path("/usr/share/java/postgresql.jar")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs on a local[2] Apache Spark session")
    # PySpark 4.x warns on import that it does not yet fully support pandas 3 (it uses pandas
    # only for pandas UDFs, which the engine does not use: it exchanges Arrow batches).
    config.addinivalue_line(
        "filterwarnings",
        "ignore:PySpark does not yet fully support pandas:FutureWarning",
    )


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    pytest.importorskip("pyspark", reason="the Spark engine needs PySpark: pip install '.[spark]'")
    from eduguard.discovery.spark import get_session

    conf = {"spark.sql.shuffle.partitions": "2"}
    if POSTGRES_JAR.exists():
        conf |= {"spark.jars": str(POSTGRES_JAR), "spark.driver.extraClassPath": str(POSTGRES_JAR)}
    session = get_session("local[2]", conf)
    yield session
    session.stop()
