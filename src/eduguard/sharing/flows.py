"""Sharing across domains: the catalog (datasets, fields, their grading and flags), orgs (units
and systems), protection (the masking operators a requirement may name) and the audit log. The
only module of ``sharing`` that imports other domains.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard import labels
from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import Dataset, Field
from eduguard.classification import SENSITIVE_TYPES
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import InformationSystem, Unit
from eduguard.protection.operators import REGISTRY as MASKING_OPERATORS
from eduguard.sharing import service
from eduguard.sharing.models import ShareAttribute, ShareSetting
from eduguard.sharing.schemas import (
    DatasetShare,
    DatasetShareIn,
    FieldShare,
    FieldShareIn,
    OpenDataset,
    OpenField,
    ResponsibilityRow,
)

SETTING_OBJECT = "share_setting"

labels.register(
    "share_attribute",
    {
        "unconditional": ("无条件共享", "Shared unconditionally"),
        "conditional": ("有条件共享", "Shared on conditions"),
        "none": ("不予共享", "Not shared"),
    },
)
# Every change of an attribute is an audit event in the same transaction (column names only).
audit_capture.register("sharing_settings", SETTING_OBJECT, frozenset({"revision", "updated_by"}))


def masking_options() -> dict[str, str]:
    """The masking requirements an owner may set: protection's operators, by code → name."""
    return {name: cls.label for name, cls in MASKING_OPERATORS.items()}


def protected(field: Field, dataset: Dataset) -> bool:
    """Sensitive PI (the catalog's flag or a sensitive type) or children's PI."""
    types = field.pi_types
    return bool(
        field.sensitive
        or any(t in SENSITIVE_TYPES for t in types)
        or field.minors
        or (dataset.minors and types)
    )


def _fields(dataset: Dataset) -> list[Field]:
    return [f for f in dataset.fields if f.present]


def _facts(dataset: Dataset) -> list[service.FieldFacts]:
    return [service.FieldFacts(f.id, f.name, protected(f, dataset)) for f in _fields(dataset)]


def _dataset(session: Session, dataset_id: int, scope: str) -> Dataset:
    return catalog_service.get_dataset(
        session, dataset_id, systems=catalog_flows.scoped_systems(scope)
    )


def _view(
    dataset: Dataset,
    system: InformationSystem,
    own: ShareSetting | None,
    by_field: dict[int, ShareSetting],
) -> DatasetShare:
    parent = own.attribute if own is not None else None
    fields = []
    for field in _fields(dataset):
        setting = by_field.get(field.id)
        is_protected = protected(field, dataset)
        fields.append(
            FieldShare(
                field_id=field.id,
                name=field.name,
                comment=field.comment,
                level=field.level,
                sensitive=bool(
                    field.sensitive or any(t in SENSITIVE_TYPES for t in field.pi_types)
                ),
                minors=bool(field.minors or (dataset.minors and field.pi_types)),
                attribute=service.effective(parent, setting, is_protected),
                explicit=setting is not None,
                conditions=setting.conditions if setting is not None else "",
                masking=setting.masking if setting is not None else None,
                never_shared=bool(setting is not None and setting.never_shared),
            )
        )
    return DatasetShare(
        dataset_id=dataset.id,
        name=dataset.name,
        comment=dataset.comment,
        level=dataset.level,
        system_id=system.id,
        system=system.name,
        unit_id=system.unit_id,
        unit=system.unit.name,
        attribute=parent,
        conditions=own.conditions if own is not None else "",
        protection=own.protection if own is not None else "",
        responsible=own.responsible if own is not None else "",
        updated_by=own.updated_by if own is not None else None,
        updated_at=own.updated_at if own is not None else None,
        revision=own.revision if own is not None else 0,
        fields=fields,
    )


def read_dataset(session: Session, dataset_id: int, *, scope: str) -> DatasetShare:
    dataset = _dataset(session, dataset_id, scope)
    system = session.get_one(InformationSystem, dataset.system_id)
    return _view(
        dataset,
        system,
        service.dataset_setting(session, dataset.id),
        service.field_settings(session, dataset.id),
    )


def _unit_datasets(
    session: Session, unit: Unit, *, own_only: bool
) -> list[tuple[Dataset, InformationSystem]]:
    query = (
        select(Dataset, InformationSystem)
        .join(InformationSystem, Dataset.system_id == InformationSystem.id)
        .join(Unit, InformationSystem.unit_id == Unit.id)
        .where(Dataset.present.is_(True), InformationSystem.archived.is_(False))
        .order_by(Unit.path, InformationSystem.name, Dataset.name)
    )
    if own_only:
        query = query.where(InformationSystem.unit_id == unit.id)
    else:
        query = query.where(Unit.path.startswith(unit.path, autoescape=True))
    return [(d, s) for d, s in session.execute(query).unique().all()]


def overview(session: Session, unit_id: int, *, scope: str) -> list[DatasetShare]:
    """Every dataset of the unit's systems (and below) with its attributes."""
    return _views(session, orgs_service.get_unit(session, unit_id, scope=scope), own_only=False)


