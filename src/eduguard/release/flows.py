"""Release across domains: the catalog (dataset, fields, source), orgs (system, units),
identity (accounts for the CLI), reviews (the approval), protection (the masking job) and the
audit log. The only module of ``release`` that imports other domains.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from eduguard.audit import capture as audit_capture
from eduguard.audit import service as audit_service
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import Dataset, Field
from eduguard.catalog.schemas import DatasetRead
from eduguard.db.base import utcnow
from eduguard.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from eduguard.identity import service as identity_service
from eduguard.orgs import service as orgs_service
from eduguard.protection import job as mask_job
from eduguard.protection.keys import load_pseudonym_key
from eduguard.protection.masking import TEXT_EVIDENCE
from eduguard.protection.operators import REGISTRY as OPERATORS
from eduguard.protection.policy import ColumnRule, Policy, Rule, default_policy
from eduguard.protection.writers import write_text_atomically
from eduguard.release import service
from eduguard.release.models import JobStatus, ReleaseRequest
from eduguard.release.schemas import (
    DecisionCreate,
    FieldTreatment,
    ReleaseCreate,
    ReleaseRead,
    StepRead,
    TimelineEntry,
)
from eduguard.reviews import flows as reviews_flows
from eduguard.reviews import service as reviews_service
from eduguard.reviews.models import ReviewRequest, ReviewState
from eduguard.reviews.service import DECISION_LABELS, STATE_LABELS, STEP_LABELS, Person
from eduguard.source_urls import SourcePolicy

KIND = reviews_service.load_kind(
    files("eduguard.release").joinpath("steps.toml").read_text(encoding="utf-8"),
    "release/steps.toml",
)
OBJECT_TYPE = "release_request"
WORKER = Person(None, "worker", frozenset(), None, "/")
JOB_LABELS = {
    JobStatus.waiting: "待批准",
    JobStatus.queued: "待生成",
    JobStatus.running: "生成中",
    JobStatus.succeeded: "已生成",
    JobStatus.failed: "生成失败",
}

audit_capture.register("release_requests", "release_request", frozenset({"downloads"}))


def person_of(session: Session, username: str) -> Person:
    """The account ``username`` as a reviews person (the CLI acts in an account's name)."""
    user = identity_service.find_user(session, username)
    if not user.active:
        raise PermissionDenied("account_inactive", f"账户已停用：{username}")
    path = "/" if user.unit_id is None else orgs_service.get_unit(session, user.unit_id).path
    roles = frozenset(role.value for role in user.role_set)
    return Person(user.id, user.username, roles, user.unit_id, path)


def _get(session: Session, release_id: int, person: Person) -> tuple[ReleaseRequest, ReviewRequest]:
    release = service.get(session, release_id, reviews=reviews_flows.visible_ids(person, KIND))
    review = reviews_flows.get(session, release.review_id, person, KIND)
    return release, review


# ---------------------------------------------------------------- what the copy does with each field

# Operators after which the copy holds nothing of the value: an approval must acknowledge them.
EMPTYING_OPERATORS = frozenset({"suppress", "redact"})
EMPTY_NOTES = {"suppress": "输出为空", "redact": "替换为类型占位符"}


def _field_rule(field: Field, policy: Policy) -> tuple[Rule | None, bool]:
    """The rule the copy applies to ``field`` (None: copied as it is) and whether it is free
    text — from the catalog's (reviewed) types and level, as the export job is told to."""
    if not field.pi_types:
        return None, False
    if any(line.startswith(TEXT_EVIDENCE) for line in field.evidence.splitlines()):
        return policy.text, True
    return policy.rule_for(field.pi_types[0], field.level), False


def _treatment(field: Field, policy: Policy) -> FieldTreatment:
    rule, free_text = _field_rule(field, policy)
    if rule is None:
        return FieldTreatment(
            field=field.name,
            pi_types=[],
            level=field.level,
            operator="keep",
            label="保留原值（目录中无个人信息）",
            free_text=False,
            empty=False,
        )
    label = OPERATORS[rule.operator].label
    empty = rule.operator in EMPTYING_OPERATORS and not free_text
    if free_text:
        label = f"{label}（逐段处理文中的个人信息）"
    elif empty:
        label = f"{label}（{EMPTY_NOTES[rule.operator]}）"
    return FieldTreatment(
        field=field.name,
        pi_types=field.pi_types,
        level=field.level,
        operator=rule.operator,
        label=label,
        free_text=free_text,
        empty=empty,
    )


def field_treatments(dataset: Dataset, names: list[str] | None = None) -> list[FieldTreatment]:
    """What the de-identified copy does with each of ``names`` (every present field when
    None), in the order asked; a field no longer in the catalog is reported as such."""
    policy = default_policy()
    present = {f.name: f for f in dataset.fields if f.present}
    wanted = list(present) if names is None else names
    treatments = []
    for name in wanted:
        found = present.get(name)
        if found is None:
            treatments.append(
                FieldTreatment(
                    field=name,
                    pi_types=[],
                    level=None,
                    operator="gone",
                    label="已不在数据资源目录中",
                    free_text=False,
                    empty=True,
                )
            )
        else:
            treatments.append(_treatment(found, policy))
    return treatments


def _pinned_columns(dataset: Dataset, names: list[str]) -> tuple[ColumnRule, ...]:
    """Policy entries that make the export job apply exactly the treatments shown: a field the
    catalog types is masked by that type's rule whatever the job's own scan finds (a field it
    does not type is still left to the scan, so an unreviewed leak is masked, never kept)."""
    policy = default_policy()
    present = {f.name: f for f in dataset.fields if f.present}
    pinned = []
    for name in names:
        found = present.get(name)
        if found is None:
            continue
        rule, free_text = _field_rule(found, policy)
        if rule is not None:
            pinned.append(ColumnRule(name, dataset.name, found.pi_types[0], rule, text=free_text))
    return tuple(pinned)


def _empty_fields(treatments: list[FieldTreatment]) -> list[str]:
    return [t.field for t in treatments if t.empty]


# ---------------------------------------------------------------- requesting and deciding


def datasets(session: Session, person: Person) -> list[DatasetRead]:
    """The catalog datasets the requester may ask for (those of systems in scope)."""
    found = catalog_service.list_datasets(
        session, systems=catalog_flows.scoped_systems(person.unit_path), limit=1000
    )
    return catalog_flows.dataset_reads(session, found)


def dataset(session: Session, dataset_id: int, person: Person) -> Dataset:
    return catalog_service.get_dataset(
        session, dataset_id, systems=catalog_flows.scoped_systems(person.unit_path)
    )


def request(session: Session, data: ReleaseCreate, person: Person) -> ReleaseRequest:
    """A release request about a dataset the requester may see; submitted unless a draft."""
    dataset = catalog_service.get_dataset(
        session, data.dataset_id, systems=catalog_flows.scoped_systems(person.unit_path)
    )
    if not dataset.present:
        raise NotFound("dataset_not_found", f"数据集不存在：{data.dataset_id}", "not found")
    system = orgs_service.get_system(session, dataset.system_id, scope=person.unit_path)
    if system.archived:
        raise ValidationFailed("system_archived", "信息系统已归档，不能申请数据发布")
    present = {f.name: f for f in dataset.fields if f.present}
    unknown = [name for name in data.fields if name not in present]
    if unknown:
        raise ValidationFailed(
            "field_unknown",
            f"数据集“{dataset.name}”中没有字段：{'、'.join(unknown)}",
            details={"fields": unknown},
        )
    sensitive = any(present[name].sensitive for name in data.fields)
    review = reviews_flows.create(
        session,
        KIND,
        object_type=OBJECT_TYPE,
        object_id=None,
        title=f"{system.name} · {dataset.name} → {data.recipient}",
        unit_id=system.unit_id,
        requester=person,
        units={"owner": system.owner_unit_id, "unit": system.unit_id},
        flags=frozenset({"sensitive"}) if sensitive else frozenset(),
    )
    release = service.create(
        session,
        data,
        review_id=review.id,
        system_id=system.id,
        dataset_name=dataset.name,
        requester_id=person.user_id,
    )
    review.object_id = release.id
    audit_service.record(
        session,
        action="release.request",
        object_type=OBJECT_TYPE,
        object_id=release.id,
        fields=data.fields,
        reason=f"申请发布“{system.name} · {dataset.name}”的 {len(data.fields)} 个字段给 {data.recipient}"[
            :1000
        ],
    )
    if data.submit:
        reviews_flows.submit(session, review, KIND, person)
    return release


def submit(session: Session, release_id: int, person: Person) -> ReleaseRequest:
    release, review = _get(session, release_id, person)
    reviews_flows.submit(session, review, KIND, person)
    return release


def withdraw(session: Session, release_id: int, person: Person) -> ReleaseRequest:
    release, review = _get(session, release_id, person)
    reviews_flows.withdraw(session, review, KIND, person)
    return release


def decide(
    session: Session, release_id: int, data: DecisionCreate, person: Person
) -> ReleaseRequest:
    """A decision on the step awaiting; the last approval queues the export job."""
    release, review = _get(session, release_id, person)
    reason = data.reason
    if data.decision == "approve":
        empty = _empty_fields(
            field_treatments(
                catalog_service.get_dataset(session, release.dataset_id), release.field_list
            )
        )
        if empty and not data.accept_empty:
            raise ValidationFailed(
                "release_fields_empty",
                f"以下申请字段在脱敏数据中将不含任何原值：{'、'.join(empty)}。"
                "请确认知悉后再同意，或退回申请人修改字段。",
                f"these fields carry no value in the copy: {', '.join(empty)}; "
                "acknowledge (accept_empty) or return the request",
                details={"fields": empty},
            )
        if empty:
            reason = f"{reason}（已知悉：{'、'.join(empty)} 在脱敏数据中不含原值）"[:1000]
    state = reviews_flows.decide(session, review, KIND, person, data.decision, reason)
    if state == ReviewState.approved:
        service.queue(release)
    return release


def list_releases(
    session: Session, person: Person, *, state: ReviewState | None = None, limit: int = 200
) -> list[ReleaseRead]:
    releases = service.list_releases(
        session, reviews=reviews_flows.visible_ids(person, KIND, state), limit=limit
    )
    return [read(session, r.id, person) for r in releases]


def read(session: Session, release_id: int, person: Person) -> ReleaseRead:
    release, review = _get(session, release_id, person)
    system = orgs_service.get_system(session, release.system_id)
    treatments = field_treatments(
        catalog_service.get_dataset(session, release.dataset_id), release.field_list
    )
    units: dict[int, str] = {}

    def unit_name(unit_id: int) -> str:
        if unit_id not in units:
            units[unit_id] = orgs_service.get_unit(session, unit_id).name
        return units[unit_id]

    return ReleaseRead(
        id=release.id,
        review_id=review.id,
        state=review.state.value,
        state_label=STATE_LABELS[review.state],
        system_id=system.id,
        system=system.name,
        unit=system.unit.name,
        owner_unit=system.owner_unit.name,
        dataset_id=release.dataset_id,
        dataset=release.dataset_name,
        requester=review.requester_name,
        purpose=release.purpose,
        recipient=release.recipient,
        legal_basis=release.legal_basis,
        ethics_note=release.ethics_note,
        fields=release.field_list,
        quasi_identifiers=release.quasi_list,
        k=release.k,
        l_diversity=release.l_diversity,
        sensitive_attribute=release.sensitive_attribute,
        treatments=treatments,
        empty_fields=_empty_fields(treatments),
        job_status=release.job_status.value,
        job_error=release.job_error,
        rows_exported=release.rows_exported,
        finished_at=release.finished_at,
        created_at=release.created_at,
        steps=[
            StepRead(
                position=step.position,
                label=step.label,
                role=step.role,
                unit_id=step.unit_id,
                unit=unit_name(step.unit_id),
                status=step.status.value,
                status_label=STEP_LABELS[step.status],
                decided_by=step.decided_by_name,
                reason=step.reason,
                decided_at=step.decided_at,
            )
            for step in review.steps
        ],
        timeline=[
            TimelineEntry(
                action=entry.action.value,
                label=DECISION_LABELS[entry.action],
                actor=entry.actor_name,
                step=entry.step_position,
                reason=entry.reason,
                at=entry.created_at,
            )
            for entry in review.decisions
        ],
        can_decide=reviews_service.may_decide(review, person),
        can_download=_downloadable(release, review, person),
    )


def _downloadable(release: ReleaseRequest, review: ReviewRequest, person: Person) -> bool:
    return (
        person.user_id is not None
        and release.requester_id == person.user_id
        and review.state == ReviewState.fulfilled
        and release.job_status == JobStatus.succeeded
    )


# ---------------------------------------------------------------- the export job


@dataclass(frozen=True)
class JobInput:
    release_id: int
    location: str  # may hold a password: never logged or shown
    secret: str | None
    table: str
    fields: list[str]
    output: Path
    output_format: str
    deidentify: mask_job.Deidentification | None
    pinned: tuple[ColumnRule, ...] = ()


def job_input(session: Session, release: ReleaseRequest, home: Path) -> JobInput:
    """What the job reads and where it writes; the source's password is decrypted here."""
    dataset = catalog_service.get_dataset(session, release.dataset_id)
    source = catalog_service.get_source(session, dataset.source_id)
    present = {f.name for f in dataset.fields if f.present}
    gone = [name for name in release.field_list if name not in present]
    if gone:
        raise ValidationFailed("field_gone", f"数据资源目录中已没有这些字段：{'、'.join(gone)}")
    deidentify = None
    if release.k is not None and release.quasi_list:
        deidentify = mask_job.Deidentification(
            release.quasi_list, release.k, release.l_diversity, release.sensitive_attribute
        )
    return JobInput(
        release_id=release.id,
        location=catalog_service.connect_location(source),
        secret=catalog_service.source_password(source),
        table=dataset.name,
        fields=release.field_list,
        output=service.folder(home, release.id) / service.output_name(release),
        output_format=release.output_format,
        deidentify=deidentify,
        pinned=_pinned_columns(dataset, release.field_list),
    )


def produce(
    job: JobInput,
    keys_dir: Path,
    pseudonym_key: str | None,
    source_policy: SourcePolicy | None = None,
) -> dict[str, Any]:
    """Run protection's masking job on the approved fields only (no database transaction),
    opening the catalog's source under ``source_policy`` (its host allow-list and roots)."""
    if job.output_format not in ("csv", "parquet", "xlsx"):  # pragma: no cover - schema-checked
        raise ValidationFailed("format_invalid", "输出格式须为 csv、parquet 或 xlsx")
    job.output.parent.mkdir(parents=True, exist_ok=True)
    fmt: Any = job.output_format
    return mask_job.run(
        mask_job.MaskJob(
            job.location,
            dataclasses.replace(default_policy(), columns=job.pinned),
            job.output,
            fmt,
            load_pseudonym_key(keys_dir, pseudonym_key),
            deidentify=job.deidentify,
            tables_wanted=[job.table],
            columns_wanted=job.fields,
            source_policy=source_policy,
        )
    )


def job_succeeded(
    session: Session, release: ReleaseRequest, output: Path, home: Path, report: dict[str, Any]
) -> None:
    """Record the produced files; the review becomes fulfilled (both audited)."""
    base = home / service.RELEASES_DIR
    entry = report["tables"][0]
    release.output_file = str(output.relative_to(base))
    release.report_file = str(mask_job.report_path(output).relative_to(base))
    release.rows_exported = int(entry["rows"])
    release.job_status, release.job_error = JobStatus.succeeded, None
    release.finished_at = utcnow()
    review = session.get(ReviewRequest, release.review_id)
    if review is None:  # pragma: no cover - foreign key
        raise NotFound("review_not_found", "审批记录不存在")
    _write_release_report(session, release, review, output, report)
    model = entry.get("k_anonymity")
    extra = f"，k={model['k_achieved']}" if model else ""
    note = f"已生成脱敏数据：{release.rows_exported} 行，{len(release.field_list)} 个字段{extra}"
    reviews_flows.fulfil(session, review, KIND, WORKER, note)
    audit_service.record(
        session,
        action="release.produce",
        object_type=OBJECT_TYPE,
        object_id=release.id,
        fields=[column["column"] for column in entry["columns"]],
        row_count=release.rows_exported,
        reason=note,
    )


def _write_release_report(
    session: Session,
    release: ReleaseRequest,
    review: ReviewRequest,
    output: Path,
    report: dict[str, Any],
) -> None:
    """Rewrite the masking job's report for the recipient: what was approved, by whom and why,
    and no server paths or database addresses (file names only)."""
    system = orgs_service.get_system(session, release.system_id)
    tables = [{**table, "output": output.name} for table in report.get("tables", [])]
    body = {
        "release": {
            "id": release.id,
            "system": system.name,
            "owner_unit": system.owner_unit.name,
            "dataset": release.dataset_name,
            "fields": release.field_list,
            "purpose": release.purpose,
            "recipient": release.recipient,
            "legal_basis": release.legal_basis,
            "ethics_note": release.ethics_note,
            "requester": review.requester_name,
            "approvals": [
                {
                    "step": step.position,
                    "label": step.label,
                    "decided_by": step.decided_by_name,
                    "decided_at": step.decided_at.isoformat() if step.decided_at else None,
                    "reason": step.reason,
                }
                for step in review.steps
            ],
        },
        **{key: value for key, value in report.items() if key not in ("source", "output")},
        "source": release.dataset_name,
        "output": output.name,
        "tables": tables,
    }
    write_text_atomically(
        mask_job.report_path(output), json.dumps(body, ensure_ascii=False, indent=2)
    )


def job_failed(session: Session, release: ReleaseRequest, message: str) -> None:
    release.job_status, release.job_error = JobStatus.failed, message[:1000]
    release.finished_at = utcnow()
    audit_service.record(
        session,
        action="release.produce",
        object_type=OBJECT_TYPE,
        object_id=release.id,
        fields=release.field_list,
        result="failed",
        reason=f"脱敏数据生成失败：{message}"[:1000],
    )


def retry(session: Session, release_id: int) -> ReleaseRequest:
    """Queue a failed export again (CLI, an administrator's decision)."""
    release = service.get(session, release_id)
    if release.job_status != JobStatus.failed:
        raise Conflict("release_not_failed", "只有生成失败的申请可以重试")
    service.queue(release)
    return release


# ---------------------------------------------------------------- download


def download(
    session: Session, release_id: int, person: Person, home: Path, *, report: bool = False
) -> tuple[Path, str]:
    """The de-identified file (or its report) for the requester only; audited with the row
    count and field names."""
    release, review = _get(session, release_id, person)
    if person.user_id is None or release.requester_id != person.user_id:
        raise PermissionDenied("not_requester", "只有申请人本人可以下载脱敏数据", "requester only")
    if not _downloadable(release, review, person):
        raise Conflict("release_not_ready", "脱敏数据尚未生成（申请须已批准且任务已完成）")
    path = service.stored_file(home, release.report_file if report else release.output_file)
    release.downloads += 1
    what = "脱敏报告" if report else "脱敏数据"
    audit_service.record(
        session,
        action="release.download",
        object_type=OBJECT_TYPE,
        object_id=release.id,
        fields=release.field_list,
        row_count=release.rows_exported,
        reason=f"申请人下载{what}（{path.name}）",
    )
    return path, path.name
