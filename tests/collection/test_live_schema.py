"""A collection plan read from a live database schema: a PostgreSQL schema (its own login role,
so it sees its own tables only) or a MariaDB database, made and dropped here under unique
names, is registered as the app's source and its catalog applied for an earlier version; then
a column is added and a table created, and the plan holds exactly those, classified, with
evidence naming where each came from. On SQLite and PostgreSQL platform databases, over the
API, the console and the CLI; refused in Chinese, with nothing created, for an unreachable
database, another system's or another unit's source and a file source."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from typer.testing import CliRunner

from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import RunStatus
from eduguard.catalog.schemas import SourceCreate
from eduguard.cli.main import app
from eduguard.collection import flows, live
from eduguard.collection.schemas import PlanCreate
from eduguard.config import Settings, get_settings
from eduguard.db.base import utcnow
from eduguard.reviews.models import ReviewRequest

from .conftest import World, column, table

API = "/api/v1/collection/reviews"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
MARIADB = "mysql+pymysql://root@127.0.0.1:3306"
# the catalog's earlier version: what a scan of the schema before the change left
EARLIER = [
    table(
        "xs_jbxx",
        "学生基本信息",
        [column("xh", "学号", ["STUDENT_NO"]), column("xm", "姓名", ["PERSON_NAME"])],
    ),
    table("kc", "课程", [column("kcm", "课程名", [])]),
]
NEW = {("xs_jbxx", "sfzjh"), ("xs_jz", "jzxm"), ("xs_jz", "jzdh")}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Sources on this machine allowed (the platform's own database server never is)."""
    return settings.model_copy(update={"source_hosts": "127.0.0.1", "source_connect_seconds": 3})


@dataclass
class Source:
    backend: str
    location: str
    engine: Engine  # the owner's connection, to change the schema

    def change(self) -> None:
        """A column added to a table the catalog has, and a new table."""
        with self.engine.begin() as connection:
            if self.backend == "postgresql":
                connection.execute(text("ALTER TABLE xs_jbxx ADD COLUMN sfzjh VARCHAR(18)"))
                connection.execute(text("COMMENT ON COLUMN xs_jbxx.sfzjh IS '身份证号'"))
                connection.execute(text("CREATE TABLE xs_jz (jzxm VARCHAR(50), jzdh VARCHAR(20))"))
                connection.execute(text("COMMENT ON COLUMN xs_jz.jzxm IS '家长姓名'"))
                connection.execute(text("COMMENT ON COLUMN xs_jz.jzdh IS '家长手机号码'"))
            else:
                connection.execute(
                    text("ALTER TABLE xs_jbxx ADD COLUMN sfzjh VARCHAR(18) COMMENT '身份证号'")
                )
                connection.execute(
                    text(
                        "CREATE TABLE xs_jz (jzxm VARCHAR(50) COMMENT '家长姓名', "
                        "jzdh VARCHAR(20) COMMENT '家长手机号码') DEFAULT CHARSET=utf8mb4"
                    )
                )


def _before(connection: Any, backend: str) -> None:
    if backend == "postgresql":
        connection.execute(text("CREATE TABLE xs_jbxx (xh VARCHAR(20) PRIMARY KEY, xm TEXT)"))
        connection.execute(text("COMMENT ON COLUMN xs_jbxx.xh IS '学号'"))
        connection.execute(text("CREATE TABLE kc (kcm TEXT)"))
        connection.execute(text("INSERT INTO xs_jbxx VALUES ('S0001', '学生甲')"))
        return
    connection.execute(
        text(
            "CREATE TABLE xs_jbxx (xh VARCHAR(20) PRIMARY KEY COMMENT '学号', "
            "xm VARCHAR(50) COMMENT '姓名') DEFAULT CHARSET=utf8mb4"
        )
    )
    connection.execute(text("CREATE TABLE kc (kcm VARCHAR(50)) DEFAULT CHARSET=utf8mb4"))
    connection.execute(text("INSERT INTO xs_jbxx VALUES ('S0001', '学生甲')"))


@pytest.fixture(params=["postgresql", "mariadb"])
def source_db(request: pytest.FixtureRequest) -> Iterator[Source]:
    """PostgreSQL: a schema owned by a login role of the same name (its default schema, and
    the only tables it may read); MariaDB: a database of its own. Dropped afterwards."""
    backend, name = request.param, f"eg_src_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{PG}/test" if backend == "postgresql" else f"{MARIADB}/")
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if backend == "postgresql":
            connection.execute(text(f"CREATE ROLE {name} LOGIN"))
            connection.execute(text(f"CREATE SCHEMA {name} AUTHORIZATION {name}"))
        else:
            connection.execute(text(f"CREATE DATABASE {name} DEFAULT CHARSET utf8mb4"))
    location = (
        f"postgresql://{name}@127.0.0.1:5432/test"
        if backend == "postgresql"
        else (f"mysql+pymysql://root@127.0.0.1:3306/{name}")
    )
    owner = create_engine(
        f"postgresql+psycopg://{name}@127.0.0.1:5432/test"
        if backend == "postgresql"
        else f"{MARIADB}/{name}?charset=utf8mb4"
    )
    with owner.begin() as connection:
        _before(connection, backend)
    try:
        yield Source(backend, location, owner)
    finally:
        owner.dispose()
        with admin.connect() as connection:
            if backend == "postgresql":
                connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
                connection.execute(text(f"DROP ROLE {name}"))
            else:
                connection.execute(text(f"DROP DATABASE {name}"))
        admin.engine.dispose()


