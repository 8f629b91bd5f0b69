"""The demo's retention (issue #20): the county's student register keeps an export database of
its schools' graduating classes — a real SQLite file of synthetic rows in the console's managed
sources folder, so planning and executing work on it. Each of its three tables has a rule:

- 毕业班家长联系人: kept one year after graduation, then deleted. The class that graduated
  three years ago has been disposed of — planned by the county's PI officer, approved by its
  data owner and its cybersecurity function, executed, certified (JSON and PDF on the run page);
  last summer's class is still within its year.
- 毕业班请假记录: two years after the leave, then anonymised. Due now: the run is planned and
  approved by the data owner, waiting for the cybersecurity function (``county-security``).
- 晨检记录: one year, then deleted — but a parent's complaint holds it (保全), so nothing is
  planned until the hold is released.

Everything goes through the retention flows, as the console would. The completed run is
executed by the worker's own code (the queued ``retention.execute`` task is claimed, run and
settled) in savepoints of the demo's one transaction.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import RunStatus as ScanStatus
from eduguard.catalog.schemas import SourceCreate
from eduguard.classification import ColumnContext, classify, load_rules
from eduguard.classification.rules import LEVELS
from eduguard.db.base import utcnow
from eduguard.db.sealed import KEYRING_KEY
from eduguard.errors import ConfigurationError
from eduguard.orgs.models import InformationSystem
from eduguard.processing import flows as processing_flows
from eduguard.processing.models import Disposal, LegalBasis
from eduguard.processing.schemas import PurposeCreate
from eduguard.retention import dispositions
from eduguard.retention import flows as retention_flows
from eduguard.retention import service as retention_service
from eduguard.retention.models import Disposition, HoldKind, PeriodUnit, Trigger
from eduguard.retention.schemas import RuleIn
from eduguard.tasks import service as tasks_service

SOURCE_FILE = "demo-graduates.sqlite3"
SOURCE_NAME = "毕业班数据导出库（演示 SQLite）"
PLANNER = "county-pio"
OWNER = "county-owner"
SECURITY = "county-security"
CLASS_SIZE = 12
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭"
_GIVEN = "子涵欣怡梓轩浩宇雨桐一诺思远佳琪"


@dataclass(frozen=True)
class DemoRetention:
    completed_run: int
    pending_run: int
    hold: int
    source: Path


def _home(session: Session) -> Path:
    """The demo's home: the parent of the keys folder the session seals with (the same keys
    the console and the worker sign certificates with)."""
    keyring = session.info.get(KEYRING_KEY)
    source = getattr(keyring, "source", None)
    keys_dir = getattr(source, "keys_dir", None)
    if not isinstance(keys_dir, Path):
        raise ConfigurationError(
            "demo_no_keyring", "演示数据须在带密钥环的会话中生成（找不到密钥目录）"
        )
    return keys_dir.parent


# ---------------------------------------------------------------- the source database


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)


def _classes(today: date) -> list[tuple[str, date]]:
    """Three summers ago (long past its year) and the latest summer (still inside it)."""
    old = date(today.year - 3, 7, 1)
    recent = date(today.year if today >= date(today.year, 7, 1) else today.year - 1, 7, 1)
    return [(f"{old.year}届九年级（3）班", old), (f"{recent.year}届九年级（1）班", recent)]


def make_source(path: Path, today: date) -> None:
    """Synthetic rows (made up; the same day gives the same file)."""
    rng = random.Random(today.toordinal())  # noqa: S311 - synthetic demo data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(
            "CREATE TABLE byb_jz_lxr (id INTEGER PRIMARY KEY, bj TEXT, xsxm TEXT, jzxm TEXT,"
            " sjhm TEXT, biye_rq DATE);"
            "CREATE TABLE byb_qj_jl (id INTEGER PRIMARY KEY, xsxm TEXT, qjyy TEXT, qjrq DATE);"
            "CREATE TABLE xs_cjjl (id INTEGER PRIMARY KEY, xsxm TEXT, tw TEXT, jcrq DATE);"
        )
        contacts = []
        for klass, graduated in _classes(today):
            for _ in range(CLASS_SIZE):
                phone = f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
                contacts.append((klass, _name(rng), _name(rng), phone, graduated.isoformat()))
        connection.executemany(
            "INSERT INTO byb_jz_lxr (bj, xsxm, jzxm, sjhm, biye_rq) VALUES (?, ?, ?, ?, ?)",
            contacts,
        )
        reasons = ("发热", "感冒", "肠胃不适", "牙科复诊", "家中有事")
        leave = [
            (_name(rng), rng.choice(reasons), (today - timedelta(days=45 * n + 10)).isoformat())
            for n in range(32)  # every six weeks over four years: about half older than two
        ]
        connection.executemany("INSERT INTO byb_qj_jl (xsxm, qjyy, qjrq) VALUES (?, ?, ?)", leave)
        checks = [
            (_name(rng), f"{rng.randint(362, 374) / 10:.1f}", (today - timedelta(days=30 * n)))
            for n in range(24)
        ]
        connection.executemany(
            "INSERT INTO xs_cjjl (xsxm, tw, jcrq) VALUES (?, ?, ?)",
            [(a, b, c.isoformat()) for a, b, c in checks],
        )
        connection.commit()
    finally:
        connection.close()


# ---------------------------------------------------------------- the catalog


def _column(name: str, comment: str, types: list[str], minors: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "comment": comment,
        "pi_types": types,
        "minors": minors,
        "confidence": 0.96 if types else 0.9,
        "evidence": [f"列名 {name} = {comment}"],
    }


def _table(name: str, comment: str, rows: int, columns: list[dict[str, Any]]) -> dict[str, Any]:
    """Graded by the same rules as a real scan (as demo.flows does for its other catalogs)."""
    rules = load_rules(None)
    for column in columns:
        graded = classify(
            rules,
            ColumnContext(
                table_name=name,
                table_comment=comment,
                column_name=column["name"],
                column_comment=column["comment"],
                pi_types=tuple(column["pi_types"]),
                minors=column["minors"],
                subjects=rows,
            ),
        )
        column["category"], column["level"] = graded.category, graded.level
        column["sensitive"] = graded.sensitive or column["minors"]
        column["evidence"] = column["evidence"] + graded.evidence
    return {
        "name": name,
        "comment": comment,
        "row_count": rows,
        "rows_sampled": rows,
        "subjects": rows,
        "minors": any(c["minors"] for c in columns),
        "level": min((c["level"] for c in columns), key=LEVELS.index, default="general-1"),
        "columns": columns,
    }


TABLES = (
    (
        "byb_jz_lxr",
        "毕业班家长联系人",
        2 * CLASS_SIZE,
        [
            _column("id", "序号", []),
            _column("bj", "班级", []),
            _column("xsxm", "学生姓名", ["PERSON_NAME"], minors=True),
            _column("jzxm", "家长姓名", ["PERSON_NAME"]),
            _column("sjhm", "手机号码", ["MOBILE_PHONE"]),
            _column("biye_rq", "毕业日期", []),
        ],
    ),
    (
        "byb_qj_jl",
        "毕业班请假记录",
        32,
        [
            _column("id", "序号", []),
            _column("xsxm", "学生姓名", ["PERSON_NAME"], minors=True),
            _column("qjyy", "请假原因", ["HEALTH"], minors=True),
            _column("qjrq", "请假日期", []),
        ],
    ),
    (
        "xs_cjjl",
        "晨检记录",
        24,
        [
            _column("id", "序号", []),
            _column("xsxm", "学生姓名", ["PERSON_NAME"], minors=True),
            _column("tw", "体温", ["HEALTH"], minors=True),
            _column("jcrq", "晨检日期", []),
        ],
    ),
)


def _catalog(session: Session, system: InformationSystem, path: Path) -> tuple[int, dict[str, int]]:
    """The source registered and its catalog applied as a scan of it would leave it (the file
    is real: scanning it again from the console works)."""
    source = catalog_flows.add_source(
        session,
        system.id,
        SourceCreate(name=SOURCE_NAME, location=f"sqlite:///{path}"),
        scope="/",
        policy=catalog_service.LocationPolicy(roots=(path.parent,)),
    )
    run = catalog_service.queue_run(session, source, requested_by="demo")
    run.status, run.started_at, run.finished_at = ScanStatus.succeeded, utcnow(), utcnow()
    tables = [_table(name, comment, rows, columns) for name, comment, rows, columns in TABLES]
    catalog_flows.apply_run(session, run, {"report_version": 1, "tables": tables})
    datasets = catalog_service.list_datasets(session, system_id=system.id, limit=100)
    return source.id, {d.name: d.id for d in datasets if d.source_id == source.id}


# ---------------------------------------------------------------- the worker's transactions


@contextmanager
def _savepoints(session: Session) -> Iterator[sessionmaker[Session]]:
    """A session factory whose every transaction is a savepoint of ``session``'s own (the
    executor commits each batch in a transaction of its own; in the demo those all belong to
    the one seeding transaction). Same keyring, same audit actor, changes captured."""
    session.flush()
    kept = (KEYRING_KEY, audit_service.ACTOR_KEY)
    info = {key: session.info[key] for key in kept if key in session.info}
    factory = sessionmaker(
        bind=session.connection(),
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=True,
        info=info,
    )
    audit_capture.install(factory)
    try:
        yield factory
    finally:
        audit_capture.uninstall(factory)
        session.expire_all()


def _execute_queued(session: Session, run_id: int, keys_dir: Path) -> None:
    """What the worker does with the approved run's ``retention.execute`` task."""
    with _savepoints(session) as factory:
        with factory() as own, own.begin():
            task = tasks_service.claim_next(own, [dispositions.EXECUTE_TASK], "demo-worker")
            if task is None or task.payload != {"run_id": run_id}:
                raise RuntimeError("the approved demo run's retention.execute task is missing")
            task_id = task.id
        dispositions.execute(factory, run_id, executor_name="worker", keys_dir=keys_dir)
        with factory() as own, own.begin():
            tasks_service.succeed(own, task_id, "demo-worker")


