"""Disposition runs across domains (a second flows module of ``retention``, kept apart so
``flows.py`` stays readable): the catalog's source and fields, orgs (the units that approve),
reviews (two approvals), tasks (the worker executes), and the audit log.

plan (dry run on the real source) → submit → 数据主管单位 approves → 网络安全职能部门 approves
(a different person) → the worker (or ``eduguard retention execute``) runs it in batches →
certificate.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from eduguard import labels
from eduguard.audit import capture as audit_capture
from eduguard.audit import keys as audit_keys
from eduguard.audit import service as audit_service
from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import Dataset, DataSource, SourceKind
from eduguard.clocks import flows as clocks_flows
from eduguard.db.base import utcnow
from eduguard.db.engine import transaction
from eduguard.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from eduguard.identity import service as identity_service
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import InformationSystem
from eduguard.retention import certificate, executor, service, subjects
from eduguard.retention import files as file_sources
from eduguard.retention.executor import Outcome, Selection
from eduguard.retention.models import (
    ArchiveChunk,
    ArchivedRow,
    Disposition,
    DispositionRun,
    ManifestBatch,
    ManifestState,
    RetentionRule,
    RunStatus,
    Trigger,
    WriteCredential,
)
from eduguard.reviews import flows as reviews_flows
from eduguard.reviews import service as reviews_service
from eduguard.reviews.models import ReviewRequest, ReviewState
from eduguard.reviews.service import Person
from eduguard.source_urls import DRIVERS, parse_source_url
from eduguard.tasks import service as tasks_service

KIND = reviews_service.load_kind(
    files("eduguard.retention").joinpath("steps.toml").read_text(encoding="utf-8"),
    "retention/steps.toml",
)
RUN_OBJECT = "retention_run"
EXECUTE_TASK = "retention.execute"
OPEN = (RunStatus.planned, RunStatus.approval, RunStatus.approved, RunStatus.running)

audit_capture.register("retention_write_credentials", "retention_write_credential")
labels.register(
    "retention_run_status",
    {
        "planned": ("已生成计划，待提交", "Planned"),
        "approval": ("审批中", "Awaiting approval"),
        "approved": ("已批准，待执行", "Approved"),
        "running": ("执行中", "Running"),
        "completed": ("已完成", "Completed"),
        "rejected": ("未获批准", "Rejected"),
        "cancelled": ("已取消", "Cancelled"),
    },
)


# ---------------------------------------------------------------- write credential


def register_write_credential(
    session: Session,
    source_id: int,
    username: str,
    password: str | None,
    *,
    scope: str,
    by: str,
) -> WriteCredential:
    """The credential dispositions write with (never used to scan). Sealed on flush."""
    source = catalog_service.get_source(
        session, source_id, systems=catalog_flows.scoped_systems(scope)
    )
    if source.kind != SourceKind.database:
        raise ValidationFailed(
            "retention_source_not_database", "只有数据库数据源可以登记处置用的写入凭据"
        )
    credential = session.scalar(
        select(WriteCredential).where(WriteCredential.source_id == source.id)
    )
    if credential is None:
        credential = WriteCredential(source_id=source.id, registered_by=by)
        session.add(credential)
    credential.username, credential.secret, credential.registered_by = username, password, by
    session.flush()
    audit_service.record(
        session,
        action="retention.credential",
        object_type="retention_write_credential",
        object_id=credential.id,
        fields=["username", "secret"],
        row_count=1,
        reason=f"数据源 {source.id} 登记处置专用写入凭据（仅用于经批准的归档/销毁）",
    )
    return credential


def write_engine(session: Session, source: DataSource) -> Engine:
    """An engine that may write to ``source``, with the credential registered for dispositions
    only. Refused when none is registered: the scan credential is never used to write."""
    credential = session.scalar(
        select(WriteCredential).where(WriteCredential.source_id == source.id)
    )
    if credential is None:
        raise ValidationFailed(
            "retention_no_write_credential",
            f"数据源“{source.name}”尚未登记处置专用的写入凭据；扫描凭据只读，不能用于归档或销毁",
            "no write credential is registered for dispositions on this source",
        )
    parsed = parse_source_url(source.location)
    if parsed.backend == "sqlite":
        return create_engine(f"sqlite:///{parsed.database}", connect_args={"timeout": 5})
    url = URL.create(
        DRIVERS[parsed.backend],
        credential.username or parsed.username,
        credential.secret or None,
        parsed.host,
        parsed.effective_port,
        parsed.database,
    )
    args: dict[str, Any]
    if parsed.backend == "postgresql":
        args = {"connect_timeout": 10, "passfile": "/dev/null"}
    else:
        args = {"connect_timeout": 10, "local_infile": False}
    return create_engine(url, connect_args=args, pool_pre_ping=True)


def read_engine(source: DataSource) -> Engine:
    """The scan credential, read-only (the dry run never writes)."""
    parsed = parse_source_url(catalog_service.connect_location(source))
    return create_engine(parsed.url(), connect_args=parsed.engine_args())


# ---------------------------------------------------------------- plan (dry run)


def _dataset(session: Session, dataset_id: int, scope: str) -> Dataset:
    return catalog_service.get_dataset(
        session, dataset_id, systems=catalog_flows.scoped_systems(scope)
    )


def _pi_columns(dataset: Dataset) -> list[str]:
    return [f.name for f in dataset.fields if f.present and f.pi_types]


def _choose(
    session: Session, dataset_id: int, engine: Engine, table_name: str, **rule: Any
) -> tuple[Selection, Selection, int]:
    """(what the rule selects, that less the rows of subjects on hold, how many those are)."""
    table = executor.reflect(engine, table_name)
    base = executor.selection(table, **rule)
    holds = service.subject_holds(session, dataset_id)
    if not holds:
        return base, base, 0
    wanted: dict[str, set[str]] = {}
    for hold in holds:
        wanted.setdefault(hold.subject_column or "", set()).add(hold.subject_hash or "")
    key = service.subject_key(session)
    held = executor.held_keys(
        engine, base, wanted, lambda value: service.subject_hash(key, dataset_id, value)
    )
    if not held:
        return base, base, 0
    return base, executor.selection(table, **rule, exclude=held), len(held)


def selection_of(session: Session, run: DispositionRun, engine: Engine) -> Selection:
    """The run's selection now: subject holds open at this moment are left out (their count
    kept on the run for the certificate)."""
    _base, chosen, held = _choose(
        session,
        run.dataset_id,
        engine,
        run.table_name,
        key_column=run.key_column,
        date_column=run.date_column,
        cutoff=run.cutoff,
        disposition=Disposition(run.disposition),
        pi_columns=[c for c in run.pi_columns.split(",") if c],
    )
    run.held_rows = held
    return chosen


@contextmanager
def _plan_engine(
    source: DataSource, table: str, key_column: str, date_column: str | None
) -> Iterator[tuple[Engine, str]]:
    """The source read-only for a dry run (a file: a throw-away copy of it), and a note for
    the reviewers about rows the selection cannot judge."""
    if source.kind != SourceKind.files:
        engine = read_engine(source)
        try:
            yield engine, ""
        finally:
            engine.dispose()
        return
    path = file_sources.locate(source.location, table)
    with file_sources.snapshot(
        path, table=table, key_column=key_column, date_column=date_column
    ) as (engine, layout):
        unreadable = layout.unreadable_dates
        yield engine, f" /* 另有 {unreadable} 行日期无法识别，未选中 */" if unreadable else ""


def plan(
    session: Session, dataset_id: int, *, scope: str, by: str, today: date | None = None
) -> DispositionRun:
    """A dry run: the rows the rule selects today, counted on the real source (read-only)."""
    dataset = _dataset(session, dataset_id, scope)
    rule = service.get_rule(session, dataset.id)
    if rule is None:
        raise ValidationFailed("retention_no_rule", "该数据集没有保存期限规则，不能计划处置")
    service.ensure_not_held(session, dataset.id)
    if rule.key_column is None:
        raise ValidationFailed(
            "retention_no_key",
            "规则未指定行键列（key_column），无法逐行记录处置进度；请先在规则中指定",
            "the rule names no key column",
        )
    busy = session.scalar(
        select(DispositionRun.id).where(
            DispositionRun.dataset_id == dataset.id, DispositionRun.status.in_(OPEN)
        )
    )
    if busy is not None:
        raise Conflict("retention_run_open", f"该数据集已有未完成的处置任务：{busy}")
    cutoff = service.cutoff(rule, today or date.today())
    if cutoff is None:
        raise ValidationFailed(
            "retention_not_expired", "保存期限尚未届满（或事件尚未发生），没有可处置的数据"
        )
    source = catalog_service.get_source(session, dataset.source_id)
    date_column = None if rule.trigger == Trigger.event else rule.trigger_column
    with _plan_engine(source, dataset.name, rule.key_column, date_column) as (engine, note):
        base, chosen, held = _choose(
            session,
            dataset.id,
            engine,
            dataset.name,
            key_column=rule.key_column,
            date_column=date_column,
            cutoff=cutoff,
            disposition=Disposition(rule.disposition),
            pi_columns=_pi_columns(dataset),
        )
        total, selected = executor.count_plan(engine, chosen)
        shown = base.shown(engine) + note
        aged = subjects.age_column([(f.name, f.pi_types) for f in dataset.fields if f.present])
        classes = (
            None
            if aged is None
            else executor.subject_classes(engine, chosen, aged[0], aged[1], today or date.today())
        )
        if held:  # the held rows' keys are not shown: they would name who is on hold
            shown += f" /* 不含主体保全的 {held} 行（按行键排除） */"
    run = DispositionRun(
        dataset_id=dataset.id,
        rule_id=rule.id,
        rule_revision=rule.revision,
        disposition=rule.disposition,
        cutoff=cutoff,
        status=RunStatus.planned,
        table_name=dataset.name,
        key_column=rule.key_column,
        date_column=date_column,
        selection_sql=shown,
        pi_columns=",".join(_pi_columns(dataset)),
        rows_before=total,
        selected=selected,
        held_rows=held,
        subject_classes=None if classes is None else json.dumps(classes),
        salt=secrets.token_hex(32),
        planned_by=by,
    )
    session.add(run)
    session.flush()
    audit_service.record(
        session,
        action="retention.run.plan",
        object_type=RUN_OBJECT,
        object_id=run.id,
        fields=[rule.key_column],
        row_count=selected,
        reason=f"数据集 {dataset.id}：{service.summary(rule)}；选中 {selected}/{total} 行",
    )
    return run


# ---------------------------------------------------------------- approval


def get_run(session: Session, run_id: int, *, scope: str) -> DispositionRun:
    run = session.get(DispositionRun, run_id)
    if run is None:
        raise NotFound("retention_run_not_found", f"处置任务不存在：{run_id}", "run not found")
    _dataset(session, run.dataset_id, scope)
    return run


def list_runs(session: Session, dataset_ids: Sequence[int]) -> list[DispositionRun]:
    if not dataset_ids:
        return []
    return list(
        session.scalars(
            select(DispositionRun)
            .where(DispositionRun.dataset_id.in_(dataset_ids))
            .order_by(DispositionRun.id.desc())
        )
    )


def submit(session: Session, run_id: int, person: Person, *, scope: str) -> DispositionRun:
    run = get_run(session, run_id, scope=scope)
    if run.status != RunStatus.planned:
        raise Conflict("retention_run_not_planned", f"处置任务 {run.id} 不在待提交状态")
    dataset = _dataset(session, run.dataset_id, scope)
    system = session.get_one(InformationSystem, dataset.system_id)
    request = reviews_flows.create(
        session,
        KIND,
        object_type=RUN_OBJECT,
        object_id=run.id,
        title=f"数据处置 {run.id}：{system.name} / {dataset.name}（{run.selected} 行）",
        unit_id=system.unit_id,
        requester=person,
        units={"owner": system.owner_unit_id, "unit": system.unit_id},
    )
    reviews_flows.submit(session, request, KIND, person)
    run.review_id, run.status = request.id, RunStatus.approval
    session.flush()
    return run


def decide(
    session: Session, run_id: int, person: Person, decision: str, reason: str, *, scope: str
) -> DispositionRun:
    """One approval; the second must come from a different person. Once both have approved
    the run is queued for the worker."""
    run = get_run(session, run_id, scope=scope)
    if run.status != RunStatus.approval or run.review_id is None:
        raise Conflict("retention_run_not_in_approval", f"处置任务 {run.id} 不在审批中")
    request = reviews_flows.get(session, run.review_id, person, KIND)
    if any(d.actor_id == person.user_id and d.step_position for d in request.decisions):
        raise PermissionDenied(
            "retention_same_approver",
            "同一人不能审批同一处置任务的两个步骤（数据主管单位与网络安全职能部门须为不同的人）",
            "the two approvals must come from two different people",
        )
    state = reviews_flows.decide(session, request, KIND, person, decision, reason)
    if state == ReviewState.approved:
        service.ensure_not_held(session, run.dataset_id)
        run.status = RunStatus.approved
        tasks_service.enqueue(session, EXECUTE_TASK, {"run_id": run.id}, key=f"run{run.id}")
        clocks_flows.close_for_subject(
            session, RUN_OBJECT, run.id, reason="两级审批已通过", by=person.username
        )
    elif state in (ReviewState.rejected, ReviewState.withdrawn):
        run.status = RunStatus.rejected
        clocks_flows.close_for_subject(
            session, RUN_OBJECT, run.id, reason="审批未通过", by=person.username
        )
    session.flush()
    return run


def approvers(session: Session, run: DispositionRun) -> list[dict[str, str]]:
    if run.review_id is None:
        return []
    request = session.get_one(ReviewRequest, run.review_id)
    steps = {s.position: s.label for s in request.steps}
    return [
        {"step": steps.get(d.step_position or 0, ""), "by": d.actor_name, "reason": d.reason}
        for d in request.decisions
        if d.step_position and d.action.value == "approve"
    ]


# ---------------------------------------------------------------- execution


def manifest_counts(session: Session, run_id: int) -> dict[str, int]:
    """Manifest rows by their batch's state."""
    rows = session.execute(
        select(ManifestBatch.state, func.sum(ManifestBatch.rows))
        .where(ManifestBatch.run_id == run_id)
        .group_by(ManifestBatch.state)
    ).all()
    counts = {state.value: 0 for state in ManifestState}
    for state, count in rows:
        counts[ManifestState(state).value] = int(count or 0)
    return counts


