"""Residual copies of a disposition run's data, stated honestly on its certificate (issue #20
part 5: 仍存在的副本 — backups until their expiry, processors and whether they confirmed).

Who holds a copy is read from the registers, not typed in: the recipients (entrusted processors
and third parties) of every processing purpose that uses a field of the run's dataset, the
third-party agreements of the dataset's system, and the system's outside operator. A holder
named on an issued certificate stays listed even if the register later drops it. For each,
people record what it confirmed (:class:`ResidualConfirmation`, newest row wins); a holder with
nothing recorded is stated as unconfirmed. The system's backup policy gives how long backups
made before the disposition still hold the data; without a policy that is stated as unknown.

A cross-domain module of ``retention`` (like ``dispositions``): catalog fields, the processing
register, orgs' agreements and systems, the backup policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard import files, labels
from eduguard.audit import capture as audit_capture
from eduguard.audit import keys as audit_keys
from eduguard.audit import service as audit_service
from eduguard.backup import service as backup_service
from eduguard.catalog.models import Dataset
from eduguard.catalog.models import Field as CatalogField
from eduguard.errors import NotFound, ValidationFailed
from eduguard.orgs import documents
from eduguard.orgs.models import Agreement, InformationSystem
from eduguard.processing.models import (
    ProcessingPurpose,
    PurposeField,
    PurposeStatus,
    RecipientKind,
)
from eduguard.retention.models import Disposition, DispositionRun
from eduguard.retention.residual_models import ResidualConfirmation
from eduguard.validation import MultiLine, RequestModel, SingleLine

MAX_EVIDENCE_BYTES = 10 << 20
EVIDENCE_SUFFIXES = documents.ALLOWED_SUFFIXES | {".txt"}
UPLOAD_FOLDER = "retention"
KIND_LABELS = {
    "processor": "受托处理者",
    "third_party": "第三方（接收方）",
    "agreement": "第三方平台（协议）",
    "operator": "外部运营方（受托运营）",
}

audit_capture.register("retention_residual_confirmations", "retention_residual")
labels.register(
    "object_type", {"retention_residual": ("副本持有方的确认", "residual copy confirmation")}
)
labels.register(
    "audit_action",
    {"retention.run.certificate": ("更新处置证明（仍存在的副本）", "Certificate reissued")},
)
labels.register(
    "residual_status",
    {
        "confirmed": ("已确认删除", "Deletion confirmed"),
        "unconfirmed": ("未确认", "Not confirmed"),
    },
)


class ConfirmationIn(RequestModel):
    """What a holder said: ``confirmed`` with the date of its confirmation, or not (a note)."""

    holder_key: str = Field(pattern=r"^(recipient|agreement|operator):[1-9][0-9]{0,9}$")
    confirmed: bool
    confirmed_on: date | None = None
    note: Annotated[str, MultiLine] = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _dated(self) -> ConfirmationIn:
        if self.confirmed and self.confirmed_on is None:
            raise ValueError("确认已删除时须填写对方确认的日期")
        if not self.confirmed:
            self.confirmed_on = None
        return self


class ConfirmationBody(ConfirmationIn):
    """The API's body: the statement, and optionally the holder's letter in base64."""

    evidence_name: Annotated[str, SingleLine] | None = Field(default=None, max_length=200)
    evidence_base64: str | None = Field(
        default=None, min_length=4, max_length=(MAX_EVIDENCE_BYTES // 3 + 1) * 4
    )

    @model_validator(mode="after")
    def _both(self) -> ConfirmationBody:
        if (self.evidence_name is None) != (self.evidence_base64 is None):
            raise ValueError("确认函须同时给出文件名（evidence_name）与内容（evidence_base64）")
        return self

    def statement(self) -> ConfirmationIn:
        return ConfirmationIn.model_validate(
            self.model_dump(include={"holder_key", "confirmed", "confirmed_on", "note"})
        )


class ConfirmationRead(BaseModel):
    id: int
    confirmed: bool
    confirmed_on: date | None
    note: str
    recorded_by: str
    recorded_at: datetime
    evidence_name: str | None
    evidence_sha256: str | None


class HolderRead(BaseModel):
    key: str
    name: str
    kind: str
    kind_label: str
    via: str  # the purpose or agreement it holds the copy under
    status: str  # confirmed / unconfirmed
    latest: ConfirmationRead | None
    history: list[ConfirmationRead]


class BackupRead(BaseModel):
    system: str
    policy: bool
    frequency: str | None
    location: str | None
    retention_days: int | None
    until: date | None  # the last backup made before the disposition expires by then
    statement: str


class ResidualsRead(BaseModel):
    run_id: int
    backups: BackupRead
    holders: list[HolderRead]
    statements: list[str]  # what the certificate says, sentence by sentence


@dataclass(frozen=True)
class Holder:
    key: str
    name: str
    kind: str
    via: str


def _unique(found: list[Holder]) -> list[Holder]:
    seen: set[str] = set()
    out = []
    for holder in found:
        if holder.key not in seen:
            seen.add(holder.key)
            out.append(holder)
    return out


def registered_holders(session: Session, dataset: Dataset) -> list[Holder]:
    """Who the registers say received the dataset's information."""
    field_ids = select(CatalogField.id).where(CatalogField.dataset_id == dataset.id)
    purposes = session.scalars(
        select(ProcessingPurpose)
        .join(PurposeField, PurposeField.purpose_id == ProcessingPurpose.id)
        .where(
            PurposeField.field_id.in_(field_ids),
            ProcessingPurpose.status != PurposeStatus.draft,
        )
        .order_by(ProcessingPurpose.id)
    ).unique()
    found: list[Holder] = []
    linked: set[int] = set()
    for purpose in purposes:
        for recipient in purpose.recipients:
            kind = "processor" if recipient.kind == RecipientKind.processor else "third_party"
            found.append(
                Holder(
                    f"recipient:{recipient.id}", recipient.name, kind, f"处理目的：{purpose.name}"
                )
            )
            if recipient.agreement_id is not None:
                linked.add(recipient.agreement_id)
    agreements = session.scalars(
        select(Agreement).where(Agreement.system_id == dataset.system_id).order_by(Agreement.id)
    )
    for agreement in agreements:
        if agreement.id not in linked:
            period = f"{agreement.valid_from} 至 {agreement.valid_until}"
            found.append(
                Holder(
                    f"agreement:{agreement.id}", agreement.provider, "agreement", f"协议 {period}"
                )
            )
    system = session.get_one(InformationSystem, dataset.system_id)
    if system.operator_name:
        found.append(
            Holder(f"operator:{system.id}", system.operator_name, "operator", f"运营 {system.name}")
        )
    return _unique(found)


