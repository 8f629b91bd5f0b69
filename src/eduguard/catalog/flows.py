"""The catalog across domains: systems and units (orgs), scanning (discovery), the audit log.

The only module of ``catalog`` that imports other domains.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.catalog import events, overlap, service, stats, uploads, versions
from eduguard.catalog import export as catalog_export
from eduguard.catalog.models import (
    CatalogAlert,
    Dataset,
    DataSource,
    Field,
    ReviewStatus,
    ScanRun,
)
from eduguard.catalog.schemas import (
    AlertAcknowledge,
    BulkAccept,
    DatasetRead,
    FieldRead,
    FieldReview,
    SourceCreate,
    SourceUpdate,
)
from eduguard.classification import SENSITIVE_TYPES
from eduguard.config import Settings
from eduguard.discovery import FailedTable, ScanReport, SourceError, TableReport, scan_table
from eduguard.discovery.columns import IDENTIFYING
from eduguard.discovery.connectors import describe_source, open_source
from eduguard.discovery.connectors.watchdog import Watchdog
from eduguard.discovery.sketch import derive_key
from eduguard.discovery.sources import SkippedFile
from eduguard.errors import ValidationFailed
from eduguard.labels import DEFAULT_TIMEZONE as LOCAL_ZONE
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import InformationSystem, Unit
from eduguard.protection.keys import load_pseudonym_key
from eduguard.source_urls import SourceHosts, SourcePolicy

ALL = "/"
__all__ = ["Watchdog"]  # the worker cuts hung source connections with it
# A new field with one of these types (or any sensitive type) is a finding for the security
# administrator: identifiers single people out; a bank card number is sensitive on its own.
WATCHED_TYPES = frozenset(IDENTIFYING) | {"BANK_CARD"}
STORAGE_LABELS = {"domestic": "境内", "overseas": "境外"}
REVIEW_LABELS = {
    ReviewStatus.proposed: "待审核",
    ReviewStatus.confirmed: "已确认",
    ReviewStatus.corrected: "已更正",
    ReviewStatus.rereview: "待复核",
}

# Data sources carry credentials: their creation, change and archiving are audited (names of the
# changed columns only, never values).
audit_capture.register("catalog_sources", "data_source")


def scoped_systems(scope: str) -> Select[Any] | None:
    """The ids of the systems of units in ``scope`` (None: every system)."""
    if scope == ALL:
        return None
    return (
        select(InformationSystem.id)
        .join(Unit, InformationSystem.unit_id == Unit.id)
        .where(Unit.path.startswith(scope, autoescape=True))
    )


# ---------------------------------------------------------------- sources


def add_source(
    session: Session,
    system_id: int,
    data: SourceCreate,
    *,
    scope: str,
    policy: service.LocationPolicy,
) -> DataSource:
    system = orgs_service.get_system(session, system_id, scope=scope)
    if system.archived:
        raise ValidationFailed("system_archived", "信息系统已归档，不能登记数据源")
    return service.create_source(session, system.id, data, policy)


def add_uploaded_source(
    session: Session,
    system_id: int,
    *,
    name: str | None,
    filename: str,
    content: bytes,
    folder: Path,
    scope: str,
    scan_every_days: int | None = None,
) -> DataSource:
    """Store an uploaded CSV/Excel/Parquet file in the managed ``folder`` and register it as a
    file source of the system (audited: the format, size and stored name, never the content).
    A refused file (type, content) changes nothing; a failed registration removes the file."""
    system = orgs_service.get_system(session, system_id, scope=scope)
    if system.archived:
        raise ValidationFailed("system_archived", "信息系统已归档，不能登记数据源")
    stored = uploads.store(folder, filename, content)
    try:
        source = service.create_uploaded_source(
            session,
            system.id,
            (name or uploads.display_name(filename))[:200],
            stored.path,
            scan_every_days,
        )
        audit_service.record(
            session,
            action="catalog.source.upload",
            object_type="data_source",
            object_id=source.id,
            reason=f"上传{uploads.FORMAT_LABELS[stored.format]}文件，{stored.size} 字节，"
            f"保存为 {stored.path.parent.name}/{stored.path.name}",
        )
    except BaseException:
        uploads.remove(stored)
        raise
    return source


def list_sources(session: Session, system_id: int, *, scope: str) -> Sequence[DataSource]:
    system = orgs_service.get_system(session, system_id, scope=scope)
    return service.list_sources(session, system_id=system.id)


def get_source(session: Session, source_id: int, *, scope: str) -> DataSource:
    return service.get_source(session, source_id, systems=scoped_systems(scope))


def update_source(
    session: Session,
    source_id: int,
    data: SourceUpdate,
    *,
    scope: str,
    policy: service.LocationPolicy,
) -> DataSource:
    source = get_source(session, source_id, scope=scope)
    return service.update_source(session, source, data, policy)


def archive_source(session: Session, source_id: int, *, scope: str) -> DataSource:
    """Archive a source; its queued and running scans are cancelled (audited)."""
    source = service.archive_source(session, get_source(session, source_id, scope=scope))
    for run in service.cancel_source_runs(session, source):
        _record_cancel(session, run, "数据源已归档")
    return source


def source_policy(settings: Settings, *, check_hosts: bool = True) -> SourcePolicy:
    """How registered sources are opened: ``EDUGUARD_SOURCE_HOSTS`` (the platform's own
    database always refused), the certificate folder, the driver timeouts, and for files the
    scan roots (``EDUGUARD_SCAN_ROOTS``) and never ``EDUGUARD_HOME``, links resolved."""
    hosts = (
        SourceHosts.parse(settings.source_hosts, settings.effective_database_url)
        if check_hosts
        else None
    )
    return SourcePolicy(
        hosts=hosts,
        cert_dir=settings.source_cert_dir,
        connect_seconds=settings.source_connect_seconds,
        read_seconds=settings.source_read_seconds,
        roots=settings.scan_root_paths,
        forbidden=(settings.home,),
        managed=(settings.source_uploads_dir,),
    )


def location_policy(settings: Settings) -> service.LocationPolicy:
    """Where registered sources may point: scan roots for files, allowed hosts for databases."""
    return service.LocationPolicy(settings.scan_root_paths, settings.home, source_policy(settings))


# ---------------------------------------------------------------- scans


def request_scan(
    session: Session,
    system_id: int,
    *,
    scope: str,
    requested_by: str,
    source_id: int | None = None,
    sample: int | None = None,
) -> list[ScanRun]:
    """Queue one run per source (``source_id``: just that one) for the worker."""
    system = orgs_service.get_system(session, system_id, scope=scope)
    if source_id is not None:
        source = service.get_source(session, source_id, systems=scoped_systems(scope))
        if source.system_id != system.id:
            raise ValidationFailed("source_not_in_system", "所选数据源不属于该信息系统")
        sources: Sequence[DataSource] = [source]
    else:
        sources = service.list_sources(session, system_id=system.id)
    if not sources:
        raise ValidationFailed(
            "no_sources", "该信息系统尚未登记数据源，请先登记数据库地址或文件位置"
        )
    return [
        service.queue_run(session, s, requested_by=requested_by, sample=sample) for s in sources
    ]


def list_runs(
    session: Session, *, scope: str, system_id: int | None = None, limit: int = 50
) -> Sequence[ScanRun]:
    if system_id is not None:
        orgs_service.get_system(session, system_id, scope=scope)
    return service.list_runs(
        session, systems=scoped_systems(scope), system_id=system_id, limit=limit
    )


def get_run(session: Session, run_id: int, *, scope: str) -> ScanRun:
    return service.get_run(session, run_id, systems=scoped_systems(scope))


def _record_cancel(session: Session, run: ScanRun, reason: str) -> None:
    audit_service.record(
        session,
        action="catalog.scan.cancel",
        object_type="scan_run",
        object_id=run.id,
        fields=("status",),
        reason=reason,
    )


def cancel_run(session: Session, run_id: int, *, scope: str, cancelled_by: str) -> ScanRun:
    """Cancel a queued or running scan (audited); a running one stops at its next batch."""
    run = get_run(session, run_id, scope=scope)
    service.cancel_run(session, run, cancelled_by=cancelled_by)
    _record_cancel(session, run, f"扫描任务 {run.id} 由 {cancelled_by[:64]} 取消")
    return run


class RunStopped(Exception):
    """Raised from the progress of a run that was cancelled or passed its deadline."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


