"""Fixtures for the scan tests: synthetic rows, files in every format, real databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from eduguard.discovery.connectors import open_source
from eduguard.discovery.sources import FailedTable, TableSource

POSTGRES_URL = os.environ.get(
    "EDUGUARD_TEST_POSTGRES_URL", "postgresql://postgres:root@127.0.0.1:5432/test"
)
MARIADB_URL = os.environ.get(
    "EDUGUARD_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(body17: str) -> str:
    """A synthetic resident ID with a valid GB 11643 check digit."""
    total = sum(int(digit) * weight for digit, weight in zip(body17, _WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


HEADER = ["姓名", "身份证号", "手机号", "邮箱", "家庭住址", "备注"]
ROWS = [
    [
        "张三",
        resident_id("11010520150307123"),
        "13800138000",
        "zhangsan@school.example",
        "北京市朝阳区建国路88号",
        "家长王芳电话13912345678",
    ],
    [
        "李四",
        resident_id("44030420140512321"),
        "+86 139 1234 5678",
        "lisi@school.example",
        "广东省深圳市南山区科技园路1号",
        "",
    ],
    [
        "欧阳娜娜",
        resident_id("31010119800101002"),
        "15900001111",
        "oyn@school.example",
        "上海市浦东新区世纪大道100号",
        "过敏：花生",
    ],
]


def collect(source: str | Path) -> list[TableSource | FailedTable]:
    return list(open_source(str(source)))


def read_all(table: TableSource | FailedTable, batch_rows: int = 50_000) -> pl.DataFrame:
    assert not isinstance(table, FailedTable), table
    frames = list(table.batches(batch_rows=batch_rows))
    return pl.concat(frames, how="diagonal")


def write_delimited(path: Path, encoding: str, delimiter: str = ",", bom: bool = False) -> Path:
    lines = [delimiter.join(HEADER)] + [delimiter.join(row) for row in ROWS]
    data = ("\n".join(lines) + "\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


@pytest.fixture
def unique_name() -> str:
    return f"eg_scan_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def postgres_engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()


@pytest.fixture
def mariadb_engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine(MARIADB_URL)
    yield engine
    engine.dispose()