# ---------------------------------------------------------------- seed


def _rule(trigger_column: str, years: int, disposition: Disposition, basis: str) -> RuleIn:
    return RuleIn(
        trigger=Trigger.date_column,
        trigger_column=trigger_column,
        period_value=years,
        period_unit=PeriodUnit.years,
        legal_basis=basis,
        disposition=disposition,
        key_column="id",
    )


RULES = {
    "byb_jz_lxr": _rule(
        "biye_rq",
        1,
        Disposition.delete,
        "《示例县教育局学籍数据管理规定》第 6 条：毕业班家长联系方式保存至学生毕业后 1 年",
    ),
    "byb_qj_jl": _rule(
        "qjrq",
        2,
        Disposition.anonymise,
        "同上第 7 条：请假记录保存 2 年，期满后去除学生姓名与请假原因，仅保留日期用于出勤统计",
    ),
    "xs_cjjl": _rule(
        "jcrq", 1, Disposition.delete, "同上第 8 条：晨检记录保存 1 年（传染病防控需要）"
    ),
}


def _purpose(session: Session, system: InformationSystem, datasets: dict[str, int]) -> int:
    """The processing purpose the export serves (its personal fields in the register, the
    collection rules published again), which the rules name."""
    fields = [
        f.id
        for f in catalog_service.list_fields(session, system_id=system.id, limit=1000)
        if f.dataset_id in datasets.values() and f.pi_types
    ]
    purpose = processing_flows.create_purpose(
        session,
        system.id,
        PurposeCreate(
            name="毕业班家校联系与出勤、晨检记录",
            description="毕业班家长通知联系、学生请假与每日晨检（传染病防控）记录",
            legal_basis=LegalBasis.statutory,
            basis_detail="《学校卫生工作条例》；《中小学幼儿园安全管理办法》",
            collection_method="班主任登记家长联系方式与请假；校医室记录晨检",
            retention_period="联系方式毕业后 1 年；请假记录 2 年；晨检记录 1 年",
            disposal=Disposal.delete,
            sensitive_necessity="学生多为未成年人，请假原因与体温属健康信息：仅用于出勤统计与"
            "传染病防控，仅班主任与校医可查看，期满即匿名化或删除",
            field_ids=fields,
        ),
        scope="/",
    )
    processing_flows.activate(session, purpose.id, scope="/")
    processing_flows.publish(session, system.id, scope="/", by="demo")
    return purpose.id


