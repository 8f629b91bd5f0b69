"""A school's own website: its pages and the attachments they link to, crawled politely.

``eduguard scan https://www.school.example/`` reads the page, follows links **on the same host
only** (same scheme, host and port; a link or a redirect to any other host is never fetched)
breadth-first up to :attr:`CrawlLimits.max_depth` links deep and :attr:`CrawlLimits.max_pages`
fetches, honours ``robots.txt`` (its ``Disallow`` rules and ``Crawl-delay``, for the agent
``eduguard``), waits :attr:`CrawlLimits.delay` seconds between requests, gives each request
:attr:`CrawlLimits.timeout` seconds and the whole crawl :attr:`CrawlLimits.max_seconds`.
A response is read only when its ``Content-Type`` is a web page or an attachment eduguard
reads (Excel, Word, PDF, CSV, text, zip); an attachment whose type is generic
(``application/octet-stream``) is read by its file name. A body larger than
:attr:`CrawlLimits.max_bytes` is refused unread (by ``Content-Length``) or cut off (streamed).

Every page and attachment becomes tables named by its URL (``https://…/gs.html:表格1``), read
by the same readers as local files; a page that fails (404, timeout, too large, unreadable) is
an error in the report; a link not fetched because of robots.txt, a type with no reader
(``.doc``, ``.rar``) or the crawl's limits is listed in the report's ``skipped``.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import time
import urllib.robotparser
from collections import deque
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import httpx2
import lxml.html
from lxml.etree import ParserError

from eduguard import __version__
from eduguard.discovery.sources import FailedTable, SkippedFile, SourceError, TableSource
from eduguard.source_urls import CrawlLimits

AGENT = "eduguard"
USER_AGENT = f"eduguard/{__version__} (school website privacy check; +robots.txt respected)"
_PAGE_TYPES = {"text/html": ".html", "application/xhtml+xml": ".html"}
_ATTACHMENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/pdf": ".pdf",
    "text/csv": ".csv",
    "text/plain": ".txt",
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
}
_GENERIC_TYPES = frozenset(
    {"application/octet-stream", "application/x-download", "binary/octet-stream",
     "application/force-download", "application/download"}
)  # fmt: skip
_READ_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".docx", ".pdf", ".csv", ".txt", ".zip"})
_PAGE_SUFFIXES = frozenset({"", ".html", ".htm", ".shtml", ".php", ".asp", ".aspx", ".jsp"})
# links to these are documents a school posts but eduguard cannot read: listed, not fetched
_UNREAD_SUFFIXES = frozenset({".doc", ".wps", ".et", ".rar", ".7z", ".ppt", ".pptx", ".odt"})


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _suffix(url: str) -> str:
    return PurePosixPath(unquote(urlsplit(url).path)).suffix.lower()


def _refused(url: str, code: str, zh: str, en: str) -> FailedTable:
    return FailedTable(url, SourceError(code, zh, en))


def _skipped(url: str, code: str, zh: str, en: str) -> SkippedFile:
    return SkippedFile(url, SourceError(code, zh, en))


def _robots(client: httpx2.Client, start: str) -> urllib.robotparser.RobotFileParser:
    """The site's robots.txt: missing (4xx) allows all; unreachable (5xx, errors) allows none."""
    parser = urllib.robotparser.RobotFileParser()
    scheme, host, port = _origin(start)
    nothing = ["User-agent: *", "Disallow: /"]
    try:
        response = client.get(f"{scheme}://{host}:{port}/robots.txt")
    except httpx2.HTTPError:
        parser.parse(nothing)
        return parser
    if response.status_code in (401, 403) or response.status_code >= 500:
        parser.parse(nothing)
    elif response.status_code >= 400:
        parser.parse([])
    else:
        parser.parse(response.text[: 512 << 10].splitlines())
    return parser


_DISPOSITION = re.compile(
    r"filename\*\s*=\s*[\w-]+'[^']*'(?P<star>[^;]+)|filename\s*=\s*\"?(?P<plain>[^\";]+)", re.I
)


def _attachment_name(header: str) -> str | None:
    """The file name a ``Content-Disposition: attachment; filename=…`` gives (RFC 6266)."""
    match = _DISPOSITION.search(header)
    if match is None:
        return None
    if match["star"]:
        return unquote(match["star"].strip())
    return match["plain"].strip()


def _links(page: bytes, base: str) -> list[str]:
    try:
        root = lxml.html.document_fromstring(page)
    except (ParserError, ValueError):
        return []
    found: list[str] = []
    for element in root.iter("a", "iframe", "frame"):
        target = element.get("href") if element.tag == "a" else element.get("src")
        if target and not target.strip().lower().startswith(("javascript:", "mailto:", "tel:")):
            found.append(urldefrag(urljoin(base, target.strip()))[0])
    return found


