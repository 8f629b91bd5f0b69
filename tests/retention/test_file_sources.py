"""Dispositions on a file source: a school's GBK CSV of graduates in a shared folder. The plan
counts on a copy of the file; execution works on a working copy and replaces the file in one
rename; a crash before or after the rename resumes with every row done once; a file someone
else changed meanwhile is not overwritten; a broken file changes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from eduguard.errors import EduguardError
from eduguard.retention import dispositions
from eduguard.retention import files as file_sources
from eduguard.retention.models import DispositionRun, ManifestEntry, RunStatus

from .conftest import OLD, World, apply_catalog, column, graduate_rule, table

NAME = "毕业生/xs_biye.csv"
KEPT = 20
UNDATED = 2


class Crash(Exception):
    pass


def _written(day: date, n: int) -> str:
    """The dates as a school's spreadsheet writes them: mixed formats."""
    return [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y%m%d") + " 00:00:00",
    ][n % 4]


def _csv(today: date) -> str:
    lines = ["学号,姓名,手机号,biye_rq"]
    for n in range(OLD + KEPT):
        years = 4 + n % 2 if n < OLD else 1
        day = today - timedelta(days=365 * years + 30)
        lines.append(f"S{n:05d},学生{n:03d},1390000{n:04d},{_written(day, n)}")
    lines += [f'U{n:05d},"学生,未详{n}",1380000{n:04d},不详' for n in range(UNDATED)]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def share(world: World, tmp_path: Path) -> tuple[Path, int]:
    folder = tmp_path / "share"
    (folder / "毕业生").mkdir(parents=True)
    (folder / NAME).write_bytes(_csv(date.today()).encode("gbk"))
    columns = [
        column("学号", "学号", ["STUDENT_NO"]),
        column("姓名", "姓名", ["PERSON_NAME"]),
        column("手机号", "手机号", ["MOBILE_PHONE"]),
        column("biye_rq", "毕业日期", []),
    ]
    apply_catalog(world.client, world.system, str(folder), (tmp_path,), [table(NAME, "", columns)])
    found = world.client.get("/api/v1/catalog/datasets", params={"system_id": world.system})
    dataset = {d["name"]: d["id"] for d in found.json()}[NAME]
    return folder / NAME, dataset


def _rule(world: World, dataset: int, **overrides: Any) -> None:
    world.login("owner1")
    body = graduate_rule(key_column="学号", **overrides)
    saved = world.client.put(f"/api/v1/retention/datasets/{dataset}/rule", json=body)
    assert saved.status_code == 200, saved.text


def _approved(world: World, dataset: int) -> int:
    with world.factory.begin() as session:
        run = dispositions.plan(session, dataset, scope="/", by="pio1")
        assert (run.rows_before, run.selected) == (OLD + KEPT + UNDATED, OLD)
        assert f"另有 {UNDATED} 行日期无法识别" in run.selection_sql, run.selection_sql
        dispositions.submit(session, run.id, dispositions.person_of(session, "pio1"), scope="/")
        run_id = run.id
    for approver in ("owner1", "sec1"):
        with world.factory.begin() as session:
            person = dispositions.person_of(session, approver)
            dispositions.decide(session, run_id, person, "approve", "同意处置", scope="/")
    return run_id


def _rows(path: Path, encoding: str = "gbk") -> list[str]:
    return path.read_bytes().decode(encoding).split("\r\n")


def test_delete_with_crashes_before_and_after_the_rename(
    world: World, share: tuple[Path, int], tmp_path: Path
) -> None:
    path, dataset = share
    original = path.read_bytes()
    _rule(world, dataset)
    run_id = _approved(world, dataset)
    assert path.read_bytes() == original  # planning reads a copy

    def crash_in_batch_2(phase: str, batch: int) -> None:
        if (phase, batch) == ("source", 2):
            raise Crash

    keys = tmp_path / "home" / "keys"
    with pytest.raises(Crash):
        dispositions.execute(
            world.factory,
            run_id,
            executor_name="t",
            keys_dir=keys,
            batch_size=7,
            hook=crash_in_batch_2,
        )
    assert path.read_bytes() == original  # the file is untouched until the rename
    assert file_sources.working_path(keys.parent / "retention", run_id).exists()

    def crash_after_rename(phase: str, _batch: int) -> None:
        if phase == "replaced":
            raise Crash

    with pytest.raises(Crash):
        dispositions.execute(
            world.factory, run_id, executor_name="t", keys_dir=keys, hook=crash_after_rename
        )
    replaced = path.read_bytes()
    lines = _rows(path)
    assert lines[0] == "学号,姓名,手机号,biye_rq" and lines[-1] == ""  # CRLF kept, GBK kept
    kept = [line for line in lines[1:] if line]
    assert len(kept) == KEPT + UNDATED
    assert [line.split(",")[0] for line in kept[:KEPT]] == [
        f"S{n:05d}" for n in range(OLD, OLD + KEPT)
    ]
    assert kept[KEPT] == 'U00000,"学生,未详0",13800000000,不详'
    for line, n in zip(kept[:KEPT], range(OLD, OLD + KEPT), strict=True):  # dates as written
        day = date.today() - timedelta(days=365 + 30)
        assert line.endswith("," + _written(day, n)), line
    dispositions.execute(world.factory, run_id, executor_name="t", keys_dir=keys)
    assert path.read_bytes() == replaced
    assert not file_sources.working_path(keys.parent / "retention", run_id).exists()
    with world.factory() as session:
        run = session.get_one(DispositionRun, run_id)
        assert (run.status, run.processed) == (RunStatus.completed, OLD)
        assert (run.rows_after, run.remaining_after) == (KEPT + UNDATED, 0)
        hashes = session.scalars(
            select(ManifestEntry.key_hash).where(ManifestEntry.run_id == run_id)
        ).all()
        assert len(hashes) == len(set(hashes)) == OLD
        certificate = json.loads(run.certificate or "{}")
    assert certificate["verification"]["remaining_selected"] == 0