def register(world: World, system: int, location: str, tables: list[Any] | None) -> int:
    """``location`` registered for ``system``; with ``tables``, a scan's report applied as the
    catalog's version (as tests/retention/conftest.py ``apply_catalog`` does)."""
    with world.factory() as session, session.begin():
        source = catalog_flows.add_source(
            session,
            system,
            SourceCreate(name="家校通业务库", location=location),
            scope="/",
            policy=catalog_service.LocationPolicy(roots=(world.home.parent,)),
        )
        if tables is not None:
            run = catalog_service.queue_run(session, source, requested_by="test")
            run.status, run.started_at, run.finished_at = RunStatus.succeeded, utcnow(), utcnow()
            catalog_flows.apply_run(session, run, {"report_version": 1, "tables": tables})
        return source.id


def reviews(world: World) -> int:
    with world.factory() as session:
        return session.scalar(select(func.count()).select_from(ReviewRequest)) or 0


def platform(world: World) -> str:
    return str(world.client.app.state.settings.database_url).split(":")[0]  # type: ignore[attr-defined]


def create(world: World, source_id: int, system: int | None = None) -> Any:
    return world.client.post(
        API,
        json={
            "system_id": system or world.app,
            "system_type": "jiaxiao_app",
            "source_id": source_id,
        },
    )


def _check_plan(fields: list[dict[str, Any]], version: int = 1) -> None:
    assert {(f["group"], f["name"]) for f in fields} == NEW
    by_name = {f["name"]: f for f in fields}
    assert "CN_RESIDENT_ID" in by_name["sfzjh"]["pi_types"]
    assert "MOBILE_PHONE" in by_name["jzdh"]["pi_types"]
    assert by_name["sfzjh"]["evidence"][0] == (
        f"来自实时数据库结构：新增字段 xs_jbxx.sfzjh（注释“身份证号”）；目录第 {version} 版中没有此字段"
    )
    assert by_name["jzxm"]["evidence"][0].startswith("来自实时数据库结构：新增表 xs_jz.jzxm")


def test_new_columns_and_tables_become_the_plan(world: World, source_db: Source) -> None:
    source_id = register(world, world.app, source_db.location, EARLIER)
    world.login("vendor")
    if source_db.backend == "postgresql" and platform(world).startswith("postgresql"):
        # the platform's own database server is never a source: refused as unreachable, and
        # the plan read with the host check off (the flow the route calls)
        refused = create(world, source_id)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["message"] == "无法连接数据源"
        policy = catalog_flows.source_policy(
            world.client.app.state.settings,  # type: ignore[attr-defined]
            check_hosts=False,
        )
        with world.factory() as session, pytest.raises(live.NothingNew):
            live.live_plan(
                session, system_id=world.app, source_id=source_id, scope="/", policy=policy
            )
        source_db.change()
        with world.factory() as session, session.begin():
            plan = live.live_plan(
                session, system_id=world.app, source_id=source_id, scope="/", policy=policy
            )
            who = flows.person_of(session, "vendor")
            data = PlanCreate(system_id=world.app, system_type="jiaxiao_app")
            plan_id = flows.request(session, data, plan, who).id
        fields = [f.model_dump() for f in flows_read(world, plan_id)]
    else:
        nothing = create(world, source_id)
        assert nothing.status_code == 422, nothing.text
        assert nothing.json()["error"]["code"] == "live_schema_nothing_new"
        assert "没有新增的表或字段" in nothing.json()["error"]["message"]
        assert reviews(world) == 0
        source_db.change()
        made = create(world, source_id)
        assert made.status_code == 201, made.text
        assert made.json()["source_kind"] == "live_schema"
        assert made.json()["source_name"] == "家校通业务库（数据库实时结构）"
        fields = made.json()["fields"]
    _check_plan(fields)
    assert reviews(world) == 1


def flows_read(world: World, plan_id: int) -> list[Any]:
    with world.factory() as session:
        return flows.read(session, plan_id, flows.person_of(session, "vendor")).fields


