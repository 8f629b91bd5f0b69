"""Applying a scan report to the catalog: a new version, what changed, findings and alerts.

Works on the scan-report JSON contract (../shared/contracts/scan-report.md), so it needs no
import of the discovery domain. Flushes, never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eduguard import labels
from eduguard.catalog.models import (
    CatalogAlert,
    CatalogChange,
    CatalogVersion,
    ChangeKind,
    Dataset,
    Field,
    ReviewStatus,
    ScanRun,
)


@dataclass
class Applied:
    version: CatalogVersion
    changes: list[CatalogChange]
    alerts: list[CatalogAlert]
    datasets: int
    fields: int


def _codes(types: Iterable[str]) -> str:
    return ",".join(sorted(set(types)))


def _alerting(types: Iterable[str], sensitive: bool, watched: frozenset[str]) -> bool:
    return sensitive or any(code in watched for code in types)


def apply_report(
    session: Session,
    run: ScanRun,
    report: dict[str, Any],
    *,
    watched_types: frozenset[str],
    system_name: str,
) -> Applied:
    """Make ``report`` (the scan-report JSON contract) the catalog of the run's source, as a new
    version of the system's catalog, with what changed since the last one. A new field holding
    an identifier or sensitive type after the first version is a finding and an alert."""
    previous = session.scalar(
        select(func.max(CatalogVersion.number)).where(CatalogVersion.system_id == run.system_id)
    )
    baseline = (
        session.scalar(
            select(func.count())
            .select_from(CatalogVersion)
            .where(CatalogVersion.source_id == run.source_id)
        )
        or 0
    ) > 0
    version = CatalogVersion(
        system_id=run.system_id, number=(previous or 0) + 1, source_id=run.source_id
    )
    session.add(version)
    session.flush()
    existing = {
        d.name: d
        for d in session.scalars(select(Dataset).where(Dataset.source_id == run.source_id)).all()
    }
    changes: list[CatalogChange] = []

    def change(kind: ChangeKind, dataset: str, field: str | None = None, **kw: Any) -> None:
        changes.append(
            CatalogChange(
                version_id=version.id,
                system_id=run.system_id,
                kind=kind,
                dataset_name=dataset[:300],
                field_name=field[:300] if field else None,
                **kw,
            )
        )

    seen: set[str] = set()
    field_total = 0
    for table in report.get("tables", []):
        name = str(table["name"])[:300]
        seen.add(name)
        dataset = existing.get(name)
        if dataset is None or not dataset.present:
            if dataset is None:
                dataset = Dataset(system_id=run.system_id, source_id=run.source_id, name=name)
                session.add(dataset)
                existing[name] = dataset
            dataset.present = True
            if baseline:
                change(ChangeKind.dataset_added, name)
        dataset.comment = (table.get("comment") or None) and str(table["comment"])[:500]
        dataset.row_count = table.get("row_count")
        dataset.rows_sampled = int(table.get("rows_sampled") or 0)
        dataset.subjects = table.get("subjects")
        dataset.level = str(table.get("level") or "general-1")
        dataset.minors = bool(table.get("minors"))
        proposals = [str(p)[:500] for p in table.get("proposals") or []][:10]
        dataset.important_proposals = "\n".join(proposals) or None
        dataset.last_version_id = version.id
        session.flush()
        fields = {f.name: f for f in dataset.fields}
        present_names: set[str] = set()
        for column in table.get("columns", []):
            field_total += 1
            column_name = str(column["name"])[:300]
            present_names.add(column_name)
            types = _codes(column.get("pi_types") or [])[:500]
            category = column.get("category")
            level = str(column.get("level") or "general-1")
            field = fields.get(column_name)
            if field is None or not field.present:
                if field is None:
                    field = Field(dataset=dataset, name=column_name)
                    session.add(field)
                    fields[column_name] = field
                field.present = True
                if baseline:
                    finding = _alerting(
                        types.split(","), bool(column.get("sensitive")), watched_types
                    )
                    change(ChangeKind.field_added, name, column_name, after=types, finding=finding)
            else:
                proposal_changed = (types, category, level) != (
                    field.proposed_pi_types,
                    field.proposed_category,
                    field.proposed_level,
                )
                if types != field.proposed_pi_types:
                    newly = set(types.split(",")) - set(field.proposed_pi_types.split(","))
                    finding = _alerting(newly, False, watched_types) or (
                        bool(column.get("sensitive")) and not field.sensitive
                    )
                    change(
                        ChangeKind.types_changed,
                        name,
                        column_name,
                        before=field.proposed_pi_types,
                        after=types,
                        finding=finding,
                    )
                if proposal_changed and field.reviewed:
                    field.review_status = ReviewStatus.rereview
            field.comment = (column.get("comment") or None) and str(column["comment"])[:500]
            field.proposed_pi_types = types
            field.proposed_category = category
            field.proposed_level = level
            if field.review_status != ReviewStatus.corrected:  # a correction's flag stands
                field.sensitive = bool(column.get("sensitive"))
            field.minors = bool(column.get("minors"))
            field.confidence = float(column.get("confidence") or 0.0)
            field.evidence = "\n".join(str(e) for e in column.get("evidence") or [])
        for field in fields.values():
            if field.present and field.name not in present_names:
                field.present = False
                change(ChangeKind.field_removed, name, field.name, before=field.proposed_pi_types)
    for dataset in existing.values():
        if dataset.present and dataset.name not in seen:
            dataset.present = False
            for field in dataset.fields:
                field.present = False
            change(ChangeKind.dataset_removed, dataset.name)
    session.add_all(changes)
    session.flush()
    alerts = [
        CatalogAlert(
            system_id=run.system_id,
            version_id=version.id,
            change_id=c.id,
            severity="high",
            message=(
                f"信息系统“{system_name}”的数据集 {c.dataset_name} 出现新的个人信息字段 "
                f"{c.field_name}（{labels.labels('pi_type', (c.after or '').split(','))}），"
                "请安全管理员核实其收集依据与保护措施"
            )[:1000],
        )
        for c in changes
        if c.finding
    ]
    session.add_all(alerts)
    run.version_id = version.id
    run.datasets_count = len(seen)
    run.fields_count = field_total
    run.changes_count = len(changes)
    run.findings_count = len(alerts)
    session.flush()
    return Applied(version, changes, alerts, len(seen), field_total)
