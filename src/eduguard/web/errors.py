"""One error shape for the API, a readable page for the console, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eduguard.errors import EduguardError, NotAuthenticated, failure_report
from eduguard.validation import validation_details
from eduguard.web.deps import language, record_refusal
from eduguard.web.render import page

logger = logging.getLogger("eduguard.web")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _page(request: Request, status: int, message: str) -> Response:
    return page(request, "error.html", status_code=status, message=message, status=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(EduguardError)
    async def domain_error(request: Request, exc: EduguardError) -> Response:
        # A refusal is an audit event (the request's transaction, rolled back, has ended).
        await run_in_threadpool(record_refusal, request, exc)
        lang = language(request)
        if isinstance(exc, NotAuthenticated) and not _is_api(request):
            if exc.code == "mfa_required":
                return RedirectResponse("/login/mfa", status_code=303)
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if exc.status_code >= 500:
            logger.error("server error %s", exc.code)
        if _is_api(request):
            return JSONResponse(exc.to_dict(lang), status_code=exc.status_code)
        return _page(request, exc.status_code, exc.message(lang))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        lang = language(request)
        details = validation_details(exc.errors(), lang)
        message = "请求内容不正确" if lang != "en" else "the request is not valid"
        body = {"error": {"code": "validation_failed", "message": message, "details": details}}
        if _is_api(request):
            return JSONResponse(body, status_code=422)
        text = "；".join(f"{d['field']}：{d['message']}" for d in details)
        return _page(request, 422, f"{message}：{text}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        lang = language(request)
        messages = {
            404: ("页面不存在", "not found"),
            405: ("不支持的请求方法", "method not allowed"),
        }
        zh, en = messages.get(exc.status_code, ("请求失败", "request failed"))
        message = en if lang == "en" else zh
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        if _is_api(request):
            body = {"error": {"code": code, "message": message, "details": None}}
            return JSONResponse(body, status_code=exc.status_code)
        return _page(request, exc.status_code, message)

    # Unexpected exceptions are answered by UnexpectedErrors (below) before they reach
    # Starlette's ServerErrorMiddleware, which would hand them, traceback and message with their
    # data values, to the server's log.
    app.add_middleware(UnexpectedErrors)


def _internal_error(request: Request, error_id: str) -> Response:
    lang = language(request)
    if lang == "en":
        message = f"internal error (error id {error_id})"
    else:
        message = f"服务器内部错误，请联系管理员（错误编号 {error_id}）"
    if _is_api(request):
        details = {"error_id": error_id}
        body = {"error": {"code": "internal_error", "message": message, "details": details}}
        return JSONResponse(body, status_code=500)
    try:
        return _page(request, 500, message)
    except Exception:  # the page itself failed (templates, state): plain text then
        return PlainTextResponse(message, status_code=500)


class UnexpectedErrors:
    """Any exception a request raises becomes a 500 with an error id; the log gets that id, the
    exception's type and where it was raised (``failure_report``), never its message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            error_id, summary = failure_report(exc)
            route = scope.get("route")
            where = getattr(route, "path", None) or "(no route)"  # the template, not the values
            logger.error(
                "unexpected error %s: %s (%s %s)", error_id, summary, scope["method"], where
            )
            if started:
                return  # the response is under way: nothing more can be said to the client
            await _internal_error(Request(scope, receive), error_id)(scope, receive, send)
