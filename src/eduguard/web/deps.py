"""Small typed dependencies: the request's transaction, the caller, the permission it needs."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import event, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from starlette.concurrency import run_in_threadpool

from eduguard.access.policy import AUTHENTICATED, MFA_PENDING, PUBLIC, Decision, Principal, decide
from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.config import IPNetwork, Settings
from eduguard.db.engine import is_read_only, read_only_bind
from eduguard.errors import (
    EduguardError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from eduguard.identity import service as identity_service
from eduguard.identity import tokens as identity_tokens
from eduguard.identity.models import ApiToken, LoginSession, User
from eduguard.orgs import service as orgs_service
from eduguard.web.ratelimit import SlidingWindowLimiter

logger = logging.getLogger("eduguard.web")
SESSION_COOKIE = "eg_session"
LANG_COOKIE = "lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACTION_ATTRIBUTE = "eduguard_action"


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back on error.

    A GET (HEAD, OPTIONS) reads in a read-only transaction, which on SQLite takes no write lock;
    what it must still write (its audit event, an API token's time of use) is queued with
    :func:`write_after_read` and written in one short transaction of its own after the read
    commits. Other methods begin ``IMMEDIATE`` on SQLite: their change and its audit events
    commit together.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    if request.method in SAFE_METHODS and not getattr(
        request.scope.get("endpoint"), WRITES_ATTRIBUTE, False
    ):
        bind = getattr(request.app.state, "read_only_engine", None)
        if bind is None:
            bind = request.app.state.read_only_engine = read_only_bind(request.app.state.engine)
        session = factory(bind=bind)
    else:
        session = factory()
    try:
        yield session
        if is_read_only(session):
            _audit_after_read(request, session)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


AFTER_READ_KEY = "eduguard_after_read"
WRITES_ATTRIBUTE = "eduguard_writes"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def writes(endpoint: Endpoint) -> Endpoint:
    """Mark a GET route that writes (a download counter, an enrolment secret): its transaction
    is a writing one, like a POST's. Put it under the ``@router.get`` line."""
    setattr(endpoint, WRITES_ATTRIBUTE, True)
    return endpoint


def _warn_read_only_write(session: Session, _context: Any, _instances: Any) -> None:
    """A write in a read-only request works when nothing else writes, and fails under load on
    SQLite: say which tables so the route gets :func:`writes` (or the write moves)."""
    if not is_read_only(session):
        return
    changed = [*session.new, *session.deleted]
    changed += [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    if changed:
        tables = sorted({getattr(o, "__tablename__", type(o).__name__) for o in changed})
        logger.warning("write in a read-only (GET) request to %s", ",".join(tables))


event.listen(Session, "before_flush", _warn_read_only_write)


def write_after_read(request: Request, session: Session, work: Callable[[Session], object]) -> None:
    """Do ``work`` (a small write) in ``session`` — or, when ``session`` is a request's
    read-only one, in a short transaction of its own once the request's read commits (a read
    that fails writes nothing)."""
    if not is_read_only(session):
        work(session)
        return
    queued: list[Callable[[Session], object]] | None = session.info.get(AFTER_READ_KEY)
    if queued is None:
        queued = session.info[AFTER_READ_KEY] = []
        factory: sessionmaker[Session] = request.app.state.session_factory

        def write(_session: Session) -> None:
            with factory() as own, own.begin():
                for item in session.info.pop(AFTER_READ_KEY, []):
                    item(own)

        event.listen(session, "after_commit", write, once=True)
    queued.append(work)


def _audit_after_read(request: Request, session: Session) -> None:
    """A GET's audit events (an export, a search) are written once its read commits, in a
    short writing transaction: appended inside the read-only one, they would have to upgrade
    its lock, which SQLite refuses at once when another connection (the worker's heartbeat)
    wrote since the read began."""
    events = audit_service.take_pending(session)
    if events:
        write_after_read(request, session, lambda own: audit_service.requeue(own, events))


# scope="function": commit before the response is sent, so a failed commit is never a 200.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, request.app.state.settings.language)
    return lang if lang in ("zh", "en") else "zh"


Language = Annotated[str, Depends(language)]


def current_login(request: Request, session: DbSession) -> LoginSession | None:
    if getattr(request.state, "login_resolved", False):
        cached: LoginSession | None = request.state.login
        return cached
    login = identity_service.resolve_session(session, request.cookies.get(SESSION_COOKIE))
    request.state.login = login
    request.state.login_resolved = True
    # Plain copy for pages rendered after the transaction ended (error pages).
    request.state.csrf_token = login.csrf_token if login is not None else ""
    request.state.mfa_pending = login is not None and not login.mfa_verified
    return login


def _unit_path(session: Session, unit_id: int | None) -> str:
    return "/" if unit_id is None else orgs_service.get_unit(session, unit_id).path


def _principal(
    session: Session, user: User, token_scopes: frozenset[str] | None = None
) -> Principal:
    unit_path = _unit_path(session, user.unit_id)
    return Principal(
        user.id, user.username, user.role_set, unit_path, user.unit_id, token_scopes=token_scopes
    )


def principal_of(session: Session, login: LoginSession) -> Principal:
    return _principal(session, login.user)


def _token_principal(request: Request, session: Session, raw: str) -> Principal:
    token = identity_tokens.resolve(session, raw, request.app.state.settings.token_max_days)
    if token is None:
        raise NotAuthenticated("bad_token", "API 令牌无效、已过期或已撤销", "invalid API token")
    if is_read_only(session):  # the time of use is written after the read (write_after_read)
        token_id, used = token.id, token.last_used_at
        set_committed_value(token, "last_used_at", used)
        write_after_read(
            request,
            session,
            lambda own: own.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=used)
            ),
        )
    return _principal(session, token.user, token.scope_set)


