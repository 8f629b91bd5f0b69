"""Render console pages with the language, the caller and its CSRF token in context.

Templates get the display-name registry (:mod:`eduguard.labels`) as filters — codes stay in
the data, people read names:

- ``{{ f.level|label("level") }}`` → ``一般数据（4级）``; ``{{ f.pi_types|labels("pi_type") }}``
  → ``姓名、手机号`` (kinds: see ``eduguard.labels.REGISTRY``);
- ``{{ code|hint }}`` → ``<small class="code">PERSON_NAME</small>``: the code as a small hint.
  A *hint* is any element with class ``code``; it is the only place a page may show a raw
  code to a person (tests/core/test_console_labels.py enforces this);
- ``{{ e.time|localtime }}`` → the time in ``EDUGUARD_TIMEZONE`` (default Asia/Shanghai);
- ``can("catalog:review")`` → whether the caller's roles grant that action (menus, buttons).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import segno
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from eduguard import labels
from eduguard.access.policy import ACTIONS, Principal, decide
from eduguard.compliance import rules as compliance_rules
from eduguard.db.engine import read_only_bind
from eduguard.web import worker
from eduguard.web.deps import language
from eduguard.web.flash import FLASH_COOKIE, read_flash
from eduguard.web.i18n import translator

INSTALLED = "eduguard_labels"


def qr_svg(text: str) -> str:
    """An inline SVG QR code (segno, error correction M): for a page to show, no script."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


@pass_context
def _label(context: Context, value: object, kind: str) -> str:
    if value is None or value == "":
        return "—"
    lang = context.get("lang", "zh")
    if kind == "permission" and not labels.known(kind, value):
        return ACTIONS.get(str(value), str(value))  # a newer action: the policy's own name
    return labels.label(kind, value, lang)


@pass_context
def _labels(context: Context, values: Any, kind: str) -> str:
    if isinstance(values, str):
        values = [v for v in values.split(",") if v]
    return labels.labels(kind, values or [], context.get("lang", "zh")) or "—"


def _hint(value: object) -> Markup:
    raw = getattr(value, "value", value)
    if raw is None or raw == "":
        return Markup("")
    return Markup('<small class="code">%s</small>') % escape(str(raw))


@pass_context
def _localtime(context: Context, value: datetime | date | None, fmt: str | None = None) -> str:
    zone = context.get("timezone") or labels.DEFAULT_TIMEZONE
    return labels.format_time(value, zone, fmt or labels.TIME_FORMAT)


@pass_context
def _can(context: Context, action: str) -> bool:
    principal: Principal | None = context.get("principal")
    return principal is not None and decide(principal, action).allowed


def install(env: Environment) -> None:
    """Add the label, time and permission helpers to a template environment (once)."""
    if env.globals.get(INSTALLED):
        return
    ruleset = compliance_rules.default_rules()
    labels.register("rule", {r.id: (r.title_zh, r.title_en) for r in ruleset.rules})
    env.filters.update(label=_label, labels=_labels, hint=_hint, localtime=_localtime)
    env.globals.update(can=_can, label_choices=labels.choices)
    env.globals[INSTALLED] = True


def _worker_banner(request: Request) -> str | None:
    """The "no worker" warning (web/worker.py) for those who read the catalog, read without
    the write lock (a short read-only transaction of its own)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or not decide(principal, "catalog:read").allowed:
        return None
    state = request.app.state
    bind = getattr(state, "read_only_engine", None)
    if bind is None:
        bind = state.read_only_engine = read_only_bind(state.engine)
    try:
        with state.session_factory(bind=bind) as session:
            return worker.banner(session)
    except SQLAlchemyError:  # the database busy: no banner this time
        return None


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    context.setdefault("errors", [])
    partial = bool(request.headers.get("hx-request"))
    shown = None if partial or FLASH_COOKIE not in request.cookies else read_flash(request)
    context.update(
        lang=lang,
        _=translator(lang),
        principal=getattr(request.state, "principal", None),
        csrf_token=getattr(request.state, "csrf_token", ""),
        mfa_pending=getattr(request.state, "mfa_pending", False),
        demo=request.app.state.settings.demo,
        timezone=request.app.state.settings.timezone,
        path=request.url.path,
        worker_banner=_worker_banner(request),
        flash=shown,
    )
    templates = request.app.state.templates
    install(templates.env)
    response: HTMLResponse = templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    if not partial and FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")  # shown once
    return response
