"""Units, systems and agreements: the domain logic. Services flush, never commit.

Every read takes ``scope``: the unit-tree path prefix the caller may see ("/" for all). An
object outside the scope is reported as not found, so its existence is not disclosed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eduguard import files
from eduguard.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from eduguard.orgs import documents
from eduguard.orgs.models import ALLOWED_PARENTS, Agreement, InformationSystem, Unit, UnitKind
from eduguard.orgs.schemas import (
    AgreementCreate,
    AgreementUpdate,
    SystemCreate,
    SystemUpdate,
    UnitCreate,
    UnitUpdate,
)

ALL = "/"
ALLOWED_DOCUMENT_SUFFIXES = documents.ALLOWED_SUFFIXES

UNIT_KIND_LABELS = {
    UnitKind.ministry: "教育部",
    UnitKind.province: "省级教育行政部门",
    UnitKind.city: "市级教育行政部门",
    UnitKind.county: "县级教育行政部门",
    UnitKind.school: "学校",
    UnitKind.university: "高等学校",
    UnitKind.affiliated: "直属单位",
}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(search: str, *columns: Any) -> ColumnElement[bool]:
    """Any of ``columns`` contains ``search`` literally (LIKE wildcards escaped)."""
    pattern = f"%{_like_escape(search.strip())}%"
    return or_(*(column.like(pattern, escape="\\") for column in columns))


# ---------------------------------------------------------------- units


def path_ids(path: str) -> list[int]:
    """``"/1/4/9/"`` → ``[1, 4, 9]`` (the unit and its superiors, top first)."""
    return [int(part) for part in path.strip("/").split("/") if part.isdigit()]


def path_names(session: Session, paths: Iterable[str]) -> dict[str, list[str]]:
    """Each unit path as the names along it, top first (``["示例省", "示例市", …]``): what a
    person reads instead of ``/1/4/9/``. One query for all of them."""
    wanted = list(dict.fromkeys(paths))
    ids = {unit_id for path in wanted for unit_id in path_ids(path)}
    query = select(Unit.id, Unit.name).where(Unit.id.in_(sorted(ids)))
    names: dict[int, str] = dict(session.execute(query).all())
    return {path: [names.get(i, str(i)) for i in path_ids(path)] for path in wanted}


def unit_names(session: Session) -> dict[str, str]:
    """Every unit's path → its name (``"/1/2/3/4/"`` → ``"示例县第一中学"``); ``"/"`` (the
    platform's own events, with no unit) reads 全平台."""
    names = {str(path): str(name) for path, name in session.execute(select(Unit.path, Unit.name))}
    names["/"] = "全平台"
    return names


def get_unit(session: Session, unit_id: int, *, scope: str = ALL) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.path.startswith(scope):
        raise NotFound("unit_not_found", f"单位不存在：{unit_id}", f"unit {unit_id} not found")
    return unit