def prepare(
    factory: sessionmaker[Session], run_id: int, work_dir: Path
) -> tuple[Engine, Selection, Path | None]:
    """Checks before (re)starting: approved or running, the rule unchanged, no open hold."""
    with transaction(factory) as session:
        run = session.get(DispositionRun, run_id)
        if run is None:
            raise NotFound("retention_run_not_found", f"处置任务不存在：{run_id}")
        if run.status not in (RunStatus.approved, RunStatus.running):
            raise Conflict(
                "retention_run_not_approved", f"处置任务 {run.id} 未经两级审批，不能执行"
            )
        rule = service.get_rule(session, run.dataset_id)
        if rule is None or rule.id != run.rule_id or rule.revision != run.rule_revision:
            raise Conflict(
                "retention_rule_changed",
                "计划之后保存期限规则已被修改或删除；请取消本任务并重新计划",
                "the rule changed after the plan",
            )
        service.ensure_not_held(session, run.dataset_id)
        if not executor.take_lease(session, run):
            raise Conflict(
                "retention_run_busy",
                f"处置任务 {run.id} 正由 {run.lease_owner} 执行；中断的任务可在其租约到期后续做",
                "another executor holds the run",
            )
        dataset = session.get_one(Dataset, run.dataset_id)
        source = catalog_service.get_source(session, dataset.source_id)
        path: Path | None = None
        if source.kind == SourceKind.files:  # the run's working copy of the file
            path = file_sources.locate(source.location, run.table_name)
            engine = file_sources.open_working(
                path,
                file_sources.working_path(work_dir, run.id),
                table=run.table_name,
                key_column=run.key_column,
                date_column=run.date_column,
            )
        else:
            engine = write_engine(session, source)
        try:
            chosen = selection_of(session, run, engine)
        except Exception:
            engine.dispose()
            raise
    return engine, chosen, path


