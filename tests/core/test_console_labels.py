"""Every console page of every role reads as Chinese, and no visible link leads to a 403.

Each role logs in (in-process TestClient) on the demo's unit tree, walks the console from ``/``
by following the links (and htmx ``hx-get`` partials) on every page it reaches, and checks:

- every link answers 200 (issue #15 item 3: no 403 behind a visible link), and every POST
  button shown is one the role's actions grant (the route's declared action, from
  tests/identity/route_actions.txt, is allowed by the access policy);
- the visible text of every HTML page, rendered in zh, contains no raw code (PI types such as
  PERSON_NAME, levels such as general-4, category ids such as student.basic, compliance rule
  ids, audit actions, permission codes, results ok/denied, role and review-state codes) outside
  a *hint*. A hint is an element with class ``code`` (``{{ code|hint }}`` renders
  ``<small class="code">…</small>``) together with everything inside it; attribute values,
  ``<script>`` and ``<style>`` are not visible text.
"""

from __future__ import annotations

import os
import re
from collections import deque
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from pydantic import ValidationError
from sqlalchemy import select

from eduguard import labels
from eduguard.access.policy import ACTIONS, Principal, decide
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import DataSource
from eduguard.compliance import rules as compliance_rules
from eduguard.config import Settings
from eduguard.db.base import utcnow
from eduguard.demo import flows as demo_flows
from eduguard.identity.models import Role
from eduguard.orgs.models import Unit

ROUTE_ACTIONS = Path(__file__).resolve().parents[1] / "identity" / "route_actions.txt"
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
# Not pages: files, language switch, logout, the API.
SKIP = re.compile(r"^/(static/|api/v1/|lang/|logout)|/(export|report|download|document)\b")
PER_ROUTE = 3  # instances of one route pattern (/catalog/fields/{id}/review …) to visit
MAX_PAGES = 80
PASSWORD = "Konsole-Rundgang-2026-synthetisch"  # a synthetic test credential


