"""Retention across domains: the catalog (datasets, their columns, whether they hold personal
information), orgs (systems and units), processing (the purpose a rule serves) and the audit
log. The only module of ``retention`` that imports other domains.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard import labels
from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import Dataset
from eduguard.errors import ValidationFailed
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import InformationSystem, Unit
from eduguard.processing import service as processing_service
from eduguard.retention import service
from eduguard.retention.models import HoldKind, RetentionExemption, RetentionHold, RetentionRule
from eduguard.retention.schemas import (
    DatasetRetention,
    ExemptionRead,
    HoldRead,
    RuleIn,
    RuleRead,
)

RULE_OBJECT = "retention_rule"
HOLD_OBJECT = "retention_hold"

labels.register(
    "retention_trigger",
    {
        "date_column": (
            "自数据中的日期起算（如毕业日期）",
            "From a date in the data (e.g. graduation)",
        ),
        "event": ("自事件发生起算（如学年结束）", "From an event (e.g. end of school year)"),
        "row_age": ("自记录写入时间起算", "From the row's own timestamp"),
    },
)
labels.register(
    "retention_disposition",
    {
        "delete": ("删除", "Delete"),
        "anonymise": ("匿名化", "Anonymise"),
        "archive": ("归档", "Archive"),
    },
)
labels.register(
    "period_unit", {"days": ("天", "days"), "months": ("个月", "months"), "years": ("年", "years")}
)
labels.register(
    "hold_kind",
    {
        "complaint": ("投诉处理", "Complaint"),
        "incident": ("安全事件调查", "Incident investigation"),
        "litigation": ("诉讼", "Litigation"),
        "audit": ("审计", "Audit"),
        "supervisor": ("监管部门要求", "Supervisor's request"),
    },
)
labels.register(
    "retention_status",
    {
        "rule": ("已有规则", "Has a rule"),
        "exempt": ("已登记豁免", "Exempt"),
        "missing": ("缺少规则", "No rule"),
        "not_personal": ("不含个人信息", "No personal information"),
    },
)

# Every change is an audit event in the same transaction (column names only).
audit_capture.register("retention_rules", RULE_OBJECT, frozenset({"revision", "updated_by"}))
audit_capture.register("retention_exemptions", "retention_exemption")
audit_capture.register("retention_holds", HOLD_OBJECT)


def _dataset(session: Session, dataset_id: int, scope: str) -> Dataset:
    return catalog_service.get_dataset(
        session, dataset_id, systems=catalog_flows.scoped_systems(scope)
    )


def personal(dataset: Dataset) -> bool:
    """Whether the catalog says the dataset holds personal information (a present field with
    a PI type, reviewed or proposed)."""
    return any(f.present and f.pi_types for f in dataset.fields)


def _column(dataset: Dataset, name: str | None, what: str) -> None:
    if name is None:
        return
    present = {f.name for f in dataset.fields if f.present}
    if name not in present:
        raise ValidationFailed(
            "retention_column_not_in_dataset",
            f"{what}“{name}”不是数据集“{dataset.name}”在数据资源目录中的字段",
            f"{name!r} is not a field of dataset {dataset.name!r}",
            details={"column": name},
        )


def _purpose(session: Session, dataset: Dataset, purpose_id: int | None) -> None:
    if purpose_id is None:
        return
    try:
        purpose = processing_service.get_purpose(session, purpose_id)
    except Exception:  # NotFound: reported below as a wrong reference
        purpose = None
    if purpose is None or purpose.system_id != dataset.system_id:
        raise ValidationFailed(
            "retention_purpose_not_in_system",
            f"处理目的 {purpose_id} 不存在或不属于数据集“{dataset.name}”所在的信息系统",
            "the purpose does not exist or belongs to another system",
            details={"purpose_id": purpose_id},
        )


# ---------------------------------------------------------------- reads


def rule_read(rule: RetentionRule) -> RuleRead:
    read = RuleRead.model_validate(rule)
    read.summary = service.summary(rule)
    return read


def dataset_retention(
    session: Session, dataset: Dataset, *, today: date | None = None
) -> DatasetRetention:
    today = today or date.today()
    system = session.get(InformationSystem, dataset.system_id)
    rule = service.get_rule(session, dataset.id)
    exemption = service.get_exemption(session, dataset.id)
    is_personal = personal(dataset)
    if rule is not None:
        status = "rule"
    elif exemption is not None:
        status = "exempt"
    else:
        status = "missing" if is_personal else "not_personal"
    return DatasetRetention(
        dataset_id=dataset.id,
        dataset=dataset.name,
        system_id=dataset.system_id,
        system=system.name if system else "",
        personal=is_personal,
        rule=rule_read(rule) if rule else None,
        exemption=ExemptionRead.model_validate(exemption) if exemption else None,
        holds=[HoldRead.model_validate(h) for h in service.holds_of(session, [dataset.id])],
        cutoff=service.cutoff(rule, today) if rule else None,
        status=status,
    )


def read_dataset(session: Session, dataset_id: int, *, scope: str) -> DatasetRetention:
    return dataset_retention(session, _dataset(session, dataset_id, scope))


def _datasets_of_units(session: Session, unit_ids: Sequence[int] | None) -> list[Dataset]:
    query = (
        select(Dataset)
        .join(InformationSystem, InformationSystem.id == Dataset.system_id)
        .where(Dataset.present.is_(True), InformationSystem.archived.is_(False))
    )
    if unit_ids is not None:
        query = query.where(InformationSystem.unit_id.in_(unit_ids))
    return list(session.scalars(query.order_by(Dataset.system_id, Dataset.name)))


def overview(session: Session, unit_id: int, *, scope: str) -> list[DatasetRetention]:
    """Every present dataset of the unit's systems and those of the units below it."""
    unit = orgs_service.get_unit(session, unit_id, scope=scope)
    below = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    ids = list(session.scalars(below))
    return [dataset_retention(session, d) for d in _datasets_of_units(session, ids)]


