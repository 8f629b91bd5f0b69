"""The plain snapshots the rules look at (compliance/checks.py), built from other domains'
tables: the unit tree and its systems (orgs), the catalog's datasets and fields, the accounts
(identity), agreements and the facts people record. Part of the flows layer — like flows.py it
reads other domains — split out so neither module grows past a screenful of responsibilities.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.backup import flows as backup_flows
from eduguard.catalog.models import Dataset, ReviewStatus
from eduguard.collection import drift as collection_drift
from eduguard.compliance import service
from eduguard.compliance.checks import (
    ADMIN_ROLES,
    FACTS,
    ITEM11_TYPES,
    PIPL28_TYPES,
    UNIT_FACTS,
    AgreementSnap,
    BackupSnap,
    DatasetSnap,
    LedgerSnap,
    PurposeSnap,
    RulesSnap,
    SystemSnap,
    UnitSnap,
)
from eduguard.consent import coverage as consent_coverage
from eduguard.identity.models import User, UserRole
from eduguard.orgs.models import Agreement, InformationSystem, Unit
from eduguard.processing import flows as processing_flows
from eduguard.retention import flows as retention_flows

ALL = "/"
PENDING = (ReviewStatus.proposed, ReviewStatus.rereview)


@dataclass
class Snapshot:
    units: list[UnitSnap]
    systems: list[SystemSnap]
    datasets: list[DatasetSnap]
    unit_paths: dict[int, str]


def _agreement(a: Agreement) -> AgreementSnap:
    return AgreementSnap(
        a.provider, a.system_id, a.valid_from, a.valid_until, a.scope, a.scenarios, a.boundaries
    )


def _pi_officer_accounts(session: Session) -> dict[int | None, list[str]]:
    rows = session.execute(
        select(User.username, User.unit_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), UserRole.role == "pi_officer")
    ).all()
    found: dict[int | None, list[str]] = defaultdict(list)
    for username, unit_id in rows:
        found[unit_id].append(username)
    return found


def units_of(session: Session, scope: str) -> list[Unit]:
    query = select(Unit).where(Unit.archived.is_(False)).order_by(Unit.path)
    if scope != ALL:
        query = query.where(Unit.path.startswith(scope, autoescape=True))
    return list(session.scalars(query).unique())


def _admin_holders(session: Session) -> tuple[dict[int | None, dict[str, set[str]]], set[str]]:
    """unit id (None: platform-wide) → admin role → usernames; accounts holding two or more."""
    rows = session.execute(
        select(User.username, User.unit_id, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), UserRole.role.in_(list(ADMIN_ROLES)))
    ).all()
    holders: dict[int | None, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    per_user: Counter[str] = Counter()
    for username, unit_id, role in rows:
        holders[unit_id][str(role)].add(username)
        per_user[username] += 1
    return holders, {name for name, count in per_user.items() if count > 1}


def _ledger(found: consent_coverage.LedgerSummary | None) -> LedgerSnap | None:
    if found is None:
        return None
    return LedgerSnap(
        found.subjects,
        found.valid,
        found.needs_reconsent,
        found.refused,
        found.withdrawn,
        found.undecided,
        found.tampered,
    )


def _register(session: Session, snaps: dict[int, SystemSnap]) -> None:
    """The processing register's purposes and published rules of each system (issue #16,
    logic 9: the legal basis is read from the register, not typed in as yes/no), and for its
    consent-based purposes what the consent ledger says (issue #18, part 9)."""
    register = processing_flows.register_facts(session, list(snaps))
    ledgers = consent_coverage.ledger_summary(
        session, [p.id for found in register.values() for p in found.active]
    )
    for system_id, found in register.items():
        system = snaps[system_id]
        system.purposes = [
            PurposeSnap(
                p.name,
                p.legal_basis,
                p.basis_clause,
                p.sensitive_necessity,
                p.fields,
                _ledger(ledgers.get(p.id)),
            )
            for p in found.active
        ]
        system.draft_purposes = list(found.drafts)
        rules = found.rules
        system.rules = RulesSnap(
            published=rules.published,
            number=rules.number,
            published_on=rules.published_at.date() if rules.published_at else None,
            intact=rules.intact,
            children_required=rules.children_required,
            children_published=rules.children_published,
        )


def _backup(session: Session, snaps: dict[int, SystemSnap]) -> None:
    """Each system's backup policy and last recovery drill (issue #20 part 7)."""
    for system_id, found in backup_flows.postures(session, list(snaps)).items():
        snaps[system_id].backup = BackupSnap(
            found.policy, found.last_drill_on, found.last_failed_on, found.drills
        )


def snapshot(session: Session, scope: str) -> Snapshot:
    """Everything the rules look at for the units of ``scope`` and their systems."""
    units = units_of(session, scope)
    unit_ids = {u.id for u in units}
    paths = {u.id: u.path for u in units}
    systems = list(
        session.scalars(
            select(InformationSystem)
            .where(InformationSystem.archived.is_(False))
            .where(InformationSystem.unit_id.in_(unit_ids))
            .order_by(InformationSystem.id)
        ).unique()
    )
    system_ids = [s.id for s in systems]
    facts = service.facts_of(session, system_ids)
    agreements: dict[int, list[AgreementSnap]] = defaultdict(list)
    by_unit: dict[int, list[AgreementSnap]] = defaultdict(list)
    if system_ids:
        for a in session.scalars(
            select(Agreement).where(Agreement.archived.is_(False), Agreement.unit_id.in_(unit_ids))
        ).unique():
            covered = _agreement(a)
            if a.system_id is not None:
                agreements[a.system_id].append(covered)
            else:
                by_unit[a.unit_id].append(covered)
        for a in session.scalars(
            select(Agreement).where(
                Agreement.archived.is_(False),
                Agreement.system_id.in_(system_ids),
                Agreement.unit_id.not_in(unit_ids),
            )
        ).unique():
            agreements[a.system_id or 0].append(_agreement(a))
    snaps: dict[int, SystemSnap] = {}
    for s in systems:
        row = facts.get(s.id)
        snaps[s.id] = SystemSnap(
            id=s.id,
            name=s.name,
            unit_id=s.unit_id,
            storage_location=s.storage_location.value,
            mlps_level=s.mlps_level,
            pi_subjects=s.pi_subject_count or 0,
            operator_name=s.operator_name,
            facts={name: getattr(row, name) if row else None for name in FACTS},
            agreements=agreements[s.id] + by_unit[s.unit_id],
            kind=s.kind.value,
            mlps_filing_no=s.mlps_filing_no,
            unit_kind=s.unit.kind.value,
        )
    datasets: list[DatasetSnap] = []
    if system_ids:
        ds_rows = session.scalars(
            select(Dataset)
            .where(Dataset.system_id.in_(system_ids), Dataset.present.is_(True))
            .order_by(Dataset.system_id, Dataset.name)
        ).all()
        for d in ds_rows:
            system = snaps[d.system_id]
            snap = DatasetSnap(
                id=d.id,
                name=d.name,
                system_id=d.system_id,
                system_name=system.name,
                unit_id=system.unit_id,
                retention_period=d.retention_period,
                minors=d.minors,
            )
            system.pi_subjects = max(system.pi_subjects, d.subjects or 0)
            if d.level in ("important", "core"):
                system.important_datasets.append(d.name)
            for f in d.fields:
                if not f.present:
                    continue
                label = f"{d.name}.{f.name}"
                if f.pi_types:
                    snap.pi_fields.append(f.name)
                types = set(f.pi_types)
                if types & PIPL28_TYPES:
                    system.sensitive_fields.append(label)
                if types & ITEM11_TYPES:
                    system.item11_fields.append(label)
                if f.minors:
                    system.minors_fields.append(label)
                if f.pi_types and (f.minors or d.minors):
                    system.children_fields.append(label)
                if f.review_status in PENDING and (f.pi_types or f.sensitive):
                    system.pending_review.append(label)
                if f.reviewed_at is not None and (
                    system.last_reviewed_at is None or f.reviewed_at > system.last_reviewed_at
                ):
                    system.last_reviewed_at = f.reviewed_at
            system.datasets.append(snap)
            datasets.append(snap)
        enforced = retention_flows.governed(session, [d.id for d in datasets if d.has_pi])
        for snap in datasets:
            snap.retention_rule = enforced.get(snap.id)
    _register(session, snaps)
    for system_id, found in collection_drift.drift(session, list(snaps)).items():
        snaps[system_id].unreviewed_fields = [
            f"{u.dataset}.{u.name}（第 {u.version} 版目录的扫描发现）"
            if u.version
            else f"{u.dataset}.{u.name}"
            for u in collection_drift.unreviewed(found)
        ]
    _backup(session, snaps)
    holders, combined = _admin_holders(session)
    unit_facts = service.unit_facts_of(session, unit_ids)
    pi_officers = _pi_officer_accounts(session)
    system_count = Counter(s.unit_id for s in systems)
    unit_snaps = []
    for u in units:
        ancestry: list[int | None] = [None, *(int(p) for p in u.path.strip("/").split("/") if p)]
        held: dict[str, list[str]] = {}
        for role in ADMIN_ROLES:
            names = set().union(*(holders.get(a, {}).get(role, set()) for a in ancestry))
            held[role] = sorted(names)
        doubled = sorted({n for names in held.values() for n in names} & combined)
        own = [snap for snap in snaps.values() if snap.unit_id == u.id]
        recorded = unit_facts.get(u.id)
        officers = sorted(
            {str(o.facts["pi_officer_name"]) for o in own if o.facts.get("pi_officer_name")}
            | set(pi_officers.get(u.id, []))
        )
        unit_snaps.append(
            UnitSnap(
                u.id,
                u.name,
                u.path,
                u.kind.value,
                system_count[u.id],
                held,
                doubled,
                responsibilities={
                    "principal_leader": bool((u.principal_leader or "").strip()),
                    "leader_in_charge": bool((u.leader_in_charge or "").strip()),
                    "security_department": bool((u.security_department or "").strip()),
                },
                pi_subjects_total=sum(o.pi_subjects for o in own),
                pi_officers=officers,
                facts={name: getattr(recorded, name) if recorded else None for name in UNIT_FACTS},
                important_datasets=[
                    f"{o.name} / {name}" for o in own for name in o.important_datasets
                ],
                data_security_officers=sorted(
                    {
                        str(o.facts["data_security_officer_name"])
                        for o in own
                        if o.facts.get("data_security_officer_name")
                    }
                ),
                security_department=u.security_department or "",
            )
        )
    return Snapshot(unit_snaps, list(snaps.values()), datasets, paths)
