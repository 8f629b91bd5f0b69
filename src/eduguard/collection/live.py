"""A collection plan read from a live database schema: the tables and columns a registered
database source has now that its last applied catalog version does not.

The source is a catalog data source of kind database of the plan's system, in the caller's
scope. It is opened as scans open it (``catalog.flows.source_policy``: the host allow-list,
the driver timeouts), through the discovery database connector, for its structure only —
table and column names, declared types, keys and comments; no row is read and no ``COUNT(*)``
run. The URL with its password (``catalog.service.connect_location``) is never logged nor
shown: a failure is reported as the connector reports it, without the password.

Compared with the catalog: a table of the catalog (a present dataset of the source) adds the
columns it has no present field for; a table the catalog does not have adds all its columns.
Nothing new raises :class:`NothingNew` (a :class:`~eduguard.collection.readers.PlanError`):
the console and the API refuse to open an empty review, the CLI check says so and exits 0.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eduguard import exports
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import CatalogVersion, Dataset, DataSource, Field, SourceKind
from eduguard.collection.readers import MAX_FIELDS, Plan, PlanError, PlannedField
from eduguard.crypto import DecryptionFailed
from eduguard.discovery.connectors.database import DatabaseTable, open_database
from eduguard.discovery.sources import FailedTable
from eduguard.errors import ConfigurationError
from eduguard.orgs import service as orgs_service
from eduguard.source_urls import SourcePolicy

KIND = "live_schema"


class NothingNew(PlanError):
    """The live schema has no table or column the catalog's last version lacks."""


def _clean(text: str) -> str:
    return exports.escape_controls(text, keep="")


def database_source(session: Session, source_id: int, system_id: int, *, scope: str) -> DataSource:
    """The database source ``source_id`` of system ``system_id``, visible in ``scope``.

    Raises (Chinese message, nothing changed): not found (another unit's source looks like
    none), a source of another system, a file source, an archived one."""
    source = catalog_flows.get_source(session, source_id, scope=scope)
    if source.system_id != system_id:
        raise PlanError(
            "live_source_other_system",
            f"数据源“{source.name}”不属于所选的信息系统：请选择该系统登记的数据库数据源",
            "the data source belongs to another system",
        )
    if source.kind != SourceKind.database:
        raise PlanError(
            "live_source_not_database",
            f"数据源“{source.name}”是文件数据源，不是数据库：只能从已登记的数据库读取新增表和字段"
            "（文件请作为采集计划上传）",
            "the data source is not a database",
        )
    if source.archived:
        raise PlanError(
            "live_source_archived",
            f"数据源“{source.name}”已归档，不能读取其结构",
            "the data source is archived",
        )
    return source


def database_sources(session: Session, system_ids: list[int]) -> list[tuple[int, int, str]]:
    """(source id, system id, name) of the live database sources of ``system_ids``."""
    if not system_ids:
        return []
    rows = session.execute(
        select(DataSource.id, DataSource.system_id, DataSource.name)
        .where(
            DataSource.system_id.in_(system_ids),
            DataSource.kind == SourceKind.database,
            DataSource.archived.is_(False),
        )
        .order_by(DataSource.system_id, DataSource.id)
    ).all()
    return [(int(i), int(s), str(n)) for i, s, n in rows]


def _catalog(session: Session, source_id: int) -> tuple[dict[str, set[str]], int | None]:
    """Table name → its present field names, as the last applied version left them, and that
    version's number (None: the source was never applied)."""
    known: dict[str, set[str]] = defaultdict(set)
    for dataset in session.scalars(
        select(Dataset.name).where(Dataset.source_id == source_id, Dataset.present.is_(True))
    ):
        known[dataset] = set()
    rows = session.execute(
        select(Dataset.name, Field.name)
        .join(Field, Field.dataset_id == Dataset.id)
        .where(
            Dataset.source_id == source_id,
            Dataset.present.is_(True),
            Field.present.is_(True),
        )
    ).all()
    for dataset_name, field_name in rows:
        known[dataset_name].add(field_name)
    number = session.scalar(
        select(func.max(CatalogVersion.number)).where(CatalogVersion.source_id == source_id)
    )
    return dict(known), number