def _certified_holders(run: DispositionRun) -> list[Holder]:
    """Holders named on the run's issued certificate (kept even if the register drops them)."""
    if run.certificate is None:
        return []
    residuals = json.loads(run.certificate).get("residuals") or {}
    return [
        Holder(h["key"], h["name"], h["kind"], h.get("via", ""))
        for h in residuals.get("holders", [])
    ]


def holders(session: Session, run: DispositionRun) -> list[Holder]:
    dataset = session.get_one(Dataset, run.dataset_id)
    return _unique(registered_holders(session, dataset) + _certified_holders(run))


def _confirmations(session: Session, run_id: int) -> dict[str, list[ResidualConfirmation]]:
    rows = session.scalars(
        select(ResidualConfirmation)
        .where(ResidualConfirmation.run_id == run_id)
        .order_by(ResidualConfirmation.id.desc())
    )
    out: dict[str, list[ResidualConfirmation]] = {}
    for row in rows:
        out.setdefault(row.holder_key, []).append(row)
    return out


def _read(row: ResidualConfirmation) -> ConfirmationRead:
    return ConfirmationRead(
        id=row.id,
        confirmed=row.confirmed,
        confirmed_on=row.confirmed_on,
        note=row.note,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        evidence_name=row.evidence_name,
        evidence_sha256=row.evidence_sha256,
    )


