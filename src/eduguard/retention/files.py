"""Dispositions on a file source: a CSV/TSV file of a school's folder (issue #20 part 4).

A file has no transactions, so the run works on a *working copy*: the file is loaded once into
a SQLite database under the platform's home (``<home>/retention/run-<id>.sqlite3``), the
executor disposes its rows there in batches with the same write-ahead manifest as on a
database, and the result replaces the file in one atomic rename (written beside it, flushed to
disk, then ``os.replace``). A run killed at any point resumes on the same working copy; the
file itself is either the original or the result, never half-written. The original's SM3 is
kept with the working copy: a file changed by someone else in the meantime is not overwritten.

Values are read exactly as text (every column a string); the date column a rule starts from
is read as a date when it is written as 2021-07-01, 2021/7/1, 2021.7.1, 20210701 or
2021年7月1日 (a time after it is ignored); a row whose date cannot be read is never selected,
and the plan says how many there are. Rows keep their order, the header, the delimiter, the
encoding and the line ending; fields are re-quoted only where CSV needs quotes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from sqlalchemy import Column, Engine, Integer, MetaData, Table, Text, create_engine, insert, select

from eduguard.discovery.connectors.encoding import detect_encoding
from eduguard.errors import Conflict, ValidationFailed

SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None}
ROW = "__eg_row"  # the row's position in the file
DATE_TEXT = "__eg_date_text"  # the date column as written, put back on export
MAX_BYTES = 2 * 1024**3
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:[\sT].*)?$")


def sm3(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def read_date(text: str | None) -> date | None:
    """A date as schools write it, or None."""
    if not text:
        return None
    found = _DATE.match(text) or _COMPACT.match(text)
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def locate(location: str, dataset_name: str) -> Path:
    """The file a dataset of a file source is: the source itself, or a path under its folder."""
    base = Path(location)
    path = base if base.is_file() else base / dataset_name
    resolved = path.resolve()
    root = base.resolve() if base.is_dir() else resolved
    if not resolved.is_relative_to(root) or not resolved.is_file():
        raise ValidationFailed(
            "retention_file_missing",
            f"找不到数据集“{dataset_name}”对应的文件；请重新扫描数据源后再计划",
            "the dataset's file is not there",
        )
    if resolved.suffix.lower() not in SUFFIXES:
        raise ValidationFailed(
            "retention_file_unsupported",
            f"文件“{dataset_name}”不是 CSV/TSV 文本文件：文件数据源目前只能处置 CSV/TSV；"
            "Excel 等文件请导出为 CSV 后登记",
            "only CSV/TSV files can be disposed",
        )
    return resolved


@dataclass(frozen=True)
class Layout:
    """How the original file was written, and its SM3 when it was loaded."""

    encoding: str
    bom: bool
    delimiter: str
    newline: str
    header: list[str]
    sm3: str
    table: str
    date_column: str | None
    unreadable_dates: int

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Layout:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def _bad(name: str, problem: str, english: str) -> ValidationFailed:
    return ValidationFailed(
        "retention_file_invalid", f"文件“{name}”{problem}；未作任何处置", english
    )


def _parse(path: Path, name: str) -> tuple[bytes, str, bool, str, str, list[list[str]]]:
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise _bad(name, "超过 2 GB", "the file is over 2 GB")
    encoding = detect_encoding(path)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise _bad(name, f"中有无法按 {encoding} 解码的内容", "mixed encodings") from None
    bom = text.startswith("\ufeff")
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = SUFFIXES.get(path.suffix.lower()) or max(",\t;|", key=first.count)
    newline = "\r\n" if "\r\n" in text[: len(first) + 2] else "\n"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows or not any(rows[0]):
        raise _bad(name, "没有表头", "no header row")
    return data, encoding, bom, delimiter, newline, rows


def load(
    path: Path, target: Path, *, table: str, key_column: str, date_column: str | None
) -> Layout:
    """The file as a SQLite table at ``target`` (built beside it, then renamed): every column
    text, ``date_column`` as an ISO date. A row of another width than the header, an empty or
    repeated key refuses the file: the disposition would not know which row is which."""
    data, encoding, bom, delimiter, newline, rows = _parse(path, table)
    header = rows[0]
    if key_column not in header or (date_column and date_column not in header):
        missing = key_column if key_column not in header else date_column
        raise _bad(table, f"的表头中没有列“{missing}”", f"no column {missing}")
    if len(set(header)) != len(header):
        raise _bad(table, "的表头有重复的列名", "repeated column names")
    width, key_at = len(header), header.index(key_column)
    date_at = header.index(date_column) if date_column else None
    seen: set[str] = set()
    records: list[dict[str, object]] = []
    unreadable = 0
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue  # a blank line
        if len(row) != width:
            raise _bad(
                table, f"第 {number} 行有 {len(row)} 个字段，表头有 {width} 个", "ragged row"
            )
        key = row[key_at]
        if not key or key in seen:
            problem = "行键为空" if not key else "行键与前面的行重复"
            raise _bad(table, f"第 {number} 行{problem}（列“{key_column}”）", "bad row key")
        seen.add(key)
        record: dict[str, object] = dict(zip(header, row, strict=True))
        record[ROW] = number
        if date_at is not None:
            parsed = read_date(row[date_at])
            unreadable += parsed is None
            record[DATE_TEXT] = row[date_at]
            record[header[date_at]] = parsed.isoformat() if parsed else None
        records.append(record)
    layout = Layout(
        encoding, bom, delimiter, newline, header, sm3(data), table, date_column, unreadable
    )
    building = target.with_suffix(".building")
    building.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{building}")
    try:
        working = _table(layout)
        working.create(engine)
        with engine.begin() as connection:
            for start in range(0, len(records), 5000):
                connection.execute(insert(working), records[start : start + 5000])
    finally:
        engine.dispose()
    layout.save(target.with_suffix(".json"))
    os.replace(building, target)
    return layout


def _table(layout: Layout) -> Table:
    columns: list[Column[Any]] = [Column(ROW, Integer, primary_key=True, autoincrement=False)]
    columns += [Column(name, Text) for name in layout.header]
    if layout.date_column:
        columns.append(Column(DATE_TEXT, Text))
    return Table(layout.table, MetaData(), *columns)


def _date_cell(value: str | None, written: str | None) -> str:
    """The date as it was written; empty only where a disposition emptied a date it read (a
    row whose date could not be read is never selected, so keeps its text)."""
    if value is None and read_date(written) is not None:
        return ""
    return written or ""


def _rendered(layout: Layout, working: Path) -> bytes:
    table = _table(layout)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=layout.delimiter, lineterminator=layout.newline)
    writer.writerow(layout.header)
    engine = create_engine(f"sqlite:///{working}")
    try:
        with engine.connect() as connection:
            for row in connection.execute(select(table).order_by(table.c[ROW])):
                values = row._mapping
                writer.writerow(
                    [
                        _date_cell(values[name], values[DATE_TEXT])
                        if name == layout.date_column
                        else (values[name] or "")
                        for name in layout.header
                    ]
                )
    finally:
        engine.dispose()
    return (("\ufeff" if layout.bom else "") + out.getvalue()).encode(layout.encoding)


def replace(path: Path, working: Path) -> None:
    """The working copy's rows become the file: refused if the file changed since it was
    loaded (someone else's edit is never overwritten); done already is done."""
    layout = Layout.load(working.with_suffix(".json"))
    result = _rendered(layout, working)
    current = sm3(path.read_bytes())
    if current == sm3(result):
        return  # replaced before a crash: nothing to do
    if current != layout.sm3:
        raise Conflict(
            "retention_file_changed",
            f"文件“{layout.table}”在处置开始后被修改过；为免覆盖他人的修改，未写回。"
            "请核对文件后取消本任务并重新计划",
            "the file changed after the disposition started",
        )
    with tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".eg", delete=False
    ) as handle:
        handle.write(result)
        handle.flush()
        os.fsync(handle.fileno())
        temporary = Path(handle.name)
    try:
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def working_path(work_dir: Path, run_id: int) -> Path:
    return work_dir / f"run-{run_id}.sqlite3"


def open_working(
    path: Path,
    working: Path,
    *,
    table: str,
    key_column: str,
    date_column: str | None,
) -> Engine:
    """The run's working copy, loaded from the file the first time."""
    if not working.exists():
        working.parent.mkdir(parents=True, exist_ok=True)
        load(path, working, table=table, key_column=key_column, date_column=date_column)
    return create_engine(f"sqlite:///{working}")


def discard(working: Path) -> None:
    for leftover in (working, working.with_suffix(".json"), working.with_suffix(".building")):
        leftover.unlink(missing_ok=True)


@contextmanager
def snapshot(
    path: Path, *, table: str, key_column: str, date_column: str | None
) -> Iterator[tuple[Engine, Layout]]:
    """A throw-away copy of the file for a dry run (nothing is written to the file)."""
    with tempfile.TemporaryDirectory(prefix="eduguard-plan-") as folder:
        target = Path(folder) / "plan.sqlite3"
        layout = load(path, target, table=table, key_column=key_column, date_column=date_column)
        engine = create_engine(f"sqlite:///{target}")
        try:
            yield engine, layout
        finally:
            engine.dispose()
