"""FastAPI app factory: settings and database in ``app.state``, routers, errors, headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eduguard import __version__
from eduguard.audit import capture as audit_capture
from eduguard.audit import checkpoints as audit_checkpoints
from eduguard.audit import tail as audit_tail
from eduguard.config import Settings, get_settings
from eduguard.db.engine import make_engine, make_session_factory
from eduguard.keys.keyring import Keyring
from eduguard.web import errors
from eduguard.web.i18n import translator
from eduguard.web.ratelimit import SlidingWindowLimiter
from eduguard.web.routes import (
    account,
    api_orgs,
    audit,
    auth,
    backup,
    catalog,
    catalog_actions,
    clocks,
    collection,
    collection_pages,
    compliance,
    consent,
    consent_public,
    dashboard,
    notify,
    pages_orgs,
    processing,
    processing_rules,
    publish,
    release,
    retention,
    retention_residuals,
    retention_runs,
    sharing,
    sharing_public,
    system,
    users,
)
from eduguard.web.worker import InlineWorker

HERE = Path(__file__).parent
# Every router of the app; the route-declaration tests walk these.
ROUTERS = (
    system.router,
    auth.router,
    account.router,
    users.router,
    api_orgs.router,
    pages_orgs.router,
    audit.router,
    catalog.router,
    catalog_actions.router,
    release.router,
    compliance.router,
    dashboard.router,
    clocks.router,
    notify.router,
    publish.router,
    processing.router,
    processing_rules.router,
    consent.router,
    consent_public.router,
    retention.router,
    retention_runs.router,
    retention_residuals.router,
    collection.router,
    collection_pages.router,
    backup.router,
    sharing.router,
    sharing_public.router,
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


TOO_LARGE_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>上传的文件过大</title></head><body><main>"
    '<h1>上传的文件过大</h1><p id="too-large">请求超过上限（约 {mb} MB），未保存任何内容。'
    "采集表只需表头和少量示例行；请缩小文件后返回上一页重新上传。</p>"
    '<p><a href="/">返回首页</a></p></main></body></html>'
)


class GuardMiddleware:
    """Security headers on every response; a declared body larger than the limit is refused
    before it is read (413, the same JSON error shape)."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            if str(scope.get("path", "")).startswith("/api/"):
                body = (
                    '{"error":{"code":"payload_too_large","message":"请求体过大","details":'
                    f'{{"limit_bytes":{self.max_body}}}}}}}'
                ).encode()
                kind = b"application/json; charset=utf-8"
            else:  # a console form (an upload): a page that says so, in Chinese
                body = TOO_LARGE_PAGE.format(mb=max(self.max_body >> 20, 1)).encode()
                kind = b"text/html; charset=utf-8"
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [(b"content-type", kind), *SECURITY_HEADERS],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The tail of the audit log is signed every EDUGUARD_AUDIT_CHECKPOINT_SECONDS (audit/tail.py).
    policy = audit_checkpoints.CheckpointPolicy.from_settings(app.state.settings)
    with audit_tail.Checkpointer(app.state.session_factory, policy), ExitStack() as stack:
        if app.state.settings.inline_worker:  # EDUGUARD_WORKER: the worker loop runs here
            app.state.worker = stack.enter_context(
                InlineWorker(app.state.session_factory, app.state.settings)
            )
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_secrets()
    app = FastAPI(
        title="eduguard 教育数据安全治理平台",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,  # served by a route that requires login (routes/system.py)
        docs_url=None,
        redoc_url=None,
    )
    engine = make_engine(settings.effective_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.keyring = Keyring(settings.master_key_source())
    app.state.session_factory = make_session_factory(engine, app.state.keyring)
    # Every create/update/delete of audited tables becomes an event in the same transaction.
    audit_capture.install(
        app.state.session_factory, audit_checkpoints.CheckpointPolicy.from_settings(settings)
    )
    app.state.login_limiter = SlidingWindowLimiter(settings.login_rate_per_minute, 60.0)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["version"] = __version__
    templates.env.globals["translator"] = translator
    app.state.templates = templates

    errors.install(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    # Uploads carry a document plus form fields: allow a little overhead above the file limit.
    app.add_middleware(GuardMiddleware, max_body=settings.max_upload_bytes + 64 * 1024)
    return app