async def _csrf_ok(request: Request, login: LoginSession) -> bool:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent, login.csrf_token)


def client_address(request: Request) -> str | None:
    """The client's address: the peer's, or — when the peer is one of the configured trusted
    proxies (``EDUGUARD_TRUSTED_PROXIES``) — the last X-Forwarded-For hop that is not itself a
    trusted proxy. The audit log, login sessions and the login rate limit all use this."""
    cached = request.scope.get(CLIENT_ADDRESS_KEY)
    if cached is not None or CLIENT_ADDRESS_KEY in request.scope:
        return str(cached) if cached is not None else None
    resolved = _resolve_client(request)
    request.scope[CLIENT_ADDRESS_KEY] = resolved
    return resolved


CLIENT_ADDRESS_KEY = "eduguard.client_address"


def _trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _resolve_client(request: Request) -> str | None:
    peer = request.client.host if request.client else None
    networks = request.app.state.settings.trusted_proxy_networks
    if peer is None or not networks or not _trusted(peer, networks):
        return peer
    hops = [
        hop.strip()
        for value in request.headers.getlist("x-forwarded-for")
        for hop in value.split(",")
    ]
    for hop in reversed(hops):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return peer  # not an address (a port, a name, garbage): go no further than the proxy
        if not _trusted(address, networks):
            return address
    return peer


def audit_actor(request: Request, principal: Principal, reason: str | None) -> Actor:
    via = "（API 令牌）" if principal.token_scopes is not None else ""
    return Actor(
        username=principal.username,
        user_id=principal.user_id,
        roles=tuple(sorted(role.value for role in principal.roles)),
        unit_id=principal.unit_id,
        unit_path=principal.unit_path,
        client_address=client_address(request),
        reason=f"{reason}{via}" if reason else None,
    )


def _object_id(request: Request) -> str | None:
    """The path's object id (``/systems/{system_id}`` → its value), if any."""
    ids = [str(value) for key, value in request.path_params.items() if key.endswith("id")]
    return ",".join(ids) or None


def mfa_required_error() -> NotAuthenticated:
    return NotAuthenticated("mfa_required", "请先完成双因素认证", "second factor required")


def _authorise(
    request: Request, session: Session, action: str
) -> tuple[Principal, LoginSession | None]:
    authorization = request.headers.get("authorization", "")
    login: LoginSession | None = None
    if authorization.lower().startswith("bearer "):
        principal = _token_principal(request, session, authorization[7:].strip())
    else:
        login = current_login(request, session)
        if login is None:
            raise NotAuthenticated("not_authenticated", "请先登录", "please log in")
        if not login.mfa_verified and action != MFA_PENDING:
            raise mfa_required_error()
        principal = principal_of(session, login)
    decision: Decision = decide(principal, action)
    request.state.decision = decision
    request.state.principal = principal
    actor = audit_actor(request, principal, decision.reason)
    audit_service.bind_actor(session, actor)
    if not decision.allowed:
        # The request's transaction rolls back: the denial is recorded in one of its own.
        request.state.refusal_recorded = True
        audit_service.record_separately(
            request.app.state.session_factory,
            session=session,  # written after this request's rollback releases its locks
            actor=actor,
            action="access.denied",
            object_type=action,
            object_id=_object_id(request),
            result="denied",
            reason=decision.reason,
        )
        raise PermissionDenied("permission_denied", f"无权操作：{decision.reason}", decision.reason)
    if request.method == "GET" and action.endswith((":read", ":export")):
        # Queries are data operations too (notice item 6): one event per request.
        read_event: dict[str, Any] = {
            "action": action.replace(":", "."),
            "object_type": action.split(":", 1)[0],
            "object_id": _object_id(request),
            "actor": actor,
        }
        write_after_read(request, session, lambda own: audit_service.record(own, **read_event))
    return principal, login