class _Crawl:
    def __init__(self, start: str, limits: CrawlLimits, folder: Path) -> None:
        self.start = start
        self.origin = _origin(start)
        self.limits = limits
        self.folder = folder
        self.fetched = 0
        self.begun = time.monotonic()
        self.client = httpx2.Client(
            timeout=limits.timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )
        self.robots = _robots(self.client, start)
        crawl_delay = self.robots.crawl_delay(AGENT)
        self.delay = max(limits.delay, float(crawl_delay or 0))
        self.last = 0.0

    def same_site(self, url: str) -> bool:
        return urlsplit(url).scheme in ("http", "https") and _origin(url) == self.origin

    def _wait(self) -> None:
        pause = self.last + self.delay - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self.last = time.monotonic()

    def fetch(self, url: str) -> tuple[str, str, bytes] | FailedTable | SkippedFile:
        """(final URL, suffix to read it as, body) or why it was not read."""
        for _hop in range(5):  # same-site redirects
            if not self.robots.can_fetch(AGENT, url):
                return _skipped(
                    url,
                    "robots_disallowed",
                    f"网站的 robots.txt 不允许抓取“{url}”，未扫描",
                    f"{url} is disallowed by robots.txt",
                )
            self._wait()
            self.fetched += 1
            try:
                with self.client.stream("GET", url) as response:
                    if response.is_redirect:
                        target = urljoin(url, response.headers.get("location", ""))
                        if not self.same_site(target):
                            return _skipped(
                                url,
                                "redirect_off_site",
                                f"“{url}”跳转到其他网站，未跟随",
                                f"{url} redirects to another host: not followed",
                            )
                        url = target
                        continue
                    return self._read(url, response)
            except httpx2.TimeoutException:
                return _refused(
                    url,
                    "fetch_timeout",
                    f"读取“{url}”超时（{self.limits.timeout:g} 秒）",
                    f"{url} timed out",
                )
            except httpx2.HTTPError as error:
                return _refused(
                    url, "fetch_failed", f"无法读取“{url}”：{error}", f"cannot fetch {url}: {error}"
                )
        return _refused(url, "too_many_redirects", f"“{url}”跳转次数过多", f"{url}: redirect loop")

    def _read(
        self, url: str, response: httpx2.Response
    ) -> tuple[str, str, bytes] | FailedTable | SkippedFile:
        if response.status_code != 200:
            return _refused(
                url,
                "fetch_status",
                f"读取“{url}”失败：服务器返回 {response.status_code}",
                f"{url}: HTTP {response.status_code}",
            )
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        suffix = _PAGE_TYPES.get(kind) or _ATTACHMENT_TYPES.get(kind)
        if suffix is None and kind in _GENERIC_TYPES:
            named = _attachment_name(response.headers.get("content-disposition", ""))
            for candidate in (_suffix(f"/{named}") if named else "", _suffix(url)):
                if candidate in _READ_SUFFIXES:
                    suffix = candidate
                    break
        if suffix == ".txt" and _suffix(url) == ".csv":
            suffix = ".csv"
        if suffix is None:
            return _skipped(
                url,
                "unsupported_content_type",
                f"“{url}”的内容类型“{kind or '未知'}”无法读取，未扫描",
                f"{url}: no reader for content type {kind!r}",
            )
        declared = response.headers.get("content-length", "")
        limit = self.limits.max_bytes
        if declared.isdigit() and int(declared) > limit:
            return _refused(url, *_too_large(url, limit))
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                return _refused(url, *_too_large(url, limit))
        return str(response.url), suffix, bytes(body)

    def out_of_time(self) -> bool:
        return time.monotonic() - self.begun > self.limits.max_seconds


def _too_large(url: str, limit: int) -> tuple[str, str, str]:
    return (
        "file_too_large",
        f"“{url}”超过单个文件上限 {limit >> 20} MB，未扫描",
        f"{url} is larger than {limit} bytes",
    )


def open_website(
    start: str, limits: CrawlLimits | None = None, *, skipped: bool = False
) -> Iterator[TableSource | FailedTable]:
    """The tables of every page and attachment of the site at ``start`` (see module doc)."""
    from eduguard.discovery.connectors.files import open_file

    limits = limits or CrawlLimits()
    if not _origin(start)[1]:
        yield _refused(start, "bad_url", f"网址无效：{start}", f"not a URL: {start}")
        return
    with tempfile.TemporaryDirectory(prefix="eduguard-crawl-") as folder:
        crawl = _Crawl(start, limits, Path(folder))
        try:
            queue: deque[tuple[str, int]] = deque([(urldefrag(start)[0], 0)])
            seen = {queue[0][0]}
            left: list[str] = []
            while queue:
                url, depth = queue.popleft()
                if crawl.fetched >= limits.max_pages or crawl.out_of_time():
                    left = [url, *(u for u, _ in queue)]
                    break
                got = crawl.fetch(url)
                if isinstance(got, FailedTable):
                    if skipped or not isinstance(got, SkippedFile):
                        yield got
                    continue
                final, suffix, body = got
                path = Path(folder) / f"{crawl.fetched:05d}{suffix}"
                path.write_bytes(body)
                yield from open_file(path, final, skipped=skipped)
                path.unlink(missing_ok=True)  # read: the next table is being asked for
                if suffix != ".html" or depth >= limits.max_depth:
                    continue
                for link in _links(body, final):
                    if link in seen or not crawl.same_site(link):
                        continue
                    seen.add(link)
                    link_suffix = _suffix(link)
                    if link_suffix in _UNREAD_SUFFIXES:
                        if skipped:
                            yield _skipped(
                                link,
                                "unsupported_format",
                                f"附件“{link}”的格式“{link_suffix}”无法读取，未扫描（请另存为"
                                ".docx/.xlsx 后检查）",
                                f"{link}: no reader for {link_suffix}",
                            )
                        continue
                    if link_suffix in _PAGE_SUFFIXES or link_suffix in _READ_SUFFIXES:
                        queue.append((link, depth + 1))
            if left and skipped:
                yield _skipped(
                    start,
                    "crawl_limit",
                    f"已达抓取上限（{limits.max_pages} 个页面/附件或 {limits.max_seconds:g} 秒），"
                    f"另有 {len(left)} 个链接未抓取",
                    f"crawl limit reached: {len(left)} link(s) not fetched",
                )
        finally:
            with contextlib.suppress(Exception):
                crawl.client.close()