def _end_of(run: DispositionRun) -> date:
    when = run.finished_at or run.started_at
    return labels.local_time(when).date() if when is not None else date.today()


def backups(session: Session, run: DispositionRun) -> BackupRead:
    dataset = session.get_one(Dataset, run.dataset_id)
    system = session.get_one(InformationSystem, dataset.system_id)
    policy = backup_service.get_policy(session, system.id)
    if policy is None:
        return BackupRead(
            system=system.name,
            policy=False,
            frequency=None,
            location=None,
            retention_days=None,
            until=None,
            statement=(
                f"源系统“{system.name}”未登记备份策略：处置前制作的备份是否仍含这些数据、"
                "保留到何时无法确定，视为仍存在。"
            ),
        )
    until = _end_of(run) + timedelta(days=policy.retention_days)
    done = "本次处置完成前" if run.finished_at else "处置完成前（尚未执行，按今天完成估算）"
    frequency = labels.label("backup_frequency", policy.frequency)
    return BackupRead(
        system=system.name,
        policy=True,
        frequency=policy.frequency.value,
        location=policy.location,
        retention_days=policy.retention_days,
        until=until,
        statement=(
            f"源系统“{system.name}”{done}制作的备份仍包含这些数据，直至 {until.isoformat()} 前"
            f"按备份策略到期销毁（{frequency}备份，保留 {policy.retention_days} 天，"
            f"存放于 {policy.location}）。"
        ),
    )


def _holder_statement(holder: HolderRead) -> str:
    who = f"{holder.kind_label}“{holder.name}”（{holder.via}）"
    latest = holder.latest
    if latest is not None and latest.confirmed:
        evidence = (
            f"，确认函 {latest.evidence_name}（SHA-256 {latest.evidence_sha256}）"
            if latest.evidence_name
            else "，未附确认函"
        )
        return (
            f"{who}：已于 {latest.confirmed_on} 确认删除其持有的副本"
            f"（{latest.recorded_by} 登记{evidence}）。"
        )
    note = f"（{latest.recorded_by} 登记：{latest.note}）" if latest and latest.note else ""
    return f"{who}：未确认删除{note}，视为仍持有副本。"


def read(session: Session, run: DispositionRun) -> ResidualsRead:
    recorded = _confirmations(session, run.id)
    found = []
    for holder in holders(session, run):
        history = [_read(row) for row in recorded.get(holder.key, [])]
        latest = history[0] if history else None
        found.append(
            HolderRead(
                key=holder.key,
                name=holder.name,
                kind=holder.kind,
                kind_label=KIND_LABELS[holder.kind],
                via=holder.via,
                status="confirmed" if latest and latest.confirmed else "unconfirmed",
                latest=latest,
                history=history,
            )
        )
    stored = backups(session, run)
    statements = [stored.statement]
    if run.disposition == Disposition.archive:
        statements.append("归档的行保存在本平台的归档库中（加密），随平台备份一同保存。")
    if found:
        statements += [_holder_statement(h) for h in found]
    else:
        statements.append(
            "处理登记与第三方协议中没有该数据集的受托处理者或接收方；"
            "未登记的提供或委托不在本证明的范围内。"
        )
    return ResidualsRead(run_id=run.id, backups=stored, holders=found, statements=statements)


def certificate_fields(session: Session, run: DispositionRun) -> dict[str, Any]:
    """The certificate's ``residual_copies`` (sentences, printed on the PDF) and ``residuals``
    (the same, structured: the backups' end date, each holder and what it confirmed)."""
    state = read(session, run)
    return {
        "residual_copies": state.statements,
        "residuals": {
            "backups": state.backups.model_dump(mode="json", exclude={"statement"}),
            "holders": [
                {
                    "key": h.key,
                    "name": h.name,
                    "kind": h.kind,
                    "via": h.via,
                    "status": h.status,
                    "confirmed_on": h.latest.confirmed_on.isoformat()
                    if h.latest and h.latest.confirmed_on
                    else None,
                    "recorded_by": h.latest.recorded_by if h.latest else None,
                    "evidence_sha256": h.latest.evidence_sha256 if h.latest else None,
                }
                for h in state.holders
            ],
        },
    }


