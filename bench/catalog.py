"""Catalog benchmark at provincial scale on PostgreSQL: supervisor dashboard and catalog search.

    .venv/bin/python bench/catalog.py                              # 10,000 systems, 2,000,000 fields
    .venv/bin/python bench/catalog.py --systems 1000 --repeats 10  # quicker

A unit tree of 1 province, 14 cities, 100 counties and 3,000 schools; ``--systems`` information
systems (one in ten at a county, the rest spread evenly over the schools), each with one source, 20 datasets and
10 fields a dataset (``--systems`` × 200 fields), generated **in the database** with
generate_series (the field names, PI types, levels and review states cycle through a fixed
vocabulary). The per-system counts are then computed by the real ``stats.refresh_all``.

Timed through the real service functions, each run in a fresh session (median and p95 of
``--repeats`` runs after 3 warm-up runs), against the 300 ms target:

* dashboard (province / city / county): ``dashboard.charts`` + ``dashboard.rollup`` plus the
  compliance posture the page adds for callers who may read it (``subtree_postures`` of the
  unit and of every ranked unit below) — what ``/dashboard`` runs; a school: ``dashboard.charts``
  and its posture. Four open compliance findings per system (``--findings``) are generated too;
* catalog search: ``service.list_fields`` (500 rows, scoped by the unit tree) converted with
  ``flows.field_read`` as ``GET /api/v1/catalog/fields`` does — by field name, by PI type and by
  level, at province and at county scope, plus a name that matches nothing (a full scan).

Everything lives in a schema of its own (``eg_bench_…``), dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from eduguard.catalog import dashboard, flows, service, stats
from eduguard.compliance import flows as compliance_flows
from eduguard.db import migrate
from eduguard.db.engine import make_engine, make_session_factory
from eduguard.orgs.models import Unit

PG_SERVER = os.environ.get("EDUGUARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_MS = 300.0
CITIES, COUNTIES, SCHOOLS = 14, 100, 3000
FIRST_COUNTY, FIRST_SCHOOL = 2 + CITIES, 2 + CITIES + COUNTIES
VOCABULARY = (
    # (field name, PI types, proposed level, sensitive)
    ("xm", "PERSON_NAME", "general-3", False),
    ("sfzjh", "CN_RESIDENT_ID", "general-4", True),
    ("xh", "STUDENT_NO", "general-3", False),
    ("lxdh", "MOBILE_PHONE", "general-3", False),
    ("csrq", "BIRTH_DATE", "general-3", False),
    ("jtzz", "ADDRESS", "general-3", False),
    ("bzrxm", "PERSON_NAME", "general-3", False),
    ("bjmc", "", "general-1", False),
    ("kscj", "", "general-2", False),
    ("jkzk", "HEALTH", "general-4", True),
    ("yhkh", "BANK_CARD", "general-4", True),
    ("dzyx", "EMAIL", "general-3", False),
    ("xb", "GENDER", "general-2", False),
    ("mz", "ETHNICITY", "general-2", False),
    ("zzmm", "", "general-2", False),
    ("jg", "", "general-2", False),
    ("rxsj", "", "general-1", False),
    ("bz", "", "general-1", False),
    ("kcdm", "", "important", False),
    ("fs", "", "general-2", False),
)


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def generate(engine: Engine, systems: int) -> float:
    """Load the unit tree and the catalog with INSERT … SELECT generate_series; seconds taken."""
    names = _array([v[0] for v in VOCABULARY])
    types = _array([v[1] for v in VOCABULARY])
    levels = _array([v[2] for v in VOCABULARY])
    sensitive = "ARRAY[" + ", ".join("true" if v[3] else "false" for v in VOCABULARY) + "]"
    count = len(VOCABULARY)
    # field f of dataset d: a vocabulary entry distinct within the dataset
    pick = f"1 + ((f % 10) + (f / 10) % 11) % {count}"
    statements = [
        "INSERT INTO units (id, name, kind, parent_id, path, archived, created_at, updated_at)"
        " VALUES (1, '某省教育厅', 'province', NULL, '/1/', false, now(), now())",
        "INSERT INTO units (id, name, kind, parent_id, path, archived, created_at, updated_at)"
        f" SELECT 2 + i, '第' || i || '市教育局', 'city', 1, '/1/' || (2 + i) || '/', false,"
        f" now(), now() FROM generate_series(0, {CITIES - 1}) i",
        "INSERT INTO units (id, name, kind, parent_id, path, archived, created_at, updated_at)"
        f" SELECT {FIRST_COUNTY} + i, '第' || i || '县教育局', 'county', 2 + i % {CITIES},"
        f" '/1/' || (2 + i % {CITIES}) || '/' || ({FIRST_COUNTY} + i) || '/', false, now(), now()"
        f" FROM generate_series(0, {COUNTIES - 1}) i",
        "INSERT INTO units (id, name, kind, parent_id, path, archived, created_at, updated_at)"
        f" SELECT {FIRST_SCHOOL} + j, '第' || j || '学校', 'school', {FIRST_COUNTY} + j % {COUNTIES},"
        f" '/1/' || (2 + (j % {COUNTIES}) % {CITIES}) || '/' || ({FIRST_COUNTY} + j % {COUNTIES})"
        f" || '/' || ({FIRST_SCHOOL} + j) || '/', false, now(), now()"
        f" FROM generate_series(0, {SCHOOLS - 1}) j",
        "INSERT INTO information_systems (id, name, kind, unit_id, purpose, storage_location,"
        " pi_subject_count, owner_unit_id, archived, created_at, updated_at)"
        " SELECT 1 + s, '信息系统' || s, 'system', u, '', 'domestic', 0, u, false, now(), now()"
        f" FROM (SELECT s, CASE WHEN s % 10 = 0 THEN {FIRST_COUNTY} + (s / 10) % {COUNTIES}"
        f" ELSE {FIRST_SCHOOL} + (s - s / 10 - 1) % {SCHOOLS} END AS u"
        f" FROM generate_series(0, {systems - 1}) s) t",
        "INSERT INTO catalog_sources (id, system_id, name, kind, location, archived, created_at,"
        " updated_at) SELECT 1 + s, 1 + s, '主数据库', 'database', 'postgresql://db/x', false,"
        f" now(), now() FROM generate_series(0, {systems - 1}) s",
        "INSERT INTO catalog_datasets (id, system_id, source_id, name, row_count, rows_sampled,"
        " level, minors, retention_period, present, created_at, updated_at)"
        " SELECT 1 + d, 1 + d / 20, 1 + d / 20, 'table_' || (d % 20), 1000, 1000, 'general-4',"
        " d % 4 = 0, CASE WHEN d % 3 = 0 THEN '毕业后3年' END, true, now(), now()"
        f" FROM generate_series(0, {systems * 20 - 1}) d",
        "INSERT INTO catalog_fields (id, dataset_id, name, proposed_pi_types, proposed_level,"
        " sensitive, minors, confidence, evidence, review_status, reviewed_pi_types,"
        " reviewed_level, present, created_at, updated_at)"
        f" SELECT 1 + f, 1 + f / 10, ({names})[{pick}], ({types})[{pick}], ({levels})[{pick}],"
        f" ({sensitive})[{pick}], (f / 10) % 4 = 0 AND ({types})[{pick}] <> '', 0.9, '',"
        " CASE f % 5 WHEN 0 THEN 'confirmed' WHEN 1 THEN 'confirmed' WHEN 4 THEN 'rereview'"
        " ELSE 'proposed' END,"
        f" CASE WHEN f % 5 IN (0, 1) THEN ({types})[{pick}] END,"
        f" CASE WHEN f % 5 IN (0, 1) THEN ({levels})[{pick}] END, true, now(), now()"
        f" FROM generate_series(0, {systems * 200 - 1}) f",
    ]
    started = time.perf_counter()
    with engine.begin() as connection:
        # bulk load first, search indexes after (as a restore would): same definitions
        definitions = connection.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename IN ('catalog_fields', 'catalog_datasets')"
                " AND (indexname LIKE '%trgm' OR indexname LIKE '%level')"
            )
        ).all()
        for name, _definition in definitions:
            connection.execute(text(f'DROP INDEX "{name}"'))
        for statement in statements:
            connection.execute(text(statement))
        for _name, definition in definitions:
            connection.execute(text(definition))
        for table in (
            "units",
            "information_systems",
            "catalog_sources",
            "catalog_datasets",
            "catalog_fields",
        ):
            connection.execute(
                text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
            )
    return time.perf_counter() - started


RULES = (  # rule, severity, clauses — as the packaged rules cite them
    ("N5-RETENTION", "medium", "通知第五条\n个人信息保护法第十九条"),
    ("N3-CATALOG-REVIEWED", "medium", "通知第三条\n数据安全法第二十一条"),
    ("N11-SEPARATE-CONSENT", "high", "通知第十一条\n个人信息保护法第二十九条"),
    ("N8-ENCRYPTION", "high", "通知第八条\n个人信息保护法第五十一条"),
    ("N2-THIRD-PARTY-AGREEMENT", "medium", "通知第二条\n数据安全法第四十条"),
    ("N6-ADMIN-SEPARATION", "low", "通知第六条\n网络安全法第二十一条"),
)


def generate_findings(engine: Engine, systems: int, per_system: int) -> float:
    """``per_system`` open findings for every system, cycling through ``RULES``; seconds."""
    count = len(RULES)
    rules = _array([r[0] for r in RULES])
    severities = _array([r[1] for r in RULES])
    clauses = "ARRAY[" + ", ".join(f"E'{r[2]}'" for r in RULES) + "]"
    pick = f"1 + (k + i.id) % {count}"
    sql = (
        "INSERT INTO compliance_findings (rule_id, rules_version, subject_key, title_zh,"
        " title_en, clauses, severity, unit_id, system_id, evidence, status, first_seen_at,"
        f" last_seen_at) SELECT ({rules})[{pick}], 'bench', 'system:' || i.id,"
        f" '基准', 'bench', ({clauses})[{pick}], ({severities})[{pick}], i.unit_id, i.id, '',"
        " 'open', now(), now() FROM information_systems i,"
        f" generate_series(0, {per_system - 1}) k"
    )
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text(sql))
    return time.perf_counter() - started


def timed(
    factory: sessionmaker[Session], work: Callable[[Session], Any], repeats: int
) -> tuple[float, float, Any]:
    result: Any = None
    samples = []
    for run in range(repeats + 3):
        with factory() as session:
            started = time.perf_counter()
            result = work(session)
            elapsed = (time.perf_counter() - started) * 1000
            session.rollback()
        if run >= 3:
            samples.append(elapsed)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, result


def _scope(session: Session, unit_id: int) -> dashboard.Scope:
    unit = session.get(Unit, unit_id)
    assert unit is not None
    return dashboard.Scope(unit.path, unit)


def page(unit_id: int) -> Callable[[Session], Any]:
    def work(session: Session) -> Any:
        scope = _scope(session, unit_id)
        data = dashboard.charts(session, scope.path)
        ranked = dashboard.rollup(session, scope)
        postures = compliance_flows.subtree_postures(
            session, [scope.path, *(r["path"] for r in ranked)]
        )
        own = postures.pop(scope.path)
        below = postures
        return (
            f"{data['totals']['fields']:,} 个数据项，{len(ranked)} 个下级单位，"
            f"{own.open_findings:,} 项发现（得分 {own.score}，下级最低 "
            f"{min((p.score for p in below.values()), default='—')}）"
        )

    return work


def school(unit_id: int) -> Callable[[Session], Any]:
    def work(session: Session) -> Any:
        path = _scope(session, unit_id).path
        data = dashboard.charts(session, path)
        own = compliance_flows.subtree_postures(session, [path])[path]
        return f"{data['totals']['fields']:,} 个数据项，{own.open_findings} 项发现"

    return work


def search(unit_id: int, **filters: Any) -> Callable[[Session], Any]:
    def work(session: Session) -> Any:
        systems = flows.scoped_systems(_scope(session, unit_id).path)
        found = service.list_fields(session, systems=systems, limit=500, **filters)
        return f"{len([flows.field_read(f) for f in found])} 行"

    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--findings", type=int, default=4, help="open findings per system")
    parser.add_argument("--keep", action="store_true", help="keep the schema (for EXPLAIN)")
    args = parser.parse_args()
    schema = f"eg_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{PG_SERVER}?options=-csearch_path%3D{schema}")
    try:
        migrate.upgrade(engine)
        seconds = generate(engine, args.systems)
        print(
            f"生成：{args.systems:,} 个信息系统，{args.systems * 20:,} 个数据集，"
            f"{args.systems * 200:,} 个数据项，{1 + CITIES + COUNTIES + SCHOOLS:,} 个单位"
            f"：{seconds:.1f} s"
        )
        seconds = generate_findings(engine, args.systems, args.findings)
        print(f"合规发现：{args.systems * args.findings:,} 项：{seconds:.1f} s")
        factory = make_session_factory(engine)
        started = time.perf_counter()
        with factory() as session, session.begin():
            refreshed = stats.refresh_all(session)
        print(f"stats.refresh_all：{refreshed:,} 个系统，{time.perf_counter() - started:.1f} s")
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
        county, city, first_school = FIRST_COUNTY, 2, FIRST_SCHOOL
        cases: list[tuple[str, Callable[[Session], Any]]] = [
            ("看板 省（14 个地市排名）", page(1)),
            ("看板 地市（下辖县排名）", page(city)),
            ("看板 县（下辖学校排名）", page(county)),
            ("看板 学校", school(first_school)),
            ("检索 省 名称“sfz”", search(1, search="sfz")),
            ("检索 省 类型 BANK_CARD", search(1, pi_type="BANK_CARD")),
            ("检索 省 级别 important", search(1, level="important")),
            ("检索 省 名称无匹配（全表）", search(1, search="no_such_name")),
            ("检索 县 名称“sfz”", search(county, search="sfz")),
            ("检索 县 类型 BANK_CARD", search(county, pi_type="BANK_CARD")),
            ("检索 县 级别 important", search(county, level="important")),
            ("检索 学校 名称“sfz”", search(first_school, search="sfz")),
        ]
        print(f"\n{'查询':<28}{'中位数 ms':>10}{'p95 ms':>10}{'目标比':>8}  结果")
        worst = 0.0
        for label, work in cases:
            median, p95, result = timed(factory, work, args.repeats)
            worst = max(worst, p95)
            ratio = p95 / TARGET_MS
            flag = "✓" if p95 < TARGET_MS else "✗"
            print(f"{label:<28}{median:>10.1f}{p95:>10.1f}{ratio:>7.2f}{flag}  {result}")
        print(f"\n最慢 p95 {worst:.1f} ms，目标 < {TARGET_MS:.0f} ms（{args.repeats} 次重复）")
    finally:
        engine.dispose()
        if args.keep:
            print(f"保留 schema {schema}")
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