class Progress:
    """What the worker is told while a source is scanned (the defaults do nothing)."""

    def begin(self, tables: int) -> None:
        """The number of tables to scan is known."""

    def table(self, name: str, done: int, rows_read: int) -> None:
        """Now on table ``name``; ``done`` tables finished; ``rows_read`` rows in all."""


SketchKey = tuple[str, str]  # (dataset name, field name)


@dataclass
class ScanOutcome:
    report: dict[str, Any]
    error: tuple[str, str] | None  # (code, Chinese message) of the first failure
    sketches: dict[SketchKey, overlap.SketchData] = dataclasses.field(default_factory=dict)


def sketch_key(keys_dir: Path, from_setting: str | None = None) -> bytes:
    """The key of the overlap sketches: derived from the pseudonymisation key (outside the
    database: ``EDUGUARD_PSEUDONYM_KEY`` or ``HOME/keys/pseudonym.key``) for this use only."""
    return derive_key(load_pseudonym_key(keys_dir, from_setting))


def _sketches(result: TableReport) -> dict[SketchKey, overlap.SketchData]:
    out = {}
    for column in result.columns:
        if column.sketch is not None:
            out[(result.name, column.name)] = overlap.SketchData(
                key_id=column.sketch.key_id,
                k=column.sketch.k,
                exact=column.sketch.exact,
                distinct_values=column.sketch.distinct(),
                rows_read=result.rows_sampled,
                hashes=column.sketch.to_bytes(),
            )
    return out