# ---------------------------------------------------------------- recording


def check_evidence(filename: str, content: bytes) -> tuple[str, str]:
    """The stored name and suffix of a confirmation letter, or a Chinese refusal."""
    return documents.check_upload(
        filename,
        content,
        what="确认函文件",
        code="residual_evidence",
        suffixes=EVIDENCE_SUFFIXES,
        max_bytes=MAX_EVIDENCE_BYTES,
    )


def record(
    session: Session,
    run: DispositionRun,
    data: ConfirmationIn,
    *,
    by: str,
    today: date,
    evidence: tuple[str, bytes] | None = None,
    uploads_dir: Path | None = None,
) -> ResidualConfirmation:
    """Add what a listed holder said (its scope is the run's, checked by the caller)."""
    listed = {h.key: h for h in holders(session, run)}
    holder = listed.get(data.holder_key)
    if holder is None:
        raise NotFound(
            "residual_holder_not_found",
            f"该处置任务的数据没有登记这一持有方：{data.holder_key}",
            "no such holder of the run's data",
        )
    if data.confirmed_on is not None and data.confirmed_on > today:
        raise ValidationFailed(
            "residual_confirmed_in_future", f"确认日期 {data.confirmed_on} 晚于今天"
        )
    stored = None
    if evidence is not None:
        safe, suffix = check_evidence(*evidence)
        if uploads_dir is None:  # pragma: no cover - a caller error
            raise ValueError("uploads_dir is required with evidence")
        stored = (safe, files.store(uploads_dir, UPLOAD_FOLDER, evidence[1], suffix))
    row = ResidualConfirmation(
        run_id=run.id,
        holder_key=holder.key,
        holder_name=holder.name[:200],
        confirmed=data.confirmed,
        confirmed_on=data.confirmed_on,
        note=data.note,
        recorded_by=by,
        evidence_name=stored[0] if stored else None,
        evidence_path=stored[1].relative if stored else None,
        evidence_sha256=stored[1].sha256 if stored else None,
        evidence_size=len(evidence[1]) if evidence else None,
    )
    session.add(row)
    session.flush()
    return row


def evidence_file(
    session: Session, run: DispositionRun, confirmation_id: int, uploads_dir: Path
) -> tuple[str, Path]:
    row = session.get(ResidualConfirmation, confirmation_id)
    if row is None or row.run_id != run.id or row.evidence_path is None:
        raise NotFound("residual_evidence_not_found", "确认函文件不存在", "not found")
    path = uploads_dir / row.evidence_path
    if not path.is_file():
        raise ValidationFailed("residual_evidence_missing", "确认函文件已不在存储目录中")
    return row.evidence_name or path.name, path


def confirm(
    session: Session,
    run_id: int,
    data: ConfirmationIn,
    *,
    scope: str,
    by: str,
    today: date,
    keys_dir: Path,
    uploads_dir: Path,
    evidence: tuple[str, bytes] | None = None,
) -> ResidualConfirmation:
    """Record what a holder said; on a completed run the certificate is issued again with it
    (signed, its SM3 anchored in the audit chain; the superseded SM3 stays there too)."""
    # Imported here: ``certificate`` builds its residual statement with this module.
    from eduguard.retention import certificate, dispositions

    run = dispositions.get_run(session, run_id, scope=scope)
    row = record(session, run, data, by=by, today=today, evidence=evidence, uploads_dir=uploads_dir)
    if run.certificate is not None:
        previous = run.certificate_sm3
        document = certificate.reissue(session, run, audit_keys.signing_key(keys_dir))
        run.certificate, run.certificate_sm3 = certificate.store(document)
        status = "已确认删除" if row.confirmed else "未确认"
        audit_service.record(
            session,
            action="retention.run.certificate",
            object_type="retention_run",
            object_id=run.id,
            reason=(
                f"处置任务 {run.id} 的证明第 {document['revision']} 版："
                f"{row.holder_name} {status}；证明 SM3 {run.certificate_sm3}，取代 {previous}"
            ),
        )
    return row