class Page(HTMLParser):
    """Visible text (outside hints), links, htmx GETs and POST form actions of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden: script/style/hint)
        self.text: list[str] = []
        self.links: list[str] = []
        self.posts: list[str] = []
        self.ids: set[str] = set()
        # A GET form shown (a filter, the bulk-confirm preview, the release's dataset
        # chooser) is followed as submitted with its default values.
        self._form: tuple[str, list[tuple[str, str]]] | None = None
        self._select: tuple[str, str | None] | None = None  # (name, first or selected value)

    def _hidden(self) -> bool:
        return any(hidden for _tag, hidden in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "a" and attr.get("href"):
            self.links.append(attr["href"])
        if attr.get("hx-get"):
            self.links.append(attr["hx-get"])
        if attr.get("id"):
            self.ids.add(attr["id"])
        if tag == "form" and attr.get("method", "get").lower() == "post":
            self.posts.append(attr.get("action", ""))
        elif tag == "form" and attr.get("action", "").startswith("/"):
            self._form = (attr["action"], [])
        if self._form is not None and attr.get("name"):
            kind = attr.get("type", "text")
            if tag == "input" and kind in ("hidden", "text", "number", "search", "date"):
                if attr.get("value"):
                    self._form[1].append((attr["name"], attr["value"]))
            elif tag == "input" and kind in ("checkbox", "radio") and "checked" in attr:
                self._form[1].append((attr["name"], attr.get("value") or "on"))
            elif tag == "select":
                self._select = (attr["name"], None)
        if tag == "option" and self._select is not None:
            name, value = self._select
            if value is None or "selected" in attr:
                self._select = (name, attr.get("value", ""))
        if tag in VOID:
            return
        hint = "code" in attr.get("class", "").split()
        self.stack.append((tag, tag in ("script", "style") or hint))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self._form is not None:
            name, value = self._select
            if value:
                self._form[1].append((name, value))
            self._select = None
        if tag == "form" and self._form is not None:
            action, values = self._form
            self.links.append(f"{action}?{urlencode(values)}" if values else action)
            self._form = None
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden() and data.strip():
            self.text.append(data.strip())


def forbidden_codes() -> list[str]:
    codes: set[str] = set(labels.PI_TYPES) | set(labels.LEVELS) | set(labels.ROLES)
    codes |= {c for c in labels.CATEGORIES if "." in c or "_" in c}
    codes |= {r.id for r in compliance_rules.default_rules().rules}
    codes |= set(labels.AUDIT_ACTIONS)
    codes |= {f"{o}.{v}" for o in labels.OBJECT_TYPES for v in ("create", "update", "delete")}
    codes |= {f"{o}.{v}" for o in labels.OBJECT_TYPES for v in ("read", "export")}
    codes |= {c for c in ACTIONS if ":" in c}
    codes |= {"ok", "denied", "proposed", "confirmed", "corrected", "rereview", "queued"}
    codes |= {"succeeded", "high", "medium", "low"}
    return sorted(codes, key=len, reverse=True)


CODES = forbidden_codes()
CODE_PATTERN = re.compile(
    r"(?<![A-Za-z0-9_.:/-])(" + "|".join(re.escape(c) for c in CODES) + r")(?![A-Za-z0-9_:-])"
)


CJK = re.compile(r"[\u4e00-\u9fff]")
# In English, words such as "denied" or "confirmed" are words: only code-shaped codes count.
CODE_PATTERN_EN = re.compile(
    r"(?<![A-Za-z0-9_.:/-])("
    + "|".join(re.escape(c) for c in CODES if not c.isalpha() or not c.islower())
    + r")(?![A-Za-z0-9_:-])"
)


def route_patterns() -> list[tuple[str, re.Pattern[str], str]]:
    patterns = []
    for line in ROUTE_ACTIONS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        method, path, action = line.split()
        regex = re.sub(r"\\\{[a-z_]+\\\}", r"[^/]+", re.escape(path))
        patterns.append((method, re.compile(f"^{regex}$"), action))
    return patterns


ROUTES = route_patterns()


def declared_action(method: str, path: str) -> str | None:
    # Literal routes before parametrised ones (/audit/verify before /audit/{event_id}).
    matches = [(p.pattern.count("[^/]+"), a) for m, p, a in ROUTES if m == method and p.match(path)]
    return min(matches)[1] if matches else None


def shape(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/{id}", urlsplit(path).path)


@pytest.fixture
def demo_client(app_client: TestClient, accounts: object) -> tuple[TestClient, dict[Role, str]]:
    factory = app_client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        demo_flows.seed(session)
    with factory() as session:
        county = session.scalars(select(Unit).where(Unit.name == "示例县教育局")).one()
        county_id = county.id
    platform = {Role.system_admin, Role.security_admin, Role.audit_admin}
    names: dict[Role, str] = {}
    for role in Role:
        username = f"walk-{role.value.replace('_', '-')}"
        accounts.create(  # type: ignore[attr-defined]
            username, {role}, None if role in platform else county_id, password=PASSWORD
        )
        names[role] = username
    # Give the audit log denials, reads and logins to show.
    accounts.login(app_client, names[Role.data_user], PASSWORD)  # type: ignore[attr-defined]
    assert app_client.get("/units/new").status_code == 403
    assert app_client.get("/catalog").status_code == 200
    # …and a release request, so its detail page is walked too.
    chooser = app_client.get("/releases/new").text
    dataset_id = re.search(r'<option value="(\d+)"', chooser).group(1)  # type: ignore[union-attr]
    form = app_client.get(f"/releases/new?dataset_id={dataset_id}").text
    fields = re.findall(r'name="fields" value="([^"]+)"', form)[:2]
    created = app_client.post(
        "/releases/new",
        data={
            "dataset_id": dataset_id,
            "fields": fields,
            "purpose": "学业质量统计研究（合成数据）",
            "recipient": "示例大学教育学院",
            "legal_basis": "科研统计，去标识化后提供",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text  # …whose message the next page shows
    # Queued work and no worker: every page carries the banner (its text checked too).
    with factory() as session, session.begin():
        source = session.scalars(select(DataSource).order_by(DataSource.id)).first()
        assert source is not None
        run = catalog_service.queue_run(session, source, requested_by="walk")
        run.requested_at = utcnow() - timedelta(minutes=5)
    return app_client, names


SEEN_BLOCKS: dict[str, set[str]] = {}  # (username → ids of flash/banner pages showed it)


def acknowledge(client: TestClient) -> None:
    """An action every role may take, so the walk's first page shows its success message."""
    done = client.post(
        "/account/notices/acknowledge",
        data={"csrf_token": client.headers["X-CSRF-Token"]},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def walk(client: TestClient, principal: Principal, lang: str = "zh") -> tuple[int, list[str]]:
    """Visit the console from /; the problems found (and how many pages were seen)."""
    shown = SEEN_BLOCKS.setdefault(principal.username, set())
    problems: list[str] = []
    seen: set[str] = set()
    per_shape: dict[str, int] = {}
    queue: deque[tuple[str, str]] = deque([("/", "(start)")])
    pages = 0
    while queue and pages < MAX_PAGES:
        url, source = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        key = shape(url)
        if per_shape.get(key, 0) >= PER_ROUTE:
            continue
        per_shape[key] = per_shape.get(key, 0) + 1
        response = client.get(url, follow_redirects=False)
        pages += 1
        if response.status_code != 200:
            problems.append(f"{url} (linked from {source}) answers {response.status_code}")
            continue
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        parsed = Page()
        parsed.feed(response.text)
        shown |= parsed.ids & {"flash", "worker-banner"}
        text = "\n".join(parsed.text)
        if lang == "en":
            for block in ("flash", "worker-banner"):
                found = re.search(f'id="{block}">([^<]*)<', response.text)
                if found and CJK.search(found.group(1).replace("“", "").replace("”", "")):
                    untranslated = found.group(1)
                    problems.append(f"{url}: #{block} is not in English: {untranslated[:80]!r}")
        pattern = CODE_PATTERN_EN if lang == "en" else CODE_PATTERN
        for match in sorted(set(pattern.findall(text))):
            line = next(t for t in parsed.text if match in t)
            problems.append(f"{url}: raw code {match!r} in visible text: {line[:120]!r}")
        if "UTC" in text:
            problems.append(f"{url}: shows UTC times (pages show EDUGUARD_TIMEZONE)")
        for action_url in parsed.posts:
            path = urlsplit(action_url).path
            needed = declared_action("POST", path)
            if needed is None:
                problems.append(f"{url}: button posts to {path}, which declares no action")
            elif not decide(principal, needed).allowed:
                problems.append(f"{url}: button to {path} needs {needed}, not granted")
        for link in parsed.links:
            target = urldefrag(link)[0]
            if target.startswith("/") and not SKIP.search(target) and target not in seen:
                queue.append((target, url))
            elif (
                target.startswith("/")
                and SKIP.search(target)
                and target.startswith(("/catalog/export", "/compliance/report", "/audit/export"))
            ):
                # Download buttons: the role must be allowed (checked, not downloaded).
                needed = declared_action("GET", urlsplit(target).path)
                if needed is None or not decide(principal, needed).allowed:
                    problems.append(f"{url}: download {target} needs {needed}, not granted")
    return pages, problems


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_page_of_every_role_is_chinese_and_reachable(
    demo_client: tuple[TestClient, dict[Role, str]], accounts: object, role: Role
) -> None:
    client, names = demo_client
    accounts.login(client, names[role], PASSWORD)  # type: ignore[attr-defined]
    me = client.get("/api/v1/auth/me").json()
    principal = Principal(
        user_id=me.get("user_id", me.get("id", 0)),
        username=names[role],
        roles=frozenset({role}),
        unit_path=me.get("unit_path", "/"),
    )
    acknowledge(client)
    pages, problems = walk(client, principal)
    assert pages >= 5, f"{role.value} reached only {pages} pages"
    assert not problems, "\n".join(problems)
    # The walk read a success message and (for those who read the catalog) the no-worker
    # banner too: issue #15's newer text.
    expected = (
        {"flash", "worker-banner"} if decide(principal, "catalog:read").allowed else {"flash"}
    )
    assert SEEN_BLOCKS[names[role]] == expected, SEEN_BLOCKS[names[role]]


def test_the_walk_finds_a_raw_code() -> None:
    """The check itself: a code outside a hint is caught, inside a hint it is not."""
    parsed = Page()
    parsed.feed(
        '<p>姓名 <small class="code">PERSON_NAME</small></p><td>general-4</td>'
        '<script>var x = "student.basic";</script><p>unit.read <b>ok</b></p>'
    )
    found = set(CODE_PATTERN.findall("\n".join(parsed.text)))
    assert found == {"general-4", "unit.read", "ok"}


def test_times_read_in_beijing_time(tmp_path: Path) -> None:
    moment = datetime(2026, 1, 1, 16, 30, tzinfo=UTC)
    assert labels.format_time(moment) == "2026-01-02 00:30"
    assert labels.format_time(moment.replace(tzinfo=None)) == "2026-01-02 00:30"  # naive: UTC
    assert labels.format_time(moment, "Europe/Berlin") == "2026-01-01 17:30"
    assert labels.format_time(None) == "—"
    assert Settings(home=tmp_path, timezone="Asia/Urumqi").timezone == "Asia/Urumqi"
    with pytest.raises(ValidationError, match="未知时区"):
        Settings(home=tmp_path, timezone="Mars/Olympus_Mons")


def test_every_code_has_both_names() -> None:
    """The registry covers the access policy and the classification taxonomy."""
    from eduguard.classification.rules import load_rules

    assert set(labels.PERMISSIONS) == set(ACTIONS)
    assert {c: zh for c, (zh, _en) in labels.PERMISSIONS.items()} == ACTIONS
    taxonomy = load_rules().taxonomy
    assert {c: zh for c, (zh, _en) in labels.CATEGORIES.items()} == dict(taxonomy)
    for kind, names in labels.REGISTRY.items():
        for code, (zh, en) in names.items():
            assert zh and en, (kind, code)


# ---------------------------------------------------------------- layout in Chromium

WIDTHS = (1366, 390)
DETAIL = re.compile(
    r"^/(catalog/systems|catalog/fields|compliance/systems|releases|audit|collection)/\d+"
)
SHOTS = os.environ.get("EDUGUARD_SCREENSHOTS")  # a folder: save a screenshot of every page


@pytest.mark.browser
# Layout does not depend on the database, and every page and link of every role is fetched on
# both databases by test_every_page_of_every_role_is_chinese_and_reachable: the browser walk
# (the suite's slowest test, ~3 min a database) runs on SQLite only.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_horizontal_overflow_on_the_main_pages(
    demo_client: tuple[TestClient, dict[Role, str]],
    accounts: object,
    live_server: tuple[str, object],
    chromium: Browser,
) -> None:
    """Every page of each role's menu fits 1366 px and 390 px: wide tables scroll inside
    their container, the sidebar collapses behind its button at phone width; every link those
    pages show answers 200 (fetched with the role's browser session)."""
    _client, names = demo_client
    base, _app = live_server
    problems: list[str] = []
    for role in Role:
        username = names[role]
        state: Any = None  # one login per role (the login rate limit), both widths
        checked: set[str] = set()  # link shapes already fetched for this role
        for width in WIDTHS:
            context = chromium.new_context(
                locale="zh-CN", viewport={"width": width, "height": 900}, storage_state=state
            )
            page = context.new_page()
            page.set_default_timeout(20_000)
            if state is None:
                body = {"username": username, "password": PASSWORD}
                body["totp"] = accounts.totp(username)  # type: ignore[attr-defined]
                assert page.request.post(f"{base}/api/v1/auth/login", data=body).ok
                state = context.storage_state()
            page.goto(f"{base}/")
            hrefs = page.eval_on_selector_all(
                "nav.side a[href]", "links => links.map(a => a.getAttribute('href'))"
            )
            if width < 800:
                assert not page.is_visible("nav.side"), "the sidebar is not collapsed"
                page.click("#nav-toggle")
                assert page.is_visible("nav.side")
            details: dict[str, str] = {}  # one detail page of each kind the lists link to
            for href in hrefs:
                page.goto(f"{base}{href}")
                page.wait_for_load_state("load")
                for link in page.eval_on_selector_all(
                    "main a[href]", "links => links.map(a => a.getAttribute('href'))"
                ):
                    # Every link shown answers 200 in the browser too (one of each shape).
                    target = urldefrag(link or "")[0]
                    if (
                        width == WIDTHS[0]
                        and target.startswith("/")
                        and not SKIP.search(target)
                        and shape(target) not in checked
                    ):
                        checked.add(shape(target))
                        answer = page.request.get(f"{base}{target}", max_redirects=0)
                        if answer.status != 200:
                            problems.append(
                                f"{role.value} {href}: {target} answers {answer.status}"
                            )
                    kind = DETAIL.search(link or "")
                    if kind and kind.group(1) not in details and link not in hrefs:
                        details[kind.group(1)] = link
                        hrefs.append(link)
                scroll, inner = page.evaluate(
                    "[document.scrollingElement.scrollWidth, window.innerWidth]"
                )
                if scroll > inner:
                    problems.append(f"{role.value} {width}px {href}: page {scroll}px > {inner}px")
                if SHOTS:
                    name = re.sub(r"[^a-z0-9]+", "_", href).strip("_") or "overview"
                    page.screenshot(path=f"{SHOTS}/{role.value}-{width}-{name}.png", full_page=True)
            context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", [Role.data_owner, Role.audit_admin], ids=lambda r: r.value)