def datasets_without_rule(session: Session, unit_id: int) -> list[Dataset]:
    """The datasets of ``unit_id``'s own (non-archived) systems that hold personal
    information and have neither a retention rule nor a recorded exemption — what compliance
    reports as a finding (notice item 5: 存储遵循“最短周期”原则)."""
    datasets = [d for d in _datasets_of_units(session, [unit_id]) if personal(d)]
    enforced = governed(session, [d.id for d in datasets])
    return [d for d in datasets if d.id not in enforced]


def governed(session: Session, dataset_ids: Sequence[int]) -> dict[int, str]:
    """Dataset id → how its retention is enforced, in one Chinese sentence: its rule (which the
    daily job plans dispositions from) or its recorded exemption. Datasets with neither are
    absent — compliance's N5-RETENTION finding."""
    if not dataset_ids:
        return {}
    ids = list(dataset_ids)
    found = {
        e.dataset_id: f"不设保存期限规则（已登记理由：{e.reason}）"
        for e in session.scalars(
            select(RetentionExemption).where(RetentionExemption.dataset_id.in_(ids))
        )
    }
    for rule in session.scalars(select(RetentionRule).where(RetentionRule.dataset_id.in_(ids))):
        found[rule.dataset_id] = service.summary(rule)
    return found


# ---------------------------------------------------------------- changes


def save_rule(
    session: Session, dataset_id: int, data: RuleIn, *, scope: str, by: str
) -> RetentionRule:
    dataset = _dataset(session, dataset_id, scope)
    _column(dataset, data.trigger_column, "日期列")
    _column(dataset, data.key_column, "行键列")
    _purpose(session, dataset, data.purpose_id)
    rule, changed = service.save_rule(session, dataset.id, data, by=by)
    if changed:
        audit_service.record(
            session,
            action="retention.rule.save",
            object_type=RULE_OBJECT,
            object_id=rule.id,
            fields=changed,
            row_count=1,
            reason=f"数据集 {dataset.id}：{service.summary(rule)}"[:1000],
        )
    return rule


def remove_rule(session: Session, dataset_id: int, *, scope: str) -> None:
    dataset = _dataset(session, dataset_id, scope)
    service.remove_rule(session, dataset.id)


def record_exemption(
    session: Session, dataset_id: int, reason: str, *, scope: str, by: str
) -> DatasetRetention:
    dataset = _dataset(session, dataset_id, scope)
    exemption = service.record_exemption(session, dataset.id, reason, by=by)
    audit_service.record(
        session,
        action="retention.exempt",
        object_type="retention_exemption",
        object_id=exemption.id,
        fields=["reason"],
        row_count=1,
        reason=f"数据集 {dataset.id} 不设保存期限规则：{reason}"[:1000],
    )
    return dataset_retention(session, dataset)


def place_hold(
    session: Session,
    dataset_id: int,
    kind: HoldKind,
    reference: str,
    reason: str,
    *,
    scope: str,
    by: str,
    subject: tuple[str, str] | None = None,
) -> RetentionHold:
    """A hold on the dataset, or — ``subject`` = (column, value) — on one subject of it: its
    rows are left out of dispositions while the others proceed. The value is only hashed."""
    dataset = _dataset(session, dataset_id, scope)
    if subject is not None:
        _column(dataset, subject[0], "主体所在的列")
        if not subject[1].strip():
            raise ValidationFailed("retention_subject_empty", "主体保全须填写主体标识")
    hold = service.place_hold(session, dataset.id, kind, reference, reason, by=by, subject=subject)
    whom = f"，仅主体保全（列“{subject[0]}”）" if subject is not None else ""
    audit_service.record(
        session,
        action="retention.hold.place",
        object_type=HOLD_OBJECT,
        object_id=hold.id,
        fields=["kind", "reason", *(["subject_column", "subject_hash"] if subject else [])],
        row_count=1,
        reason=f"数据集 {dataset.id}（{service.HOLD_LABELS[kind]}{whom}）：{reason}"[:1000],
    )
    return hold


def get_hold(session: Session, hold_id: int, *, scope: str) -> RetentionHold:
    hold = service.get_hold(session, hold_id)
    _dataset(session, hold.dataset_id, scope)  # 404 outside the caller's scope
    return hold


def release_hold(
    session: Session, hold_id: int, reason: str, *, scope: str, by: str
) -> RetentionHold:
    hold = get_hold(session, hold_id, scope=scope)
    service.release_hold(session, hold, reason, by=by)
    audit_service.record(
        session,
        action="retention.hold.release",
        object_type=HOLD_OBJECT,
        object_id=hold.id,
        fields=["released_at", "release_reason"],
        row_count=1,
        reason=f"数据集 {hold.dataset_id}：{reason}"[:1000],
    )
    return hold


def list_holds(
    session: Session, unit_id: int, *, scope: str, open_only: bool = True
) -> list[RetentionHold]:
    datasets = overview(session, unit_id, scope=scope)
    return service.holds_of(session, [d.dataset_id for d in datasets], open_only=open_only)
