"""The processing domain's own logic: the register's rows, activation, and the published
rules versions (canonical JSON, SM3, immutability). Services flush, never commit."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from importlib.resources import files
from typing import Any

from cryptography.hazmat.primitives import hashes
from sqlalchemy import event, func, select
from sqlalchemy.orm import Mapper, Session

from eduguard.db.base import utcnow
from eduguard.errors import Conflict, EduguardError, NotFound, ValidationFailed
from eduguard.processing.models import (
    Audience,
    LegalBasis,
    PlannedItem,
    ProcessingPurpose,
    ProcessingRegister,
    PurposeField,
    PurposeStatus,
    Recipient,
    RulesVersion,
)
from eduguard.processing.schemas import (
    PlannedItemIn,
    PurposeCreate,
    PurposeUpdate,
    RecipientIn,
    RegisterUpdate,
)

DOCUMENT_FORMAT = "eduguard.collection-rules/1"


class RulesTampered(EduguardError):
    """A published version's stored content no longer hashes to its stored SM3 digest."""

    status_code = 500

    def __init__(self, version: RulesVersion) -> None:
        super().__init__(
            "rules_tampered",
            f"收集使用规则第 {version.number} 版的内容与发布时的 SM3 摘要不一致，可能已被篡改，"
            "已停止显示；请联系发布单位核实",
            f"version {version.number} of the collection rules does not match its SM3 digest",
            details={"version_id": version.id},
        )


# ---------------------------------------------------------------- the clauses (data file)