def list_units(
    session: Session,
    *,
    scope: str = ALL,
    search: str | None = None,
    kind: UnitKind | None = None,
    include_archived: bool = False,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[Unit]:
    query = select(Unit).where(Unit.path.startswith(scope, autoescape=True))
    if search:
        query = query.where(or_(_contains(search, Unit.name), Unit.code == search.strip()))
    if kind is not None:
        query = query.where(Unit.kind == kind)
    if not include_archived:
        query = query.where(Unit.archived.is_(False))
    return session.scalars(query.order_by(Unit.path, Unit.id).limit(limit).offset(offset)).all()


def _check_parent(
    session: Session, kind: UnitKind, parent_id: int | None, scope: str
) -> Unit | None:
    parent = get_unit(session, parent_id, scope=scope) if parent_id is not None else None
    if parent is not None and parent.archived:
        raise ValidationFailed("parent_archived", "上级单位已归档，不能在其下新建单位")
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        above = UNIT_KIND_LABELS[parent_kind] if parent_kind else "（无上级）"
        raise ValidationFailed(
            "invalid_parent_kind",
            f"{UNIT_KIND_LABELS[kind]}不能设在{above}之下",
            f"a {kind.value} cannot sit below {parent_kind.value if parent_kind else 'nothing'}",
        )
    return parent


@contextmanager
def _unique(session: Session, message_zh: str, message_en: str) -> Iterator[None]:
    """Changes made inside run in a savepoint: a uniqueness violation undoes only them."""
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as exc:
        raise Conflict("duplicate", message_zh, message_en) from exc


def create_unit(session: Session, data: UnitCreate, *, scope: str = ALL) -> Unit:
    parent = _check_parent(session, data.kind, data.parent_id, scope)
    if parent is None and scope != ALL:
        raise ValidationFailed("parent_required", "只能在本单位及下级单位范围内新建单位")
    _ensure_unit_name_free(session, data.name, data.parent_id)
    unit = Unit(**data.model_dump(), path="/")
    with _unique(session, f"单位名称或信用代码已存在：{data.name}", "unit name or code exists"):
        session.add(unit)
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    return unit


def _ensure_unit_name_free(
    session: Session, name: str, parent_id: int | None, exclude_id: int | None = None
) -> None:
    # NULL parent_id does not take part in UNIQUE on every database: check explicitly too.
    query = select(Unit.id).where(Unit.name == name, Unit.parent_id.is_(parent_id))
    if parent_id is not None:
        query = select(Unit.id).where(Unit.name == name, Unit.parent_id == parent_id)
    if exclude_id is not None:
        query = query.where(Unit.id != exclude_id)
    if session.scalar(query) is not None:
        raise Conflict(
            "unit_name_exists",
            f"同一上级下已有同名单位：{name}",
            f"a unit named {name!r} already exists under the same parent",
        )


def update_unit(session: Session, unit_id: int, data: UnitUpdate, *, scope: str = ALL) -> Unit:
    unit = get_unit(session, unit_id, scope=scope)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    if "name" in changes:
        _ensure_unit_name_free(session, changes["name"], unit.parent_id, exclude_id=unit.id)
    with _unique(session, "单位名称或信用代码已存在", "unit name or code exists"):
        for key, value in changes.items():
            setattr(unit, key, value)
    return unit


def archive_unit(session: Session, unit_id: int, *, scope: str = ALL) -> Unit:
    unit = get_unit(session, unit_id, scope=scope)
    active_children = session.scalar(
        select(func.count())
        .select_from(Unit)
        .where(Unit.parent_id == unit.id, Unit.archived.is_(False))
    )
    active_systems = session.scalar(
        select(func.count())
        .select_from(InformationSystem)
        .where(InformationSystem.unit_id == unit.id, InformationSystem.archived.is_(False))
    )
    if active_children or active_systems:
        raise Conflict(
            "unit_in_use",
            f"该单位仍有 {active_children} 个下级单位、{active_systems} 个信息系统未归档，不能归档",
            "the unit still has active sub-units or systems",
            details={"units": active_children, "systems": active_systems},
        )
    unit.archived = True
    session.flush()
    return unit


# ---------------------------------------------------------------- systems


def _systems_in_scope(scope: str) -> Select[InformationSystem]:
    return (
        select(InformationSystem)
        .join(Unit, InformationSystem.unit_id == Unit.id)
        .where(Unit.path.startswith(scope, autoescape=True))
    )


def get_system(session: Session, system_id: int, *, scope: str = ALL) -> InformationSystem:
    system = session.scalar(_systems_in_scope(scope).where(InformationSystem.id == system_id))
    if system is None:
        raise NotFound("system_not_found", f"信息系统不存在：{system_id}", "system not found")
    return system


def list_systems(
    session: Session,
    *,
    scope: str = ALL,
    unit_id: int | None = None,
    search: str | None = None,
    include_archived: bool = False,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[InformationSystem]:
    query = _systems_in_scope(scope)
    if unit_id is not None:
        query = query.where(InformationSystem.unit_id == unit_id)
    if search:
        query = query.where(_contains(search, InformationSystem.name, InformationSystem.purpose))
    if not include_archived:
        query = query.where(InformationSystem.archived.is_(False))
    query = query.order_by(InformationSystem.unit_id, InformationSystem.id)
    return session.scalars(query.limit(limit).offset(offset)).unique().all()


def _existing_unit(session: Session, unit_id: int, role_zh: str, scope: str = ALL) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or unit.archived or not unit.path.startswith(scope):
        raise ValidationFailed(
            "unit_not_found",
            f"{role_zh}不存在或已归档：{unit_id}",
            f"{role_zh} unit {unit_id} does not exist",
            details={"unit_id": unit_id},
        )
    return unit


def create_system(session: Session, data: SystemCreate, *, scope: str = ALL) -> InformationSystem:
    unit = _existing_unit(session, data.unit_id, "所属单位", scope)
    owner = _existing_unit(session, data.owner_unit_id or data.unit_id, "主管单位")
    operator = (
        _existing_unit(session, data.operator_unit_id, "运营单位")
        if data.operator_unit_id is not None
        else None
    )
    users = [_existing_unit(session, uid, "使用单位") for uid in dict.fromkeys(data.user_unit_ids)]
    fields = data.model_dump(
        exclude={"unit_id", "owner_unit_id", "operator_unit_id", "user_unit_ids"}
    )
    system = InformationSystem(
        **fields, unit=unit, owner_unit=owner, operator_unit=operator, user_units=users
    )
    with _unique(session, f"本单位已有同名信息系统：{data.name}", "system name exists in unit"):
        session.add(system)
    return system


def update_system(
    session: Session, system_id: int, data: SystemUpdate, *, scope: str = ALL
) -> InformationSystem:
    system = get_system(session, system_id, scope=scope)
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "kind", "storage_location", "purpose", "pi_subject_count"):
        if key in changes and changes[key] is None:
            del changes[key]
    if "owner_unit_id" in changes:
        owner_id = changes.pop("owner_unit_id")
        system.owner_unit = _existing_unit(session, owner_id or system.unit_id, "主管单位")
    if "operator_unit_id" in changes:
        operator_id = changes.pop("operator_unit_id")
        system.operator_unit = (
            _existing_unit(session, operator_id, "运营单位") if operator_id is not None else None
        )
    if "user_unit_ids" in changes:
        ids = changes.pop("user_unit_ids") or []
        system.user_units = [_existing_unit(session, uid, "使用单位") for uid in dict.fromkeys(ids)]
    with _unique(session, "本单位已有同名信息系统", "system name exists in unit"):
        for key, value in changes.items():
            setattr(system, key, value)
    return system


def archive_system(session: Session, system_id: int, *, scope: str = ALL) -> InformationSystem:
    system = get_system(session, system_id, scope=scope)
    system.archived = True
    session.flush()
    return system


# ---------------------------------------------------------------- agreements


def get_agreement(session: Session, agreement_id: int, *, scope: str = ALL) -> Agreement:
    agreement = session.scalar(
        select(Agreement)
        .join(Unit, Agreement.unit_id == Unit.id)
        .where(Agreement.id == agreement_id, Unit.path.startswith(scope, autoescape=True))
    )
    if agreement is None:
        raise NotFound("agreement_not_found", f"协议不存在：{agreement_id}", "agreement not found")
    return agreement


def list_agreements(
    session: Session,
    *,
    scope: str = ALL,
    unit_id: int | None = None,
    search: str | None = None,
    include_archived: bool = False,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[Agreement]:
    query = (
        select(Agreement)
        .join(Unit, Agreement.unit_id == Unit.id)
        .where(Unit.path.startswith(scope, autoescape=True))
    )
    if unit_id is not None:
        query = query.where(Agreement.unit_id == unit_id)
    if search:
        query = query.where(_contains(search, Agreement.provider))
    if not include_archived:
        query = query.where(Agreement.archived.is_(False))
    return session.scalars(query.order_by(Agreement.id).limit(limit).offset(offset)).unique().all()


def create_agreement(
    session: Session,
    data: AgreementCreate,
    *,
    uploads_dir: Path | None = None,
    max_bytes: int = 0,
    document: tuple[str, bytes] | None = None,
    scope: str = ALL,
) -> Agreement:
    unit = _existing_unit(session, data.unit_id, "单位", scope)
    if data.system_id is not None:
        system = get_system(session, data.system_id, scope=unit.path)
        if system.unit_id != unit.id:
            raise ValidationFailed("system_not_in_unit", "所选信息系统不属于该单位")
    agreement = Agreement(**data.model_dump())
    if document is not None:
        if uploads_dir is None:
            raise ValueError("uploads_dir is required to store a document")
        filename, content = document
        _attach_document(agreement, filename, content, uploads_dir=uploads_dir, max_bytes=max_bytes)
    session.add(agreement)
    session.flush()
    return agreement


def update_agreement(
    session: Session,
    agreement_id: int,
    data: AgreementUpdate,
    *,
    uploads_dir: Path | None = None,
    max_bytes: int = 0,
    document: tuple[str, bytes] | None = None,
    scope: str = ALL,
) -> Agreement:
    agreement = get_agreement(session, agreement_id, scope=scope)
    changes = data.model_dump(exclude_unset=True)
    for key in ("provider", "scope", "scenarios", "boundaries", "valid_from", "valid_until"):
        if key in changes and changes[key] is None:
            del changes[key]
    if changes.get("system_id") is not None:
        system = get_system(session, changes["system_id"], scope=agreement.unit.path)
        if system.unit_id != agreement.unit_id:
            raise ValidationFailed("system_not_in_unit", "所选信息系统不属于该单位")
    valid_from = changes.get("valid_from", agreement.valid_from)
    valid_until = changes.get("valid_until", agreement.valid_until)
    if valid_until < valid_from:
        raise ValidationFailed("invalid_period", "有效期截止日期早于起始日期")
    if document is not None:
        if uploads_dir is None:
            raise ValueError("uploads_dir is required to store a document")
        _attach_document(agreement, *document, uploads_dir=uploads_dir, max_bytes=max_bytes)
    for key, value in changes.items():
        setattr(agreement, key, value)
    session.flush()
    return agreement


def _attach_document(
    agreement: Agreement, filename: str, content: bytes, *, uploads_dir: Path, max_bytes: int
) -> None:
    """Store the signed document content-addressed, written atomically (temp file + rename):
    a rolled-back transaction leaves at most an unreferenced file, never a half-written one."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            "document_too_large",
            f"协议文件过大：{len(content)} 字节，上限 {max_bytes} 字节",
            f"document too large: {len(content)} bytes, limit {max_bytes}",
        )
    if not content:
        raise ValidationFailed("document_empty", "协议文件为空")
    safe_name = Path(filename.replace("\\", "/")).name[:200] or "document"
    suffix = Path(safe_name).suffix.lower()
    if suffix not in ALLOWED_DOCUMENT_SUFFIXES:
        allowed = "、".join(sorted(ALLOWED_DOCUMENT_SUFFIXES))
        raise ValidationFailed(
            "document_type", f"不支持的协议文件类型：{suffix or '无扩展名'}（支持 {allowed}）"
        )
    documents.check_content(suffix, content)  # a binary renamed .pdf is refused
    stored = files.store(uploads_dir, "agreements", content, suffix)
    relative, digest = stored.relative, stored.sha256
    agreement.document_name = safe_name
    agreement.document_path = relative
    agreement.document_sha256 = digest
    agreement.document_size = len(content)


def agreement_document(agreement: Agreement, uploads_dir: Path) -> Path:
    if not agreement.document_path:
        raise NotFound("document_not_found", "该协议没有上传文件")
    path = (uploads_dir / agreement.document_path).resolve()
    if not path.is_relative_to(uploads_dir.resolve()) or not path.is_file():
        raise NotFound("document_not_found", "协议文件不存在")
    return path


def archive_agreement(session: Session, agreement_id: int, *, scope: str = ALL) -> Agreement:
    agreement = get_agreement(session, agreement_id, scope=scope)
    agreement.archived = True
    session.flush()
    return agreement