def scan_source(
    location: str,
    *,
    sample: int | None,
    progress: Progress,
    sketch_key: bytes | None = None,
    policy: SourcePolicy | None = None,
) -> ScanOutcome:
    """Scan every table of ``location`` (which may hold a password: it is never reported).

    Any table that cannot be read makes the outcome an error: the catalog is applied only from
    complete scans, so a half-read source never removes datasets from it. With ``sketch_key``,
    identifying columns also get keyed-hash sketches (one data, one source). ``policy``: the
    host allow-list and timeouts of a registered source. ``progress`` may raise
    :class:`RunStopped` (cancelled, past the deadline): it is not caught here."""
    shown = describe_source(location)
    report = ScanReport(source=shown, scanned_at=datetime.now(UTC).isoformat(timespec="seconds"))
    errors: list[tuple[str, str]] = []
    sketches: dict[SketchKey, overlap.SketchData] = {}
    try:
        # a folder's files that are not scanned are listed in the report, never left out
        tables = list(open_source(location, policy, skipped=True))
    except SourceError as error:
        report.tables.append(
            TableReport(name=shown, error={"code": error.code, "message": error.message_zh})
        )
        return ScanOutcome(report.to_dict(), (error.code, error.message_zh))
    progress.begin(len(tables))
    rows_before = 0
    for done, table in enumerate(tables):
        progress.table(table.name, done, rows_before)
        if isinstance(table, SkippedFile):
            reason = table.error
            report.skipped.append(
                {"name": table.name, "code": reason.code, "message": reason.message_zh}
            )
            continue
        if isinstance(table, FailedTable):
            failure = table.error
        else:
            current = rows_before

            def on_batch(
                name: str, rows: int, _expected: int | None, base: int = current, at: int = done
            ) -> None:
                progress.table(name, at, base + rows)

            try:
                result = scan_table(table, sample=sample, progress=on_batch, sketch_key=sketch_key)
            except SourceError as error:
                failure = error
            else:
                report.tables.append(result)
                sketches.update(_sketches(result))
                rows_before += result.rows_sampled
                continue
        report.tables.append(
            TableReport(
                name=table.name, error={"code": failure.code, "message": failure.message_zh}
            )
        )
        # A source-level failure (the database itself) is named by its message already.
        where = "" if table.name == shown else f"{table.name}："
        errors.append((failure.code, f"{where}{failure.message_zh}"))
    progress.table("", len(tables), rows_before)
    if not tables:
        errors.append(("no_tables", f"数据源中没有可扫描的表或文件：{shown}"))
    return ScanOutcome(report.to_dict(), errors[0] if errors else None, sketches)