@pytest.mark.parametrize("source_db", ["mariadb"], indirect=True)
def test_console_lists_database_sources_and_reads_one(world: World, source_db: Source) -> None:
    source_id = register(world, world.app, source_db.location, EARLIER)
    source_db.change()
    world.login("vendor")
    form = world.client.get("/collection/new")
    assert "从已登记的数据库读取新增表和字段" in form.text
    assert f'<option value="{source_id}" >家校通业务库</option>' in form.text
    data = {
        "system_id": str(world.app),
        "system_type": "jiaxiao_app",
        "source_id": str(source_id),
        "csrf_token": world.client.headers["X-CSRF-Token"],
    }
    both = world.client.post("/collection/new", data=data | {"form": "姓名"})
    assert both.status_code == 422 and "请只选择一种方式" in both.text
    assert reviews(world) == 0
    done = world.client.post("/collection/new", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    plan_id = int(re.fullmatch(r"/collection/(\d+)", done.headers["location"])[1])  # type: ignore[index]
    page = world.client.get(f"/collection/{plan_id}").text
    assert "来自实时数据库结构：新增字段 xs_jbxx.sfzjh" in page
    _check_plan([f.model_dump() for f in flows_read(world, plan_id)])


def test_refusals_in_chinese_create_nothing(world: World, tmp_path: Path) -> None:
    client = world.client
    other = client.post("/api/v1/systems", json={"name": "校园一卡通", "unit_id": world.school})
    other_source = register(world, other.json()["id"], "mysql+pymysql://u@10.0.0.9/ykt", [])
    county_source = register(world, world.xueji, "mysql+pymysql://u@10.0.0.9/xj", [])
    closed = register(world, world.app, "mysql+pymysql://u:pw-Secret-1@127.0.0.1:1/none", [])
    csv = tmp_path / "名单.csv"
    csv.write_text("姓名,身份证号\n", encoding="utf-8")
    file_source = register(world, world.app, str(csv), None)
    world.login("vendor")
    cases = {
        other_source: ("live_source_other_system", "不属于所选的信息系统"),
        county_source: ("source_not_found", "数据源不存在"),
        file_source: ("live_source_not_database", "是文件数据源，不是数据库"),
        closed: ("live_db_connect_failed", "无法连接数据源"),
    }
    for source_id, (code, words) in cases.items():
        refused = create(world, source_id)
        assert refused.status_code in (404, 422), refused.text
        assert refused.json()["error"]["code"] == code, refused.text
        assert words in refused.json()["error"]["message"]
        assert "pw-Secret-1" not in refused.text
    both = client.post(
        API,
        json={"system_id": world.app, "system_type": "jiaxiao_app", "source_id": 1, "form": "姓名"},
    )
    assert both.status_code == 422
    too_big = create(world, 2**31)
    assert too_big.status_code == 422
    assert reviews(world) == 0


@pytest.mark.parametrize("source_db", ["mariadb"], indirect=True)
def test_cli_check_from_a_source(
    world: World, source_db: Source, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source_id = register(world, world.app, source_db.location, EARLIER)
    closed = register(world, world.app, "mysql+pymysql://u@127.0.0.1:1/none", [])
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setenv("EDUGUARD_HOME", str(settings.home))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setenv("EDUGUARD_SOURCE_HOSTS", "127.0.0.1")
    monkeypatch.setenv("EDUGUARD_SOURCE_CONNECT_SECONDS", "3")
    get_settings.cache_clear()

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, ["collection", "check", "--system", str(world.app), *args])

    try:
        nothing = run("--source", str(source_id))
        assert nothing.exit_code == 0, nothing.output
        assert "没有新增的表或字段" in nothing.output
        source_db.change()
        found = run("--source", str(source_id), "--format", "json")
        assert found.exit_code == 1, found.output
        document = json.loads(found.output)
        assert document["ok"] is False and document["source_id"] == source_id
        assert {f["name"] for f in document["fields"]} >= {"sfzjh", "jzdh"}
        assert {(f["group"], f["name"]) for f in document["fields"]} <= NEW
        table_out = run("--source", str(source_id))
        assert table_out.exit_code == 1 and "未经采集审核批准" in table_out.output
        plan = tmp_path / "m.sql"
        plan.write_text("CREATE TABLE t (xm varchar(20) COMMENT '姓名');", encoding="utf-8")
        both = run(str(plan), "--source", str(source_id))
        assert both.exit_code == 2 and "二者只能选一" in both.output
        neither = run()
        assert neither.exit_code == 2 and "二者只能选一" in neither.output
        unreachable = run("--source", str(closed))
        assert unreachable.exit_code == 2 and "无法连接数据源" in unreachable.output
        missing = run("--source", "999999")
        assert missing.exit_code == 2 and "数据源不存在" in missing.output
    finally:
        get_settings.cache_clear()
    assert reviews(world) == 0
