"""Automatic capture: create/update/delete of audited tables become audit events.

A registry maps a table name to the object type used in the event's action
(``units`` → ``unit.create`` / ``unit.update`` / ``unit.delete``) and the columns not worth an
event of their own. Other domains add their tables with :func:`register` (from their flows or
from the app factory); the audit domain imports no other domain.

Only column *names* are recorded, never values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ColumnProperty, Session, sessionmaker
from sqlalchemy.orm.attributes import History

from eduguard.audit import checkpoints, service, tail


@dataclass(frozen=True)
class Audited:
    object_type: str
    ignore: frozenset[str] = frozenset()


# Columns a flush sets on its own (timestamps) never make an update worth recording by itself.
ALWAYS_IGNORED = frozenset({"updated_at", "created_at"})

REGISTRY: dict[str, Audited] = {
    "units": Audited("unit"),
    "information_systems": Audited("system"),
    "agreements": Audited("agreement"),
    "users": Audited("user"),
    "user_roles": Audited("user_role"),
}


def register(table_name: str, object_type: str, ignore: frozenset[str] = frozenset()) -> None:
    """Audit create/update/delete of ``table_name`` as ``<object_type>.create`` etc."""
    REGISTRY[table_name] = Audited(object_type, frozenset(ignore))


def _audited(instance: object) -> Audited | None:
    table = getattr(instance, "__tablename__", None)
    return REGISTRY.get(table) if isinstance(table, str) else None


def _column_keys(instance: object) -> list[str]:
    mapper = inspect(instance).mapper
    return [prop.key for prop in mapper.iterate_properties if isinstance(prop, ColumnProperty)]


def _object_id(instance: object) -> str | None:
    # In after_flush the identity key is not assigned yet, but the primary key values are.
    key = inspect(instance).mapper.primary_key_from_instance(instance)
    if not key or all(part is None for part in key):
        return None
    return ",".join(str(part) for part in key)


def _changed(instance: object, spec: Audited, *, new: bool) -> list[str]:
    state = inspect(instance)
    names = []
    for key in _column_keys(instance):
        if key in ALWAYS_IGNORED or key in spec.ignore:
            continue
        history: History = state.attrs[key].history
        if new:
            if history.added and history.added[0] is not None:
                names.append(key)
        elif history.has_changes():
            names.append(key)
    return names


def _merge_into_pending(
    session: Session, object_type: str, object_id: str | None, fields: list[str]
) -> bool:
    """A change to an object already created or updated in this transaction (a service that
    inserts, then sets a derived column and flushes again) widens that event's field names
    instead of adding a second event."""
    for pending in reversed(session.info.get(service.PENDING_KEY, [])):
        audit_event = pending.event
        if audit_event.object_type == object_type and audit_event.object_id == object_id:
            if audit_event.action not in (f"{object_type}.create", f"{object_type}.update"):
                return False
            merged = set(audit_event.field_list) | set(fields)
            audit_event.fields = ",".join(sorted(merged))
            return True
    return False


def _after_flush(session: Session, _flush_context: Any) -> None:
    for instance in list(session.new):
        spec = _audited(instance)
        if spec is not None:
            service.record(
                session,
                action=f"{spec.object_type}.create",
                object_type=spec.object_type,
                object_id=_object_id(instance),
                fields=_changed(instance, spec, new=True),
                row_count=1,
            )
    for instance in list(session.dirty):
        spec = _audited(instance)
        if spec is None or not session.is_modified(instance, include_collections=False):
            continue
        fields = _changed(instance, spec, new=False)
        object_id = _object_id(instance)
        if fields and not _merge_into_pending(session, spec.object_type, object_id, fields):
            service.record(
                session,
                action=f"{spec.object_type}.update",
                object_type=spec.object_type,
                object_id=object_id,
                fields=fields,
                row_count=1,
            )
    for instance in list(session.deleted):
        spec = _audited(instance)
        if spec is not None:
            service.record(
                session,
                action=f"{spec.object_type}.delete",
                object_type=spec.object_type,
                object_id=_object_id(instance),
                row_count=1,
            )


Target = sessionmaker[Session] | type[Session] | Session


def _own(target: Target, name: str) -> Any:
    """An attribute set on ``target`` itself (not inherited from the Session class)."""
    return vars(target).get(name)


def install(target: Target, policy: checkpoints.CheckpointPolicy | None = None) -> None:
    """Capture changes of audited tables in every session of ``target`` (a sessionmaker, the
    ``Session`` class, or one session), and — with a ``policy`` — write signed checkpoints every
    N events or M minutes in those sessions. Calling it again replaces the policy.

    Whether ``target`` is already captured is marked on the target itself: SQLAlchemy's
    ``event.contains`` keys by ``id(target)`` and keeps the key after a sessionmaker is garbage
    collected, so a new sessionmaker at the same address looked captured when it was not."""
    if not _own(target, CAPTURE_MARK):
        event.listen(target, "after_flush", _after_flush)
        setattr(target, CAPTURE_MARK, True)
    previous = _own(target, POLICY_LISTENER)
    if previous is not None:
        event.remove(target, "after_begin", previous)
        setattr(target, POLICY_LISTENER, None)
    if policy is None:
        return
    if isinstance(target, sessionmaker):
        tail.remember_policy(target, policy)
    hook = checkpoints.automatic(policy)

    def bind_policy(session: Session, _transaction: Any, _connection: Any) -> None:
        session.info[service.AFTER_APPEND_KEY] = hook

    event.listen(target, "after_begin", bind_policy)
    setattr(target, POLICY_LISTENER, bind_policy)


def uninstall(target: Target) -> None:
    """Undo :func:`install` (tests; an app being shut down)."""
    if _own(target, CAPTURE_MARK):
        event.remove(target, "after_flush", _after_flush)
        setattr(target, CAPTURE_MARK, False)
    previous = _own(target, POLICY_LISTENER)
    if previous is not None:
        event.remove(target, "after_begin", previous)
        setattr(target, POLICY_LISTENER, None)


POLICY_LISTENER = "_eduguard_audit_policy_listener"
CAPTURE_MARK = "_eduguard_audit_captured"