def execute(
    factory: sessionmaker[Session],
    run_id: int,
    *,
    executor_name: str,
    keys_dir: Path,
    batch_size: int = executor.DEFAULT_BATCH,
    pause: float = 0.0,
    hook: executor.Hook | None = None,
    work_dir: Path | None = None,
) -> Outcome:
    """Run or resume the run to its end, then verify it on the source and finish it.
    ``work_dir``: where a file source's working copy is kept (``<home>/retention``; by
    default beside ``keys_dir``, which is ``<home>/keys``)."""
    work = work_dir or keys_dir.parent / "retention"
    engine, chosen, path = prepare(factory, run_id, work)
    try:
        with transaction(factory) as session:
            run = session.get_one(DispositionRun, run_id)
            first = run.status == RunStatus.approved
            run.executor = executor_name
            audit_service.record(
                session,
                action="retention.run.start" if first else "retention.run.resume",
                object_type=RUN_OBJECT,
                object_id=run.id,
                row_count=run.selected,
                reason=f"处置任务 {run.id} 由 {executor_name} {'开始' if first else '续做'}",
            )
        outcome = executor.execute(
            factory, run_id, engine, chosen, batch_size=batch_size, hook=hook, pause=pause
        )
        if path is None:
            total, left = executor.remaining(engine, chosen)
    finally:
        engine.dispose()
    if path is not None:  # the result replaces the file; verified on the file itself
        working = file_sources.working_path(work, run_id)
        file_sources.replace(path, working)
        if hook:
            hook("replaced", 0)
        layout = file_sources.Layout.load(working.with_suffix(".json"))
        with file_sources.snapshot(
            path, table=layout.table, key_column=chosen.key.name, date_column=layout.date_column
        ) as (check, _layout):
            total, left = executor.remaining(check, chosen)
    with transaction(factory) as session:
        run = session.get_one(DispositionRun, run_id)
        run.rows_after, run.remaining_after = total, left
        run.status, run.finished_at = RunStatus.completed, utcnow()
        run.lease_owner = run.lease_until = None
        dataset = session.get_one(Dataset, run.dataset_id)
        system = session.get_one(InformationSystem, dataset.system_id)
        rule = session.get_one(RetentionRule, run.rule_id)
        fields = certificate.build(
            session,
            run,
            system=system.name,
            dataset=dataset.name,
            rule=service.summary(rule),
            legal_basis=rule.legal_basis,
            approvals=approvers(session, run),
            counts=manifest_counts(session, run.id),
        )
        document = certificate.sign(fields, audit_keys.signing_key(keys_dir))
        run.certificate, run.certificate_sm3 = certificate.store(document)
        audit_service.record(
            session,
            action="retention.run.complete",
            object_type=RUN_OBJECT,
            object_id=run.id,
            row_count=run.processed,
            reason=(
                f"处置任务 {run.id} 完成：处置 {run.processed} 行，剩余选中 {left} 行；"
                f"证明 SM3 {run.certificate_sm3}"
            ),
        )
        clocks_flows.close_for_subject(
            session, RUN_OBJECT, run.id, reason="处置已完成，证明已出具", by=executor_name
        )
    if path is not None:
        file_sources.discard(file_sources.working_path(work, run_id))
    return outcome


