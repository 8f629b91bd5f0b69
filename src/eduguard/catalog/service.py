"""The catalog's own logic: sources and their secrets, queued runs, applying a scan report,
review. Services flush, never commit.

Scope: functions that read take ``systems``, a SELECT of the system ids the caller may see
(built by ``catalog.flows`` from the unit tree), or None for all. An object outside it is
reported as not found, so its existence is not disclosed.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, defaultload

from eduguard.catalog.models import (
    CatalogAlert,
    CatalogChange,
    Dataset,
    DataSource,
    Field,
    ReviewStatus,
    RunStatus,
    ScanRun,
    SourceKind,
)
from eduguard.catalog.schemas import FieldReview, SourceCreate, SourceUpdate
from eduguard.classification import LEVELS, SENSITIVE_TYPES
from eduguard.db.base import utcnow
from eduguard.errors import Conflict, NotFound, ValidationFailed
from eduguard.source_urls import SourcePolicy, is_url

SystemIds = Select[Any] | None
MASK = "***"
MAX_LOCATION = 1000


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---------------------------------------------------------------- sources and secrets


def split_location(
    location: str, sources: SourcePolicy | None = None
) -> tuple[SourceKind, str, str | None]:
    """(kind, location without password, password or None). A database URL is recognised by
    its ``scheme://`` and parsed into its allow-listed form (:mod:`eduguard.source_urls`):
    an option that reads the server's files or connects elsewhere is refused. Anything else is
    a file or folder path."""
    if not is_url(location):
        return SourceKind.files, location, None
    parsed = (sources or SourcePolicy()).parse(location)  # SourceUrlError: a ValidationFailed
    bare = parsed.bare()
    if len(bare) > MAX_LOCATION:
        raise ValidationFailed("location_too_long", f"数据库地址过长（上限 {MAX_LOCATION} 个字符）")
    return SourceKind.database, bare, parsed.password


@dataclass(frozen=True)
class LocationPolicy:
    """Where sources may point. Files (and SQLite): inside one of ``roots`` — the path and
    every symbolic link in it resolved — and never inside eduguard's own home (its database,
    keys and uploads); without roots, none may be added. Databases: hosts allowed by
    ``sources`` (``EDUGUARD_SOURCE_HOSTS``), checked at registration and again at scan time."""

    roots: tuple[Path, ...] = ()
    home: Path | None = None
    sources: SourcePolicy | None = None

    def split(self, location: str) -> tuple[SourceKind, str, str | None]:
        """:func:`split_location` and :meth:`check`: a refused location raises."""
        kind, bare, password = split_location(location, self.sources)
        self.check(kind, bare)
        return kind, bare, password

    def check(self, kind: SourceKind, bare: str) -> None:
        if kind == SourceKind.database and self.sources is not None:
            parsed = self.sources.parse(bare)
            if self.sources.hosts is not None:
                self.sources.hosts.admit(parsed, resolve_names=False)
        path = _local_path(kind, bare)
        if path is None:
            return
        self.check_path(path)

    def check_path(self, path: Path) -> None:
        resolved = path.expanduser().resolve()
        if self.home is not None and resolved.is_relative_to(self.home.expanduser().resolve()):
            raise ValidationFailed(
                "source_forbidden", "不能把 eduguard 自己的数据目录登记为数据源", details=None
            )
        if not any(resolved.is_relative_to(root.expanduser().resolve()) for root in self.roots):
            allowed = "、".join(str(r) for r in self.roots) or (
                "（平台管理员尚未开放服务器上的目录；可在信息系统页面上传文件作为数据源）"
            )
            raise ValidationFailed(
                "source_outside_roots",
                f"文件数据源须位于允许扫描的目录内：{allowed}",
                "file sources must lie inside EDUGUARD_SCAN_ROOTS",
            )


def _local_path(kind: SourceKind, bare: str) -> Path | None:
    if kind == SourceKind.files:
        return Path(bare)
    parsed = make_url(bare)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(str(parsed.database))
    return None


def _set_location(
    source: DataSource,
    location: str,
    policy: LocationPolicy,
) -> None:
    kind, bare, password = policy.split(location)
    source.kind, source.location = kind, bare
    source.secret = password or None  # a sealed column: encrypted on flush, bound to the row


def source_password(source: DataSource) -> str | None:
    return source.secret or None


def connect_location(source: DataSource) -> str:
    """The location to open: for a database, the URL with its decrypted password. Never log it."""
    password = source_password(source)
    if source.kind != SourceKind.database or password is None:
        return source.location
    return make_url(source.location).set(password=password).render_as_string(hide_password=False)


def display_location(source: DataSource) -> str:
    if source.kind == SourceKind.database and source.secret:
        # Any placeholder: rendered with hide_password, it shows as ***.
        shown = make_url(source.location).set(password="x")  # noqa: S106 - a placeholder
        return shown.render_as_string(hide_password=True)
    return source.location


def source_out(source: DataSource) -> dict[str, Any]:
    return {
        "id": source.id,
        "system_id": source.system_id,
        "name": source.name,
        "kind": source.kind,
        "location": display_location(source),
        "has_password": bool(source.secret),
        "archived": source.archived,
        "scan_every_days": source.scan_every_days,
        "created_at": source.created_at,
        "updated_at": source.updated_at,
    }


def create_source(
    session: Session,
    system_id: int,
    data: SourceCreate,
    policy: LocationPolicy,
) -> DataSource:
    policy.split(data.location)  # before anything is added: a refused location changes nothing
    source = DataSource(
        system_id=system_id,
        name=data.name,
        kind=SourceKind.files,
        location="",
        scan_every_days=data.scan_every_days,
    )
    session.add(source)
    _set_location(source, data.location, policy)
    session.flush()
    return source


def create_uploaded_source(
    session: Session, system_id: int, name: str, path: Path, scan_every_days: int | None = None
) -> DataSource:
    """Register a file eduguard stored itself (``catalog.uploads.store``) as a file source:
    the location is that file's path, which no typed location may name."""
    source = DataSource(
        system_id=system_id,
        name=name,
        kind=SourceKind.files,
        location=str(path),
        scan_every_days=scan_every_days,
    )
    session.add(source)
    session.flush()
    return source