@lru_cache(maxsize=1)
def legal_texts() -> dict[str, Any]:
    """``data/legal.toml``: PIPL Art. 13's legal bases and the rules' fixed paragraphs."""
    raw = files("eduguard.processing").joinpath("data/legal.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(raw)
    codes = [entry["code"] for entry in data["basis"]]
    if codes != [basis.value for basis in LegalBasis]:
        raise RuntimeError("processing/data/legal.toml: bases differ from LegalBasis")
    return data


def basis_entry(basis: LegalBasis | str) -> dict[str, str]:
    code = basis.value if isinstance(basis, LegalBasis) else basis
    entry: dict[str, str] = next(e for e in legal_texts()["basis"] if e["code"] == code)
    return entry


# ---------------------------------------------------------------- register header


def get_register(session: Session, system_id: int) -> ProcessingRegister | None:
    return session.scalar(
        select(ProcessingRegister).where(ProcessingRegister.system_id == system_id)
    )


def save_register(session: Session, system_id: int, data: RegisterUpdate) -> ProcessingRegister:
    register = get_register(session, system_id)
    if register is None:
        register = ProcessingRegister(system_id=system_id)
        session.add(register)
    register.contact, register.rights_channel = data.contact, data.rights_channel
    session.flush()
    return register


# ---------------------------------------------------------------- purposes


def get_purpose(session: Session, purpose_id: int, *, systems: Any = None) -> ProcessingPurpose:
    """The purpose; ``systems`` (a SELECT of system ids, None: all) narrows what may be seen."""
    query = select(ProcessingPurpose).where(ProcessingPurpose.id == purpose_id)
    if systems is not None:
        query = query.where(ProcessingPurpose.system_id.in_(systems))
    purpose = session.scalar(query)
    if purpose is None:
        raise NotFound("purpose_not_found", f"处理目的不存在：{purpose_id}", "purpose not found")
    return purpose


def list_purposes(
    session: Session, system_id: int, *, status: PurposeStatus | None = None
) -> Sequence[ProcessingPurpose]:
    query = select(ProcessingPurpose).where(ProcessingPurpose.system_id == system_id)
    if status is not None:
        query = query.where(ProcessingPurpose.status == status)
    return session.scalars(query.order_by(ProcessingPurpose.id)).all()


def purpose_counts(session: Session, system_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per system: purposes by status."""
    counts: dict[int, dict[str, int]] = {sid: {} for sid in system_ids}
    if not system_ids:
        return counts
    rows = session.execute(
        select(ProcessingPurpose.system_id, ProcessingPurpose.status, func.count())
        .where(ProcessingPurpose.system_id.in_(system_ids))
        .group_by(ProcessingPurpose.system_id, ProcessingPurpose.status)
    ).all()
    for system_id, status, count in rows:
        counts[system_id][PurposeStatus(status).value] = int(count)
    return counts


def _name_free(session: Session, system_id: int, name: str, purpose_id: int | None) -> None:
    query = select(ProcessingPurpose.id).where(
        ProcessingPurpose.system_id == system_id, ProcessingPurpose.name == name
    )
    found = session.scalar(query)
    if found is not None and found != purpose_id:
        raise Conflict(
            "purpose_name_exists",
            f"本系统已有同名处理目的：{name}",
            f"the system already has a purpose named {name}",
        )


def _recipient(data: RecipientIn) -> Recipient:
    return Recipient(
        name=data.name,
        kind=data.kind,
        agreement_id=data.agreement_id,
        contact=data.contact,
        use=data.use,
    )


SIMPLE = (
    "name",
    "description",
    "legal_basis",
    "basis_detail",
    "necessity",
    "collection_method",
    "retention_period",
    "disposal",
    "sensitive_necessity",
    "automated_decision",
)


def create_purpose(session: Session, system_id: int, data: PurposeCreate) -> ProcessingPurpose:
    """A draft purpose (activated separately). Field and agreement ids are checked by flows."""
    _name_free(session, system_id, data.name, None)
    purpose = ProcessingPurpose(
        system_id=system_id,
        status=PurposeStatus.draft,
        revision=1,
        **{key: getattr(data, key) for key in SIMPLE},
    )
    purpose.fields = [PurposeField(field_id=fid) for fid in data.field_ids]
    purpose.recipients = [_recipient(r) for r in data.recipients]
    session.add(purpose)
    session.flush()
    return purpose


def update_purpose(session: Session, purpose: ProcessingPurpose, data: PurposeUpdate) -> list[str]:
    """Apply what was sent; returns the names of what changed (the revision counts up once)."""
    sent = data.model_dump(exclude_unset=True)
    changed: list[str] = []
    for key in SIMPLE:
        if key not in sent:
            continue
        value = getattr(data, key)
        if value is None and key != "legal_basis":
            continue
        if getattr(purpose, key) != value:
            changed.append(key)
    if "name" in changed and data.name is not None:
        _name_free(session, purpose.system_id, data.name, purpose.id)
    if (
        "legal_basis" in changed
        and data.legal_basis is None
        and purpose.status == PurposeStatus.active
    ):
        raise ValidationFailed(
            "purpose_basis_required",
            f"处理目的“{purpose.name}”已启用，不能删除其法律依据；请先停用",
            "an active purpose keeps its legal basis; retire it first",
        )
    for key in changed:
        setattr(purpose, key, getattr(data, key))
    if data.field_ids is not None and sorted(data.field_ids) != sorted(
        f.field_id for f in purpose.fields
    ):
        wanted, held = set(data.field_ids), {f.field_id for f in purpose.fields}
        for gone in [f for f in purpose.fields if f.field_id not in wanted]:
            session.delete(gone)  # explicitly: the audit capture sees deletes, not orphans
        purpose.fields = [f for f in purpose.fields if f.field_id in wanted] + [
            PurposeField(field_id=fid) for fid in data.field_ids if fid not in held
        ]
        changed.append("field_ids")
    if data.recipients is not None:
        old = [(r.name, r.kind, r.agreement_id, r.contact, r.use) for r in purpose.recipients]
        new = [(r.name, r.kind, r.agreement_id, r.contact, r.use) for r in data.recipients]
        if old != new:
            for replaced in purpose.recipients:
                session.delete(replaced)
            purpose.recipients = [_recipient(r) for r in data.recipients]
            changed.append("recipients")
    if changed:
        purpose.revision += 1
    session.flush()
    return changed


def writable(purpose: ProcessingPurpose) -> None:
    """A retired purpose takes no new data items (it would be processing without a purpose)."""
    if purpose.status == PurposeStatus.retired:
        raise Conflict(
            "purpose_retired",
            f"处理目的“{purpose.name}”已停用，不能再登记数据项",
            f"purpose {purpose.name!r} is retired",
            details={"purpose_id": purpose.id},
        )


def add_fields(session: Session, purpose: ProcessingPurpose, field_ids: Sequence[int]) -> list[int]:
    """Link more catalog fields (ids checked by flows) to the purpose, keeping those it has:
    the ones newly linked (the revision counts up once when any)."""
    writable(purpose)
    held = {f.field_id for f in purpose.fields}
    new = [fid for fid in dict.fromkeys(field_ids) if fid not in held]
    if new:
        update_purpose(session, purpose, PurposeUpdate(field_ids=[*sorted(held), *new]))
    return new


def add_planned(
    session: Session, purpose: ProcessingPurpose, items: Sequence[PlannedItemIn], *, origin: str
) -> list[str]:
    """Add the items an approved collection review names (an item of the same group and name
    is updated); the names of those added or changed. Refused for a retired purpose."""
    writable(purpose)
    held = {(p.group, p.name): p for p in purpose.planned}
    changed: list[str] = []
    for item in items:
        types = ",".join(dict.fromkeys(item.pi_types))
        found = held.get((item.group, item.name))
        if found is None:
            found = PlannedItem(group=item.group, name=item.name)
            purpose.planned.append(found)
            held[(item.group, item.name)] = found
        elif (found.label, found.pi_types, found.sensitive, found.minors) == (
            item.label,
            types,
            item.sensitive,
            item.minors,
        ):
            continue
        found.label, found.pi_types = item.label, types
        found.sensitive, found.minors, found.origin = item.sensitive, item.minors, origin[:100]
        changed.append(item.name)
    if changed:
        purpose.revision += 1
    session.flush()
    return changed


def activate(session: Session, purpose: ProcessingPurpose) -> ProcessingPurpose:
    """Start processing for this purpose: only with a legal basis of PIPL Art. 13 ¶1."""
    if purpose.status == PurposeStatus.active:
        raise Conflict("purpose_already_active", f"处理目的“{purpose.name}”已启用")
    if purpose.legal_basis is None:
        raise ValidationFailed(
            "purpose_without_legal_basis",
            f"处理目的“{purpose.name}”尚未登记法律依据，不能启用：请从《个人信息保护法》"
            "第十三条第一款第（一）至（七）项中选择其一（例如学籍、成绩、资助、体检通常为"
            "第（三）项“为履行法定职责或者法定义务所必需”）",
            f"purpose {purpose.name!r} has no legal basis (PIPL Art. 13(1)-(7)) and cannot be "
            "activated",
            details={"purpose_id": purpose.id},
        )
    purpose.status = PurposeStatus.active
    purpose.activated_at = utcnow()
    session.flush()
    return purpose


def retire(session: Session, purpose: ProcessingPurpose) -> ProcessingPurpose:
    if purpose.status != PurposeStatus.active:
        raise Conflict("purpose_not_active", f"处理目的“{purpose.name}”未启用，无需停用")
    purpose.status = PurposeStatus.retired
    session.flush()
    return purpose


# ---------------------------------------------------------------- published rules versions


def canonical(document: dict[str, Any]) -> str:
    """The one serialisation that is hashed and stored: sorted keys, no insignificant space."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(
    system_id: int, audience: Audience, number: int, published_at: datetime, content: str
) -> str:
    """SM3 (OpenSSL, through ``cryptography``) over what a version states: whose, for whom,
    which number, when, and the document."""
    hasher = hashes.Hash(hashes.SM3())
    header = f"{DOCUMENT_FORMAT}\n{system_id}\n{audience.value}\n{number}\n"
    hasher.update(f"{header}{published_at.isoformat()}\n".encode())
    hasher.update(content.encode())
    return hasher.finalize().hex()


def intact(version: RulesVersion) -> bool:
    expected = digest(
        version.system_id,
        Audience(version.audience),
        version.number,
        version.published_at,
        version.content,
    )
    return expected == version.sm3


def checked_document(version: RulesVersion) -> dict[str, Any]:
    """The version's document, or :class:`RulesTampered` when its digest does not match."""
    if not intact(version):
        raise RulesTampered(version)
    document: dict[str, Any] = json.loads(version.content)
    return document


def current_version(session: Session, system_id: int, audience: Audience) -> RulesVersion | None:
    return session.scalar(
        select(RulesVersion)
        .where(RulesVersion.system_id == system_id, RulesVersion.audience == audience)
        .order_by(RulesVersion.number.desc())
        .limit(1)
    )


def current_ids(session: Session, system_id: int) -> set[int]:
    found = (current_version(session, system_id, audience) for audience in Audience)
    return {version.id for version in found if version is not None}


def list_versions(session: Session, system_id: int) -> Sequence[RulesVersion]:
    return session.scalars(
        select(RulesVersion)
        .where(RulesVersion.system_id == system_id)
        .order_by(RulesVersion.audience, RulesVersion.number.desc())
    ).all()


def get_version(session: Session, version_id: int) -> RulesVersion:
    version = session.get(RulesVersion, version_id)
    if version is None:
        raise NotFound("rules_not_found", f"收集使用规则版本不存在：{version_id}", "not found")
    return version


def publish_version(
    session: Session, system_id: int, audience: Audience, document: dict[str, Any], *, by: str
) -> RulesVersion | None:
    """A new version when ``document`` differs from the current one (None when unchanged)."""
    content = canonical(document)
    current = current_version(session, system_id, audience)
    if current is not None and current.content == content:
        return None
    number = 1 if current is None else current.number + 1
    published_at = utcnow().replace(microsecond=0)
    version = RulesVersion(
        system_id=system_id,
        audience=audience,
        number=number,
        content=content,
        sm3=digest(system_id, audience, number, published_at, content),
        published_at=published_at,
        published_by=by,
    )
    session.add(version)
    session.flush()
    return version


def _refuse_change(_mapper: Mapper[Any], _connection: Any, target: RulesVersion) -> None:
    raise Conflict(
        "rules_version_immutable",
        f"已发布的收集使用规则（第 {target.number} 版）不可修改或删除；请发布新版本",
        "a published version of the collection rules cannot be changed or deleted",
    )


event.listen(RulesVersion, "before_update", _refuse_change)
event.listen(RulesVersion, "before_delete", _refuse_change)