def permission(action: str) -> Any:
    """Declare the action a route needs. Returns the caller (``Principal``, or None if public).

    Denials raise: 401 when not logged in (or the second factor is pending), 403 when the role
    lacks the action. Unit scope is applied by the services (out-of-scope objects are "not
    found"). Cookie sessions must send the CSRF token on unsafe methods; API tokens need not.
    """

    async def dependency(request: Request, session: DbSession) -> Principal | None:
        request.state.action = action
        if action == PUBLIC:
            request.state.decision = decide(None, PUBLIC)
            return None
        # Database work off the event loop: on SQLite a writing request waits here for the
        # write lock, and a blocked loop would stall the request that holds it.
        principal, login = await run_in_threadpool(_authorise, request, session, action)
        if (
            login is not None
            and request.method not in SAFE_METHODS
            and not await _csrf_ok(request, login)
        ):
            raise PermissionDenied(
                "csrf_failed", "表单已失效，请刷新页面后重试", "CSRF token missing or wrong"
            )
        return principal

    setattr(dependency, ACTION_ATTRIBUTE, action)
    return Depends(dependency)


UNAUTHENTICATED_EVENTS_PER_MINUTE = 20  # per client address: a flood costs a bounded log


def record_refusal(request: Request, exc: EduguardError) -> None:
    """Record a refused attempt that nothing recorded yet (``request.state.refusal_recorded``),
    in a transaction of its own — call it once the request's transaction has ended.

    * 403 — a CSRF rejection (``access.csrf_rejected``) or another refusal (``access.denied``);
    * 404 to a logged-in caller — an object missing *or out of the caller's units* (services
      answer both alike so that nothing leaks): ``access.not_found``, a cross-unit probe;
    * 429 — ``access.rate_limited`` (login attempts record ``auth.rate_limited`` themselves);
    * 401 on a protected route — ``access.unauthenticated``, at most
      :data:`UNAUTHENTICATED_EVENTS_PER_MINUTE` per client address a minute (anyone can send
      them: beyond the bound they cost nothing but the 401).
    """
    if getattr(request.state, "refusal_recorded", False):
        return
    action: str | None = getattr(request.state, "action", None)
    principal: Principal | None = getattr(request.state, "principal", None)
    kind: str
    if isinstance(exc, PermissionDenied):
        kind = "access.csrf_rejected" if exc.code.startswith("csrf") else "access.denied"
    elif isinstance(exc, NotFound):
        if principal is None:
            return
        kind = "access.not_found"
    elif isinstance(exc, RateLimited):
        kind = "access.rate_limited"
    elif isinstance(exc, NotAuthenticated):
        if action in (None, PUBLIC):
            return
        limiter = getattr(request.app.state, "unauthenticated_limiter", None)
        if limiter is None:
            limiter = request.app.state.unauthenticated_limiter = SlidingWindowLimiter(
                UNAUTHENTICATED_EVENTS_PER_MINUTE, 60.0, max_keys=10_000
            )
        if limiter.hit(client_address(request) or "-"):
            return
        kind = "access.unauthenticated"
    else:
        return
    reason = f"{exc.message_zh}（{exc.code}）"
    actor = (
        audit_actor(request, principal, reason)
        if principal is not None
        else Actor(username="-", client_address=client_address(request), reason=reason)
    )
    request.state.refusal_recorded = True
    audit_service.record_separately(
        request.app.state.session_factory,
        actor=actor,
        action=kind,
        object_type=action,
        object_id=_object_id(request),
        result="denied",
        reason=reason,
    )


def declared_actions(call: Callable[..., Any]) -> str | None:
    action = getattr(call, ACTION_ATTRIBUTE, None)
    return action if isinstance(action, str) else None


Caller = Annotated[Principal, permission(AUTHENTICATED)]
