"""A plan counts the rows it selects by the subject's age — under 14, 14 to 17, adults, unknown —
from a birth-date column or else the birth date inside an ID number; reviewers see it on the
run page and in the API, the certificate carries it."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from stdnum.cn import ric

from eduguard.retention import dispositions

from .conftest import World, apply_catalog, column, graduate_rule, table

TODAY = date(2026, 12, 4)
GRADUATED = "2020-07-01"  # expired under the 3-year rule
BIRTHS = [
    "2015-01-01",  # 11: under 14
    "2012-12-05",  # 13, fourteen tomorrow: under 14
    "2012-12-04",  # fourteen today: 14 to 17
    "2010-06-01",  # 16
    "2000-01-01",  # adult
    None,  # unknown
    "不详",  # unknown
]
EXPECTED = {"under_14": 2, "minor": 2, "adult": 1, "unknown": 2}


def _id_number(born: str | None, n: int) -> str | None:
    """A synthetic resident ID number with a valid check digit (region 110105)."""
    if born is None or not born[0].isdigit():
        return "110105XXXXXXXX001X" if born else None
    body = f"110105{born.replace('-', '')}{n:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function skips the last digit


def _source(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.executescript(
        "CREATE TABLE xs_dj (xh TEXT PRIMARY KEY, csrq TEXT, biye_rq DATE);"
        "CREATE TABLE xs_zj (xh TEXT PRIMARY KEY, sfzjh TEXT, biye_rq DATE);"
        "CREATE TABLE xs_wu (xh TEXT PRIMARY KEY, xm TEXT, biye_rq DATE);"
    )
    for n, born in enumerate(BIRTHS):
        key = f"S{n:03d}"
        connection.execute("INSERT INTO xs_dj VALUES (?, ?, ?)", (key, born, GRADUATED))
        connection.execute(
            "INSERT INTO xs_zj VALUES (?, ?, ?)", (key, _id_number(born, n), GRADUATED)
        )
        connection.execute("INSERT INTO xs_wu VALUES (?, ?, ?)", (key, f"学生{n}", GRADUATED))
    # graduated last year: not selected, whatever its age
    connection.execute("INSERT INTO xs_dj VALUES ('S999', '2016-01-01', '2026-07-01')")
    connection.execute(
        "INSERT INTO xs_zj VALUES ('S999', ?, '2026-07-01')", (_id_number("2016-01-01", 999),)
    )
    connection.commit()
    connection.close()


@pytest.fixture
def datasets(world: World, tmp_path: Path) -> dict[str, int]:
    path = tmp_path / "register.db"
    _source(path)
    system = world.client.post(
        "/api/v1/systems", json={"name": "一中学籍登记系统", "unit_id": world.school}
    ).json()["id"]
    tables = [
        table("xs_dj", "学籍登记", [column("xh", "学号", ["STUDENT_NO"]),
              column("csrq", "出生日期", ["BIRTH_DATE"]), column("biye_rq", "毕业日期", [])]),
        table("xs_zj", "证件", [column("xh", "学号", ["STUDENT_NO"]),
              column("sfzjh", "身份证件号", ["CN_RESIDENT_ID"]), column("biye_rq", "毕业日期", [])]),
        table("xs_wu", "名单", [column("xh", "学号", ["STUDENT_NO"]),
              column("xm", "姓名", ["PERSON_NAME"]), column("biye_rq", "毕业日期", [])]),
    ]  # fmt: skip
    apply_catalog(world.client, system, f"sqlite:///{path}", (tmp_path,), tables)
    found = world.client.get("/api/v1/catalog/datasets", params={"system_id": system}).json()
    ids = {d["name"]: d["id"] for d in found}
    world.login("owner1")
    for dataset in ids.values():
        rule = world.client.put(f"/api/v1/retention/datasets/{dataset}/rule", json=graduate_rule())
        assert rule.status_code == 200, rule.text
    return ids


@pytest.mark.parametrize("name", ["xs_dj", "xs_zj"])
def test_selected_rows_by_age(world: World, datasets: dict[str, int], name: str) -> None:
    with world.factory.begin() as session:
        run = dispositions.plan(session, datasets[name], scope="/", by="pio1", today=TODAY)
        assert run.selected == len(BIRTHS)
        assert json.loads(run.subject_classes or "{}") == EXPECTED
        run_id = run.id
    world.login("pio1")
    read = world.client.get(f"/api/v1/retention/runs/{run_id}")
    assert read.status_code == 200, read.text
    assert read.json()["subject_classes"] == EXPECTED
    page = world.client.get(f"/retention/runs/{run_id}")
    assert "不满十四周岁 2 · 十四至十七周岁 2 · 成年 1 · 无法判断 2" in page.text


def test_without_an_age_column_the_page_says_so(world: World, datasets: dict[str, int]) -> None:
    with world.factory.begin() as session:
        run = dispositions.plan(session, datasets["xs_wu"], scope="/", by="pio1", today=TODAY)
        assert run.subject_classes is None
        run_id = run.id
    world.login("pio1")
    assert world.client.get(f"/api/v1/retention/runs/{run_id}").json()["subject_classes"] is None
    page = world.client.get(f"/retention/runs/{run_id}")
    assert "没有出生日期或身份证件号列" in page.text


def test_the_certificate_carries_the_classes(
    world: World, datasets: dict[str, int], tmp_path: Path
) -> None:
    with world.factory.begin() as session:
        source = dispositions.catalog_service.get_dataset(session, datasets["xs_dj"]).source_id
        dispositions.register_write_credential(session, source, "", None, scope="/", by="owner1")
        run = dispositions.plan(session, datasets["xs_dj"], scope="/", by="pio1", today=TODAY)
        dispositions.submit(session, run.id, dispositions.person_of(session, "pio1"), scope="/")
        run_id = run.id
    for approver in ("owner1", "sec1"):
        with world.factory.begin() as session:
            person = dispositions.person_of(session, approver)
            dispositions.decide(session, run_id, person, "approve", "同意处置", scope="/")
    dispositions.execute(world.factory, run_id, executor_name="t", keys_dir=tmp_path / "k")
    world.login("pio1")
    document = world.client.get(f"/api/v1/retention/runs/{run_id}/certificate.json").json()
    assert document["counts"]["selected_by_subject_class"] == EXPECTED