def get_source(session: Session, source_id: int, *, systems: SystemIds = None) -> DataSource:
    query = select(DataSource).where(DataSource.id == source_id)
    if systems is not None:
        query = query.where(DataSource.system_id.in_(systems))
    source = session.scalar(query)
    if source is None:
        raise NotFound("source_not_found", f"数据源不存在：{source_id}", "data source not found")
    return source


def list_sources(
    session: Session, *, system_id: int, include_archived: bool = False
) -> Sequence[DataSource]:
    query = select(DataSource).where(DataSource.system_id == system_id)
    if not include_archived:
        query = query.where(DataSource.archived.is_(False))
    return session.scalars(query.order_by(DataSource.id)).all()


def update_source(
    session: Session,
    source: DataSource,
    data: SourceUpdate,
    policy: LocationPolicy,
) -> DataSource:
    if data.location is not None:
        policy.split(data.location)
    if data.name is not None:
        source.name = data.name
    if data.location is not None:
        _set_location(source, data.location, policy)
    if data.scan_every_days is not None:
        source.scan_every_days = data.scan_every_days or None
    session.flush()
    return source


def archive_source(session: Session, source: DataSource) -> DataSource:
    source.archived = True
    session.flush()
    return source


ACTIVE_RUNS = (RunStatus.queued, RunStatus.running)


def cancel_run(session: Session, run: ScanRun, *, cancelled_by: str, why: str = "") -> ScanRun:
    """Mark a queued or running run cancelled: the worker skips it, or stops a running one
    before its next batch. The catalog is left as it was."""
    if run.status not in ACTIVE_RUNS:
        raise Conflict("run_not_active", "该扫描任务已结束，不能取消", "the scan run has finished")
    run.status = RunStatus.cancelled
    run.error_code = "cancelled"
    run.error_message = why or f"扫描已取消（{cancelled_by[:64]}）"
    run.finished_at = utcnow()
    run.current_table = None
    session.flush()
    return run