def apply_run(
    session: Session,
    run: ScanRun,
    report: dict[str, Any],
    sketches: dict[SketchKey, overlap.SketchData] | None = None,
) -> versions.Applied:
    """Make a complete scan the new catalog version of the run's system (audited); with
    ``sketches`` (a scan made with a sketch key), replace its fields' overlap sketches. Other
    domains hear of the new version through ``events.version_applied`` (a queued task)."""
    system = orgs_service.get_system(session, run.system_id)
    applied = versions.apply_report(
        session, run, report, watched_types=WATCHED_TYPES, system_name=system.name
    )
    if sketches is not None:
        present = session.execute(
            select(Dataset.name, Field)
            .join(Field, Field.dataset_id == Dataset.id)
            .where(Dataset.source_id == run.source_id, Field.present.is_(True))
        ).all()
        fields = {(dataset_name, f.name): f for dataset_name, f in present}
        overlap.store(session, system_id=run.system_id, fields=fields, sketches=sketches)
    stats.refresh(session, [run.system_id])
    events.version_applied(session, run.system_id)  # e.g. the register's expected items
    audit_service.record(
        session,
        action="catalog.apply",
        object_type="catalog_version",
        object_id=applied.version.id,
        fields=["datasets", "fields"],
        row_count=applied.fields,
        reason=(
            f"扫描任务 {run.id} 生成目录第 {applied.version.number} 版："
            f"{len(applied.changes)} 处变化，{len(applied.alerts)} 项发现"
        ),
    )
    return applied


# ---------------------------------------------------------------- reading


def _system(session: Session, cache: dict[int, InformationSystem], system_id: int) -> Any:
    if system_id not in cache:
        cache[system_id] = orgs_service.get_system(session, system_id)
    return cache[system_id]


def dataset_reads(session: Session, datasets: Sequence[Dataset]) -> list[DatasetRead]:
    cache: dict[int, InformationSystem] = {}
    out = []
    for dataset in datasets:
        system = _system(session, cache, dataset.system_id)
        fields = [f for f in dataset.fields if f.present]
        types = sorted({code for f in fields for code in f.pi_types})
        out.append(
            DatasetRead(
                id=dataset.id,
                system_id=system.id,
                system=system.name,
                unit_id=system.unit_id,
                source_id=dataset.source_id,
                name=dataset.name,
                comment=dataset.comment,
                row_count=dataset.row_count,
                subjects=dataset.subjects,
                level=dataset.level,
                minors=dataset.minors,
                sensitive=any(f.sensitive for f in fields),
                pi_types=types,
                retention_period=dataset.retention_period,
                storage_location=system.storage_location.value,
                owner_unit=system.owner_unit.name,
                operator_unit=(
                    system.operator_unit.name if system.operator_unit else system.operator_name
                ),
                user_units=[u.name for u in system.user_units],
                fields_count=len(fields),
                proposals=[p for p in (dataset.important_proposals or "").split("\n") if p],
            )
        )
    return out