def save_dataset(
    session: Session, dataset_id: int, body: DatasetShareIn, *, scope: str, by: str
) -> DatasetShare:
    dataset = _dataset(session, dataset_id, scope)
    service.save_dataset(
        session,
        dataset.id,
        dataset.name,
        _facts(dataset),
        attribute=body.attribute,
        conditions=body.conditions,
        protection=body.protection,
        responsible=body.responsible,
        never_shared=body.never_shared,
        by=by,
    )
    return read_dataset(session, dataset.id, scope=scope)


def save_field(
    session: Session, field_id: int, body: FieldShareIn, *, scope: str, by: str
) -> DatasetShare:
    field = catalog_service.get_field(
        session, field_id, systems=catalog_flows.scoped_systems(scope)
    )
    dataset = field.dataset
    service.save_field(
        session,
        dataset.id,
        dataset.name,
        service.FieldFacts(field.id, field.name, protected(field, dataset)),
        attribute=body.attribute,
        conditions=body.conditions,
        masking=body.masking,
        never_shared=body.never_shared,
        known_masking=masking_options(),
        by=by,
    )
    return read_dataset(session, dataset.id, scope=scope)


# ---------------------------------------------------------------- generated lists


def open_catalog_of(session: Session, unit: Unit) -> list[OpenDataset]:
    """The unit's 数据开放目录: its own systems' datasets marked 无条件共享, with only the
    fields whose effective attribute is 无条件共享 — names, descriptions and grade, no values."""
    entries = []
    for view in _views(session, unit, own_only=True):
        if view.attribute is not ShareAttribute.unconditional:
            continue
        fields = [
            OpenField(name=f.name, comment=f.comment, level=f.level)
            for f in view.fields
            if f.attribute is ShareAttribute.unconditional
        ]
        entries.append(
            OpenDataset(
                system=view.system,
                name=view.name,
                comment=view.comment,
                level=view.level,
                fields=fields,
            )
        )
    return entries


def _views(session: Session, unit: Unit, *, own_only: bool) -> list[DatasetShare]:
    pairs = _unit_datasets(session, unit, own_only=own_only)
    settings = service.settings_of(session, [d.id for d, _s in pairs])
    own = {s.dataset_id: s for s in settings if s.field_id is None}
    by_field = {s.field_id: s for s in settings if s.field_id is not None}
    return [
        _view(d, s, own.get(d.id), {f.id: by_field[f.id] for f in d.fields if f.id in by_field})
        for d, s in pairs
    ]


def open_catalog(session: Session, unit_id: int, *, scope: str) -> list[OpenDataset]:
    return open_catalog_of(session, orgs_service.get_unit(session, unit_id, scope=scope))


def public_open_catalog(session: Session, unit_id: int) -> tuple[str | None, list[OpenDataset]]:
    """For the public page: the unit's name and entries — (None, []) both for a unit that
    publishes nothing and for one that does not exist (the page tells them apart by nothing)."""
    unit = session.get(Unit, unit_id)
    if unit is None or unit.archived:
        return None, []
    entries = open_catalog_of(session, unit)
    return (unit.name, entries) if entries else (None, [])


def responsibility_list(session: Session, unit_id: int, *, scope: str) -> list[ResponsibilityRow]:
    """The 数据共享责任清单: every dataset with an attribute, then each of its fields."""
    unit = orgs_service.get_unit(session, unit_id, scope=scope)
    pairs = {d.id: s for d, s in _unit_datasets(session, unit, own_only=False)}
    rows = []
    for view in _views(session, unit, own_only=False):
        if view.attribute is None:
            continue
        system = pairs[view.dataset_id]
        common: dict[str, Any] = {
            "unit": view.unit,
            "system": view.system,
            "owner_unit": system.owner_unit.name,
            "operator": (
                system.operator_unit.name if system.operator_unit else system.operator_name or ""
            ),
            "dataset": view.name,
            "responsible": view.responsible or system.owner_unit.name,
            "updated_by": view.updated_by,
            "protection": view.protection,
        }
        rows.append(
            ResponsibilityRow(
                **common,
                field=None,
                description=view.comment,
                level=view.level,
                attribute=view.attribute,
                conditions=view.conditions,
                masking=None,
                never_shared=False,
            )
        )
        for f in view.fields:
            rows.append(
                ResponsibilityRow(
                    **common,
                    field=f.name,
                    description=f.comment,
                    level=f.level,
                    attribute=f.attribute,
                    conditions=f.conditions
                    or (view.conditions if f.attribute is ShareAttribute.conditional else ""),
                    masking=f.masking,
                    never_shared=f.never_shared,
                )
            )
    return rows


def unit_name(session: Session, unit_id: int, *, scope: str) -> str:
    return orgs_service.get_unit(session, unit_id, scope=scope).name


def record_export(
    session: Session, what: str, unit_id: int, rows: int, fields: Sequence[str]
) -> None:
    audit_service.record(
        session,
        action=f"sharing.export_{what}",
        object_type="unit",
        object_id=unit_id,
        fields=fields,
        row_count=rows,
        reason="导出数据开放目录" if what == "open_catalog" else "导出数据共享责任清单",
    )