def test_anonymise_keeps_the_bom_and_empties_personal_columns(
    world: World, share: tuple[Path, int], tmp_path: Path
) -> None:
    path, dataset = share
    path.write_bytes(b"\xef\xbb\xbf" + _csv(date.today()).encode("utf-8"))
    _rule(world, dataset, disposition="anonymise")
    run_id = _approved(world, dataset)
    dispositions.execute(world.factory, run_id, executor_name="t", keys_dir=tmp_path / "k")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = [line for line in _rows(path, "utf-8-sig")[1:] if line]
    assert len(lines) == OLD + KEPT + UNDATED
    assert all(line.split(",")[1:3] == ["", ""] for line in lines[:OLD])
    assert all(
        line.split(",")[1] == f"学生{n:03d}" for n, line in enumerate(lines[OLD : OLD + KEPT], OLD)
    )


def test_a_file_changed_meanwhile_is_not_overwritten(
    world: World, share: tuple[Path, int], tmp_path: Path
) -> None:
    path, dataset = share
    _rule(world, dataset)
    run_id = _approved(world, dataset)

    def crash(phase: str, batch: int) -> None:
        if (phase, batch) == ("source", 1):
            raise Crash

    keys = tmp_path / "k"
    with pytest.raises(Crash):
        dispositions.execute(
            world.factory, run_id, executor_name="t", keys_dir=keys, batch_size=5, hook=crash
        )
    edited = path.read_bytes() + "S99999,新生,13900009999,2026-09-01\r\n".encode("gbk")
    path.write_bytes(edited)
    with pytest.raises(EduguardError) as refused:
        dispositions.execute(world.factory, run_id, executor_name="t", keys_dir=keys)
    assert refused.value.code == "retention_file_changed"
    assert "被修改" in refused.value.message_zh
    assert path.read_bytes() == edited
    with world.factory() as session:
        assert session.get_one(DispositionRun, run_id).status == RunStatus.running


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("学号,姓名,手机号,biye_rq\r\nS1,甲,1,2019-01-01\r\nS2,乙\r\n", "第 3 行有 2 个字段"),
        (
            "学号,姓名,手机号,biye_rq\r\nS1,甲,1,2019-01-01\r\nS1,乙,2,2019-01-01\r\n",
            "行键与前面的行重复",
        ),
        ("学号,姓名,手机号,biye_rq\r\n,甲,1,2019-01-01\r\n", "行键为空"),
        ("姓名,手机号\r\n甲,1\r\n", "表头中没有列“学号”"),
    ],
)
def test_a_broken_file_is_refused_and_nothing_is_planned(
    world: World, share: tuple[Path, int], content: str, problem: str
) -> None:
    path, dataset = share
    path.write_bytes(content.encode("gbk"))
    _rule(world, dataset)
    with world.factory() as session, pytest.raises(EduguardError) as refused:
        dispositions.plan(session, dataset, scope="/", by="pio1")
    assert problem in refused.value.message_zh and "未作任何处置" in refused.value.message_zh
    with world.factory() as session:
        assert session.scalars(select(DispositionRun)).all() == []
    assert path.read_bytes() == content.encode("gbk")


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2021-07-01", date(2021, 7, 1)),
        ("2021/7/1", date(2021, 7, 1)),
        ("2021.07.01", date(2021, 7, 1)),
        ("2021年7月1日", date(2021, 7, 1)),
        ("20210701", date(2021, 7, 1)),
        ("2021-07-01 08:30:00", date(2021, 7, 1)),
        ("2021-02-30", None),
        ("不详", None),
        ("", None),
        ("7/1/2021", None),
    ],
)
def test_dates_as_schools_write_them(written: str, read: date | None) -> None:
    assert file_sources.read_date(written) == read