def field_read(field: Field) -> FieldRead:
    return FieldRead(
        id=field.id,
        dataset_id=field.dataset_id,
        dataset=field.dataset.name,
        system_id=field.dataset.system_id,
        name=field.name,
        comment=field.comment,
        pi_types=field.pi_types,
        category=field.category,
        level=field.level,
        sensitive=field.sensitive,
        minors=field.minors,
        confidence=field.confidence,
        evidence=[line for line in field.evidence.splitlines() if line],
        proposed_pi_types=[c for c in field.proposed_pi_types.split(",") if c],
        proposed_category=field.proposed_category,
        proposed_level=field.proposed_level,
        review_status=field.review_status,
        review_reason=field.review_reason,
        reviewed_by=field.reviewed_by,
        reviewed_at=field.reviewed_at,
    )


def set_retention(
    session: Session, dataset_id: int, retention_period: str | None, *, scope: str
) -> Dataset:
    dataset = service.get_dataset(session, dataset_id, systems=scoped_systems(scope))
    service.set_retention(session, dataset, retention_period)
    stats.refresh(session, [dataset.system_id])
    audit_service.record(
        session,
        action="catalog.retention",
        object_type="catalog_dataset",
        object_id=dataset.id,
        fields=["retention_period"],
        row_count=1,
    )
    return dataset


# ---------------------------------------------------------------- alerts


def acknowledge_alert(
    session: Session, alert_id: int, data: AlertAcknowledge, *, scope: str
) -> CatalogAlert:
    """The security administrator has seen the alert and says what was done; the decision and
    its note are in the audit log (who and when), the alert leaves the open list."""
    alert = service.get_alert(session, alert_id, systems=scoped_systems(scope))
    service.acknowledge_alert(session, alert)
    audit_service.record(
        session,
        action="catalog.alert.acknowledge",
        object_type="catalog_alert",
        object_id=alert.id,
        fields=("status",),
        row_count=1,
        reason=f"告警已知悉：{data.note}",
    )
    return alert


# ---------------------------------------------------------------- review


def review(
    session: Session, field_id: int, data: FieldReview, *, scope: str, reviewer: str
) -> Field:
    field = service.get_field(session, field_id, systems=scoped_systems(scope))
    names = service.review_field(session, field, data, reviewer=reviewer)
    if data.decision == "correct":
        # Sensitivity follows the corrected types as the scan's grading would derive it:
        # a PIPL Art. 28 type, or personal information of children under 14.
        types = set(field.pi_types)
        sensitive = bool(SENSITIVE_TYPES & types) or (field.minors and bool(types))
        if sensitive != field.sensitive:
            field.sensitive = sensitive
            names.append("sensitive")
        session.flush()
    stats.refresh(session, [field.dataset.system_id])
    label = "确认" if data.decision == "confirm" else "更正"
    audit_service.record(
        session,
        action=f"catalog.review.{data.decision}",
        object_type="catalog_field",
        object_id=field.id,
        fields=names,
        row_count=1,
        reason=f"{label}分类分级：{data.reason}",
    )
    return field


def bulk_candidates(
    session: Session, data: BulkAccept, *, scope: str
) -> tuple[list[Field], list[Field]]:
    """What a bulk confirmation would take: (the fields it confirms, the sensitive fields it
    leaves for a review one by one unless ``include_sensitive``) — only pending proposals at
    least ``min_confidence`` sure that match the listing's filters."""
    if data.system_id is not None:
        orgs_service.get_system(session, data.system_id, scope=scope)
    fields = service.confident_proposals(
        session,
        systems=scoped_systems(scope),
        system_id=data.system_id,
        min_confidence=data.min_confidence,
        search=data.search or None,
        pi_type=data.pi_type or None,
        personal_only=data.personal_only,
    )
    sensitive = [f for f in fields if f.sensitive]
    if data.include_sensitive:
        return fields, []
    return [f for f in fields if not f.sensitive], sensitive