def test_english_pages_show_names_too(
    demo_client: tuple[TestClient, dict[Role, str]], accounts: object, role: Role
) -> None:
    """In English the same pages render, with the registry's English names and no codes."""
    client, names = demo_client
    accounts.login(client, names[role], PASSWORD)  # type: ignore[attr-defined]
    client.cookies.set("lang", "en")
    me = client.get("/api/v1/auth/me").json()
    principal = Principal(
        user_id=0, username=names[role], roles=frozenset({role}), unit_path=me["unit_path"]
    )
    acknowledge(client)
    pages, problems = walk(client, principal, "en")
    assert pages >= 5 and not problems, "\n".join(problems)
    expected = (
        {"flash", "worker-banner"} if decide(principal, "catalog:read").allowed else {"flash"}
    )
    assert SEEN_BLOCKS[names[role]] == expected, SEEN_BLOCKS[names[role]]


TEMPLATE_TEXT = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def test_every_console_text_has_its_english() -> None:
    """Every ``_("…")`` of every template (each page of each role, the upload, bulk-confirm and
    release pages, the banner) has an entry in web/i18n.py, as has the no-worker banner."""
    from eduguard.web import i18n, worker

    templates = Path(i18n.__file__).parent / "templates"
    missing = set()
    for template in sorted(templates.glob("*.html")):
        for match in TEMPLATE_TEXT.finditer(template.read_text(encoding="utf-8")):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            if CJK.search(text) and text not in i18n.EN:
                missing.add(f"{template.name}: {text}")
    banner = worker.banner.__code__.co_consts
    texts = [c for c in banner if isinstance(c, str) and c.startswith("有后台任务")]
    assert texts and all(t in i18n.EN for t in texts), texts
    assert not missing, "\n".join(sorted(missing))