def cancel_source_runs(session: Session, source: DataSource) -> list[ScanRun]:
    """Cancel every queued or running run of ``source`` (it was archived)."""
    runs = session.scalars(
        select(ScanRun).where(ScanRun.source_id == source.id, ScanRun.status.in_(ACTIVE_RUNS))
    ).all()
    for run in runs:
        cancel_run(session, run, cancelled_by="archive", why="数据源已归档，扫描已取消")
    return list(runs)


# ---------------------------------------------------------------- runs


def queue_run(
    session: Session, source: DataSource, *, requested_by: str, sample: int | None = None
) -> ScanRun:
    if source.archived:
        raise ValidationFailed("source_archived", "数据源已归档，不能扫描")
    run = ScanRun(
        system_id=source.system_id,
        source_id=source.id,
        status=RunStatus.queued,
        requested_by=requested_by[:64],
        requested_at=utcnow(),
        sample=sample,
    )
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, run_id: int, *, systems: SystemIds = None) -> ScanRun:
    query = select(ScanRun).where(ScanRun.id == run_id)
    if systems is not None:
        query = query.where(ScanRun.system_id.in_(systems))
    run = session.scalar(query)
    if run is None:
        raise NotFound("run_not_found", f"扫描任务不存在：{run_id}", "scan run not found")
    return run