def bulk_accept(session: Session, data: BulkAccept, *, scope: str, reviewer: str) -> int:
    """Confirm the pending proposals :func:`bulk_candidates` selects; one audit event per
    field, so each decision can be traced like a single one."""
    fields, _left = bulk_candidates(session, data, scope=scope)
    decision = FieldReview(decision="confirm", reason=data.reason)
    for field in fields:
        names = service.review_field(session, field, decision, reviewer=reviewer)
        audit_service.record(
            session,
            action="catalog.review.bulk_confirm",
            object_type="catalog_field",
            object_id=field.id,
            fields=names,
            row_count=1,
            reason=f"批量确认（置信度 ≥ {data.min_confidence}）：{data.reason}",
        )
    stats.refresh(session, {field.dataset.system_id for field in fields})
    return len(fields)


# ---------------------------------------------------------------- export


def export_rows(session: Session, *, scope: str) -> list[dict[str, Any]]:
    """One row per data item in ``scope``, with its system, unit and the effective grading."""
    query = (
        select(Field, Dataset, DataSource)
        .join(Dataset, Field.dataset_id == Dataset.id)
        .join(DataSource, Dataset.source_id == DataSource.id)
        .where(Field.present.is_(True), Dataset.present.is_(True))
        .order_by(Dataset.system_id, Dataset.name, Field.id)
    )
    systems = scoped_systems(scope)
    if systems is not None:
        query = query.where(Dataset.system_id.in_(systems))
    cache: dict[int, InformationSystem] = {}
    found = session.execute(query).unique().all()
    for _field, dataset, _source in found:
        _system(session, cache, dataset.system_id)
    chains = orgs_service.path_names(session, (s.unit.path for s in cache.values()))
    rows = []
    for field, dataset, source in found:
        system = _system(session, cache, dataset.system_id)
        rows.append(
            {
                "unit": system.unit.name,
                "unit_parents": chains[system.unit.path][:-1],  # superiors, top first
                "system": system.name,
                "source": source.name,
                "dataset": dataset.name,
                "dataset_comment": dataset.comment,
                "field": field.name,
                "field_comment": field.comment,
                "pi_types": field.pi_types,
                "category": field.category,
                "level": field.level,
                "sensitive": field.sensitive,
                "minors": field.minors,
                "row_count": dataset.row_count,
                "subjects": dataset.subjects,
                "storage_location": STORAGE_LABELS.get(system.storage_location.value, "—"),
                "retention_period": dataset.retention_period,
                "owner_unit": system.owner_unit.name,
                "operator_unit": (
                    system.operator_unit.name if system.operator_unit else system.operator_name
                ),
                "user_units": [u.name for u in system.user_units],
                "review_status": REVIEW_LABELS[field.review_status],
                "reviewed_by": field.reviewed_by,
            }
        )
    return rows


def export_scope(session: Session, *, scope: str, unit_id: int | None) -> tuple[str, str, str]:
    """The path exported, its label (the unit's name chain) and the unit's own name."""
    if unit_id is not None:
        scope = orgs_service.get_unit(session, unit_id, scope=scope).path
    if scope == ALL:
        return scope, "全部单位", "全部单位"
    chain = orgs_service.path_names(session, [scope])[scope]
    return scope, "/".join(chain), chain[-1] if chain else "全部单位"


def export(
    session: Session, fmt: str, *, scope: str, unit_id: int | None = None, zone: str = LOCAL_ZONE
) -> tuple[bytes, int]:
    """The catalog of ``scope`` (narrowed to ``unit_id`` and below) as xlsx or JSON; audited."""
    if fmt not in catalog_export.FORMATS:
        raise ValidationFailed(
            "format_invalid", "导出格式须为 xlsx 或 json", "format: xlsx or json"
        )
    scope, label, _name = export_scope(session, scope=scope, unit_id=unit_id)
    rows = export_rows(session, scope=scope)
    body = catalog_export.render(rows, fmt, scope_label=label, zone=zone)
    audit_service.record(
        session,
        action="catalog.export",
        object_type="catalog",
        object_id=unit_id,
        fields=[key for key, _label in catalog_export.COLUMNS],
        row_count=len(rows),
        reason=f"导出数据资源目录（{fmt}，{label}）",
    )
    return body, len(rows)