def _tables(location: str, secret: str | None, policy: SourcePolicy) -> list[DatabaseTable]:
    """The structure of every readable table; a source that cannot be read, or a table whose
    structure cannot, refuses the whole plan (a partial read would hide new columns)."""
    found = list(open_database(location, policy, row_counts=False))
    failed = [t for t in found if isinstance(t, FailedTable)]
    if failed:
        error = failed[0].error
        message_zh, message_en = error.message_zh, error.message_en
        if secret:
            message_zh = message_zh.replace(secret, catalog_service.MASK)
            message_en = message_en.replace(secret, catalog_service.MASK)
        raise PlanError(f"live_{error.code}"[:60], message_zh, message_en)
    return [t for t in found if isinstance(t, DatabaseTable)]


def _evidence(table: DatabaseTable, column: str, new_table: bool, number: int | None) -> str:
    comment = table.column_comments.get(column)
    said = f"（注释“{comment}”）" if comment else "（无注释）"
    where = f"{table.name}.{column}{said}"
    if number is None:
        return f"来自实时数据库结构：{where}；该数据源尚无已应用的目录版本"
    if new_table:
        return f"来自实时数据库结构：新增表 {where}；目录第 {number} 版中没有此表"
    return f"来自实时数据库结构：新增字段 {where}；目录第 {number} 版中没有此字段"


def read_live(
    session: Session,
    source: DataSource,
    policy: SourcePolicy,
) -> Plan:
    """The plan of what ``source``'s live schema adds to its last catalog version."""
    try:
        location = catalog_service.connect_location(source)
        secret = catalog_service.source_password(source)
    except (DecryptionFailed, ConfigurationError) as error:
        raise PlanError(
            "live_secret_unreadable",
            "数据源密码无法解密（主密钥不正确或密文已被改动），请重新填写数据源地址",
            "the data source password cannot be decrypted",
        ) from error
    known, number = _catalog(session, source.id)
    plan = Plan(_clean(f"{source.name}（数据库实时结构）"), KIND)
    for table in _tables(location, secret, policy):
        have = known.get(table.name)
        for column in table.columns:
            if have is not None and column in have:
                continue
            plan.fields.append(
                PlannedField(
                    name=_clean(column),
                    group=_clean(table.name),
                    label=_clean(c) if (c := table.column_comments.get(column)) else None,
                    sql_type=table.column_types.get(column) or None,
                    key=table.column_keys.get(column, ""),
                    evidence=[_clean(_evidence(table, column, have is None, number))],
                )
            )
    if not plan.fields:
        version = f"目录第 {number} 版" if number is not None else "目录"
        raise NothingNew(
            "live_schema_nothing_new",
            f"数据源“{source.name}”的实时数据库结构与{version}相比没有新增的表或字段，"
            "无需数据收集审核",
            "the live schema adds no table or column to the last catalog version",
        )
    if len(plan.fields) > MAX_FIELDS:
        raise PlanError(
            "plan_too_many_fields",
            f"实时数据库结构新增 {len(plan.fields)} 个字段，超过一次审核的上限 {MAX_FIELDS}：请先扫描"
            "并应用目录，或分批提交",
            f"the live schema adds more than {MAX_FIELDS} fields",
        )
    return plan


def live_plan(
    session: Session,
    *,
    system_id: int,
    source_id: int,
    scope: str,
    policy: SourcePolicy,
) -> Plan:
    """The plan from system ``system_id``'s database source ``source_id``, both in ``scope``
    (whether the system is archived is for the caller: a check may read an archived one)."""
    orgs_service.get_system(session, system_id, scope=scope)
    source = database_source(session, source_id, system_id, scope=scope)
    return read_live(session, source, policy)