def seed_retention(session: Session, system: InformationSystem, *, today: date) -> DemoRetention:
    home = _home(session)
    path = (home / "sources" / SOURCE_FILE).resolve()
    make_source(path, today)
    source_id, datasets = _catalog(session, system, path)
    purpose = _purpose(session, system, datasets)
    for table, data in RULES.items():
        data = data.model_copy(update={"purpose_id": purpose})
        rule = retention_flows.save_rule(session, datasets[table], data, scope="/", by=OWNER)
        # the catalog's own retention text says the same (what compliance reads today)
        text = retention_service.summary(rule)[:200]
        catalog_flows.set_retention(session, datasets[table], text, scope="/")
    dispositions.register_write_credential(session, source_id, "", None, scope="/", by=OWNER)
    planner = dispositions.person_of(session, PLANNER)
    owner = dispositions.person_of(session, OWNER)
    security = dispositions.person_of(session, SECURITY)

    # The class that graduated three years ago: planned, approved twice, executed, certified.
    done = dispositions.plan(session, datasets["byb_jz_lxr"], scope="/", by=PLANNER, today=today)
    dispositions.submit(session, done.id, planner, scope="/")
    dispositions.decide(
        session,
        done.id,
        owner,
        "approve",
        f"已核对：仅三年前毕业的班级，共 {CLASS_SIZE} 名学生",
        scope="/",
    )
    dispositions.decide(session, done.id, security, "approve", "同意删除；保留证明备查", scope="/")
    done_id = done.id
    _execute_queued(session, done_id, home / "keys")

    # Leave records past two years: the owner has approved, the security function has not.
    pending = dispositions.plan(session, datasets["byb_qj_jl"], scope="/", by=PLANNER, today=today)
    dispositions.submit(session, pending.id, planner, scope="/")
    dispositions.decide(
        session, pending.id, owner, "approve", "同意匿名化；出勤统计不受影响", scope="/"
    )

    # Morning checks: a parent's complaint asks for last spring's records; held.
    hold = retention_flows.place_hold(
        session,
        datasets["xs_cjjl"],
        HoldKind.complaint,
        f"示例县教信访〔{today.year}〕3号",
        "家长投诉晨检体温记录有误，调查结束前保留全部晨检记录",
        scope="/",
        by=OWNER,
    )
    return DemoRetention(done_id, pending.id, hold.id, path)