def person_of(session: Session, username: str) -> Person:
    """The account ``username`` as a reviews person (the console and CLI act in its name)."""
    user = identity_service.find_user(session, username)
    if not user.active:
        raise PermissionDenied("account_inactive", f"账户已停用：{username}")
    path = "/" if user.unit_id is None else orgs_service.get_unit(session, user.unit_id).path
    roles = frozenset(role.value for role in user.role_set)
    return Person(user.id, user.username, roles, user.unit_id, path)


def archived(session: Session, run_id: int) -> list[tuple[str, dict[str, object]]]:
    """(key hash, row) of every row a run archived, in the order archived."""
    found: list[tuple[str, dict[str, object]]] = [
        (row.key_hash, json.loads(row.payload))
        for row in session.scalars(
            select(ArchivedRow).where(ArchivedRow.run_id == run_id).order_by(ArchivedRow.id)
        )
    ]  # archived before chunks (0028)
    for chunk in session.scalars(
        select(ArchiveChunk).where(ArchiveChunk.run_id == run_id).order_by(ArchiveChunk.batch)
    ):
        found.extend((item["key_hash"], item["row"]) for item in json.loads(chunk.payload))
    return found


def read_archive(
    session: Session, run_id: int, *, scope: str, reason: str, by: str
) -> list[dict[str, object]]:
    """The archived rows of a run, for the auditor or the owner's explicit request: the read
    itself is an audit event with its reason and row count."""
    run = get_run(session, run_id, scope=scope)
    if len(reason.strip()) < 4:
        raise ValidationFailed("reason_required", "查阅归档数据须说明理由（至少 4 个字）")
    rows = [row for _, row in archived(session, run.id)]
    audit_service.record(
        session,
        action="retention.archive.read",
        object_type=RUN_OBJECT,
        object_id=run.id,
        row_count=len(rows),
        reason=f"{by} 查阅处置任务 {run.id} 的归档数据：{reason.strip()}"[:1000],
    )
    return rows