def list_runs(
    session: Session,
    *,
    systems: SystemIds = None,
    system_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[ScanRun]:
    query = select(ScanRun)
    if systems is not None:
        query = query.where(ScanRun.system_id.in_(systems))
    if system_id is not None:
        query = query.where(ScanRun.system_id == system_id)
    return session.scalars(query.order_by(ScanRun.id.desc()).limit(limit).offset(offset)).all()


def queue_due(session: Session, *, now: datetime) -> list[ScanRun]:
    """Queue a run for every scheduled source whose last run was requested at least
    ``scan_every_days`` ago (or that never ran) and that has none queued or running."""
    last = (
        select(ScanRun.source_id, func.max(ScanRun.requested_at).label("last"))
        .group_by(ScanRun.source_id)
        .subquery()
    )
    busy = select(ScanRun.source_id).where(
        ScanRun.status.in_((RunStatus.queued, RunStatus.running))
    )
    candidates = session.execute(
        select(DataSource, last.c.last)
        .outerjoin(last, last.c.source_id == DataSource.id)
        .where(
            DataSource.scan_every_days.is_not(None),
            DataSource.archived.is_(False),
            DataSource.id.not_in(busy),
        )
        .order_by(DataSource.id)
    ).all()
    queued = []
    for source, last_at in candidates:
        due = last_at is None or now - last_at >= timedelta(days=source.scan_every_days or 0)
        if due:
            queued.append(queue_run(session, source, requested_by="schedule"))
    return queued


def fail_stale(session: Session, *, now: datetime, stale_minutes: int) -> list[ScanRun]:
    """Fail the runs marked running whose worker has shown no sign of life (progress) for
    ``stale_minutes``: it died, and the run would otherwise block its source forever."""
    cutoff = now - timedelta(minutes=stale_minutes)
    seen = func.coalesce(ScanRun.heartbeat_at, ScanRun.started_at)
    stale = session.scalars(
        select(ScanRun).where(ScanRun.status == RunStatus.running, seen < cutoff)
    ).all()
    for run in stale:
        fail_run(
            session,
            run,
            "worker_lost",
            f"扫描进程已中断（{stale_minutes} 分钟内没有进展），本次扫描未更新目录，请重新扫描",
        )
    return list(stale)


def claim_next(session: Session) -> ScanRun | None:
    """Take the oldest queued run and mark it running, so no other worker takes it.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``. SQLite (one writer at a time): a guarded update
    ``… WHERE status = 'queued'`` that only one worker can win."""
    live = select(DataSource.id).where(DataSource.archived.is_(False))
    if session.get_bind().dialect.name == "postgresql":
        query = (
            select(ScanRun)
            .where(ScanRun.status == RunStatus.queued, ScanRun.source_id.in_(live))
            .order_by(ScanRun.id)
        )
        run = session.scalar(query.limit(1).with_for_update(skip_locked=True))
        if run is None:
            return None
        run.status, run.started_at = RunStatus.running, utcnow()
        run.heartbeat_at = run.started_at
        session.flush()
        return run
    queued = (
        select(ScanRun.id)
        .where(ScanRun.status == RunStatus.queued, ScanRun.source_id.in_(live))
        .order_by(ScanRun.id)
    )
    for candidate_id in session.scalars(queued.limit(5)).all():
        run = claim(session, candidate_id)
        if run is not None:
            return run
    return None


def claim(session: Session, run_id: int) -> ScanRun | None:
    """Mark run ``run_id`` running if it is still queued (one guarded update: of two workers
    trying, exactly one wins); None when another worker had it already."""
    won = session.execute(
        update(ScanRun)
        .where(ScanRun.id == run_id, ScanRun.status == RunStatus.queued)
        .values(status=RunStatus.running, started_at=utcnow(), heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(won, "rowcount", 0) != 1:
        return None
    run = session.get(ScanRun, run_id)
    if run is not None:
        session.refresh(run)
    return run


def fail_run(session: Session, run: ScanRun, code: str, message: str) -> None:
    run.status = RunStatus.failed
    run.error_code, run.error_message = code[:64], message
    run.finished_at = utcnow()
    session.flush()


def store_report(run: ScanRun, report: dict[str, Any]) -> None:
    run.report_gz = gzip.compress(json.dumps(report, ensure_ascii=False).encode("utf-8"))


def run_report(run: ScanRun) -> dict[str, Any] | None:
    if run.report_gz is None:
        return None
    data: dict[str, Any] = json.loads(gzip.decompress(run.report_gz))
    return data


# ---------------------------------------------------------------- reading the catalog


def get_dataset(session: Session, dataset_id: int, *, systems: SystemIds = None) -> Dataset:
    query = select(Dataset).where(Dataset.id == dataset_id)
    if systems is not None:
        query = query.where(Dataset.system_id.in_(systems))
    dataset = session.scalar(query)
    if dataset is None:
        raise NotFound("dataset_not_found", f"数据集不存在：{dataset_id}", "dataset not found")
    return dataset


def list_datasets(
    session: Session,
    *,
    systems: SystemIds = None,
    system_id: int | None = None,
    search: str | None = None,
    level: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[Dataset]:
    query = select(Dataset).where(Dataset.present.is_(True))
    if systems is not None:
        query = query.where(Dataset.system_id.in_(systems))
    if system_id is not None:
        query = query.where(Dataset.system_id == system_id)
    if level:
        query = query.where(Dataset.level == level)
    if search:
        pattern = f"%{_like_escape(search.strip())}%"
        query = query.where(
            or_(Dataset.name.like(pattern, escape="\\"), Dataset.comment.like(pattern, escape="\\"))
        )
    query = query.order_by(Dataset.system_id, Dataset.name).limit(limit).offset(offset)
    return session.scalars(query).unique().all()


def get_field(session: Session, field_id: int, *, systems: SystemIds = None) -> Field:
    query = select(Field).join(Dataset).where(Field.id == field_id)
    if systems is not None:
        query = query.where(Dataset.system_id.in_(systems))
    field = session.scalar(query)
    if field is None:
        raise NotFound("field_not_found", f"数据项不存在：{field_id}", "field not found")
    return field


def list_fields(
    session: Session,
    *,
    systems: SystemIds = None,
    system_id: int | None = None,
    dataset_id: int | None = None,
    search: str | None = None,
    pi_type: str | None = None,
    review_status: ReviewStatus | None = None,
    personal_only: bool = False,
    level: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> Sequence[Field]:
    """Present fields matching every filter given, in id order (scan order: a dataset's
    fields stay together). Written for the indexes of migration 0007: the id order lets the
    database stop after ``limit`` matches of a common term, and every contains-filter is a
    condition on one indexed column (PostgreSQL: trigram GIN), so a rare term is an index
    lookup instead of a scan of every field."""
    query = (
        select(Field)
        .join(Dataset)
        .where(Field.present.is_(True), Dataset.present.is_(True))
        .options(defaultload(Field.dataset).lazyload(Dataset.fields))
    )
    if systems is not None:
        query = query.where(Dataset.system_id.in_(systems))
    if system_id is not None:
        query = query.where(Dataset.system_id == system_id)
    if dataset_id is not None:
        query = query.where(Field.dataset_id == dataset_id)
    if search:
        pattern = f"%{_like_escape(search.strip())}%"
        query = query.where(
            or_(
                Field.name.like(pattern, escape="\\"),
                Field.comment.like(pattern, escape="\\"),
                Field.dataset_id.in_(_datasets_named(session, pattern)),
            )
        )
    if pi_type:
        code = _like_escape(pi_type.strip().upper())
        query = query.where(
            or_(
                Field.proposed_pi_types.like(f"%{code}%", escape="\\"),
                Field.reviewed_pi_types.like(f"%{code}%", escape="\\"),
            )
        )
    if personal_only:
        query = query.where(or_(Field.proposed_pi_types != "", Field.reviewed_pi_types != ""))
    if review_status is not None:
        query = query.where(Field.review_status == review_status)
    if level:  # the effective level (stats.effective_level), as conditions on indexed columns
        reviewed = Field.review_status != ReviewStatus.proposed
        query = query.where(
            or_(
                and_(reviewed, Field.reviewed_level == level),
                and_(
                    Field.proposed_level == level,
                    or_(~reviewed, Field.reviewed_level.is_(None)),
                ),
            )
        )
    query = query.order_by(Field.id).limit(limit).offset(offset)
    return session.scalars(query).unique().all()


FEW_DATASETS = 1000


def _datasets_named(session: Session, pattern: str) -> Any:
    """The datasets whose name matches: as a list of ids when there are few (the database can
    then combine indexes), else as a subquery (a common term matches early in id order)."""
    named = select(Dataset.id).where(Dataset.name.like(pattern, escape="\\"))
    ids = session.scalars(named.limit(FEW_DATASETS + 1)).all()
    return named if len(ids) > FEW_DATASETS else list(ids)


def set_retention(session: Session, dataset: Dataset, retention_period: str | None) -> Dataset:
    dataset.retention_period = retention_period or None
    session.flush()
    return dataset


# ---------------------------------------------------------------- review


def _check_level_floor(field: Field, data: FieldReview) -> None:
    """A correction may not grade personal information below its floor (就高从严): sensitive
    personal information and children's information at least 一般数据（4级）, other personal
    information at least 3级 — to go lower, correct the types too (the field is not such data)."""
    types = (
        set(data.pi_types)
        if data.pi_types is not None
        else {code for code in field.proposed_pi_types.split(",") if code}
    )
    level = data.level if data.level is not None else field.proposed_level
    if not types or level not in LEVELS:
        return
    if types & SENSITIVE_TYPES or field.minors:
        floor, what = "general-4", "敏感个人信息或不满十四周岁未成年人的个人信息"
    else:
        floor, what = "general-3", "个人信息"
    if LEVELS.index(level) > LEVELS.index(floor):
        shown = "一般数据（4级）" if floor == "general-4" else "一般数据（3级）"
        raise ValidationFailed(
            "level_below_floor",
            f"该字段是{what}，级别不能低于{shown}（就高从严，本平台分级规则依 GB/T 43697-2024）。"
            "如核实该字段不含此类信息，请同时更正个人信息类型",
            f"this field holds {'sensitive or children' if floor == 'general-4' else 'personal'}"
            f" information: its level cannot be below {floor}; correct its types as well if it"
            " does not",
        )


def review_field(session: Session, field: Field, data: FieldReview, *, reviewer: str) -> list[str]:
    """Apply one decision; returns the names of the fields it set (for the audit event)."""
    if data.decision == "confirm":
        field.review_status = ReviewStatus.confirmed
        field.reviewed_pi_types = field.proposed_pi_types
        field.reviewed_category = field.proposed_category
        field.reviewed_level = field.proposed_level
    else:
        if data.pi_types is None and data.category is None and data.level is None:
            raise ValidationFailed(
                "correction_empty", "更正时请至少填写个人信息类型、分类或级别中的一项"
            )
        _check_level_floor(field, data)
        field.review_status = ReviewStatus.corrected
        field.reviewed_pi_types = (
            ",".join(sorted(set(data.pi_types)))
            if data.pi_types is not None
            else field.proposed_pi_types
        )
        field.reviewed_category = (
            data.category if data.category is not None else field.proposed_category
        )
        field.reviewed_level = data.level if data.level is not None else field.proposed_level
    field.review_reason = data.reason
    field.reviewed_by = reviewer[:64]
    field.reviewed_at = utcnow()
    session.flush()
    return ["review_status", "reviewed_pi_types", "reviewed_category", "reviewed_level"]


MAX_BULK = 100_000


def confident_proposals(
    session: Session,
    *,
    systems: SystemIds,
    system_id: int | None,
    min_confidence: float,
    search: str | None = None,
    pi_type: str | None = None,
    personal_only: bool = False,
) -> list[Field]:
    """Fields still awaiting review, matching the listing's filters (:func:`list_fields`),
    whose proposal is at least ``min_confidence`` sure."""
    fields = list_fields(
        session,
        systems=systems,
        system_id=system_id,
        search=search,
        pi_type=pi_type,
        review_status=ReviewStatus.proposed,
        personal_only=personal_only,
        limit=MAX_BULK,
    )
    return [f for f in fields if f.confidence >= min_confidence]


# ---------------------------------------------------------------- changes and alerts


def list_changes(
    session: Session,
    *,
    systems: SystemIds = None,
    system_id: int | None = None,
    findings_only: bool = False,
    limit: int = 200,
) -> Sequence[CatalogChange]:
    query = select(CatalogChange)
    if systems is not None:
        query = query.where(CatalogChange.system_id.in_(systems))
    if system_id is not None:
        query = query.where(CatalogChange.system_id == system_id)
    if findings_only:
        query = query.where(CatalogChange.finding.is_(True))
    return session.scalars(query.order_by(CatalogChange.id.desc()).limit(limit)).all()


def get_alert(session: Session, alert_id: int, *, systems: SystemIds = None) -> CatalogAlert:
    query = select(CatalogAlert).where(CatalogAlert.id == alert_id)
    if systems is not None:
        query = query.where(CatalogAlert.system_id.in_(systems))
    alert = session.scalar(query)
    if alert is None:
        raise NotFound("alert_not_found", f"告警不存在：{alert_id}", "alert not found")
    return alert


def acknowledge_alert(session: Session, alert: CatalogAlert) -> CatalogAlert:
    if alert.status != "open":
        raise Conflict("alert_not_open", "该告警已处理", "the alert was already acknowledged")
    alert.status = "acknowledged"
    session.flush()
    return alert


def list_alerts(
    session: Session,
    *,
    systems: SystemIds = None,
    status: str | None = "open",
    limit: int = 200,
) -> Sequence[CatalogAlert]:
    query = select(CatalogAlert)
    if systems is not None:
        query = query.where(CatalogAlert.system_id.in_(systems))
    if status:
        query = query.where(CatalogAlert.status == status)
    return session.scalars(query.order_by(CatalogAlert.id.desc()).limit(limit)).all()
