"""Connectors: turn a SOURCE (file, folder, database URL) into tables the engine can read.

``open_source`` never raises for bad input: a file or database that cannot be read becomes a
:class:`~eduguard.discovery.sources.FailedTable` with a stable code and a Chinese message, and
the scan goes on with the rest. A table that fails part-way raises ``SourceError`` from its
``batches()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike
from pathlib import Path

from eduguard.discovery.connectors.files import SUPPORTED_SUFFIXES, open_file, open_folder
from eduguard.discovery.sources import FailedTable, SourceError, TableSource
from eduguard.source_urls import CrawlLimits, SourcePolicy, is_web_url
from eduguard.source_urls import is_url as is_database_url

# The database connector (SQLAlchemy) is imported when a database URL is opened: a scan of a
# file does not pay for it.

__all__ = ["SUPPORTED_SUFFIXES", "describe_source", "is_database_url", "open_source"]


def open_source(
    source: str | PathLike[str],
    policy: SourcePolicy | None = None,
    *,
    skipped: bool = False,
    crawl: CrawlLimits | None = None,
) -> Iterator[TableSource | FailedTable]:
    """The tables of ``source``: a file, a folder (recursively) or a SQLAlchemy database URL.

    ``policy`` (database URLs): the host allow-list and driver timeouts; without one, hosts are
    not checked (the operator's own shell) but the URL's options always are. ``skipped``: a
    folder's files that are not scanned (no reader for their type, hidden) are yielded too, as
    :class:`~eduguard.discovery.sources.SkippedFile` (a ``FailedTable``) with the reason.
    An ``http(s)://`` URL is a website: its pages and attachments on that host, crawled within
    ``crawl``'s limits (:mod:`.website`)."""
    text = str(source)
    if is_web_url(text) and policy is not None:  # a registered source is never a website
        yield FailedTable(
            text,
            SourceError(
                "website_not_a_source",
                "网站不能登记为数据源：请用命令行 eduguard scan 网址 扫描本校网站",
                "a website is not a data source: scan it with eduguard scan URL",
            ),
        )
        return
    if is_web_url(text):
        from eduguard.discovery.connectors.website import open_website

        yield from open_website(text, crawl, skipped=skipped)
        return
    if is_database_url(text):
        from eduguard.discovery.connectors.database import open_database

        yield from open_database(text, policy)
        return
    path = Path(text).expanduser()
    if policy is not None and path.exists() and policy.path_refused(path):
        yield FailedTable(
            text,
            SourceError(
                "source_forbidden",
                f"数据源“{text}”（解析符号链接后）位于允许扫描的目录之外或 eduguard 数据目录内",
                f"{text} resolves outside the scan roots or into eduguard's home",
            ),
        )
    elif path.is_dir():
        yield from open_folder(path, policy, skipped=skipped)
    elif path.is_file():
        yield from open_file(path, path.name, skipped=skipped)
    else:
        yield FailedTable(
            text,
            SourceError(
                "source_not_found",
                f"找不到数据源：{text}",
                f"no such file, folder or database: {text}",
            ),
        )


def describe_source(source: str | PathLike[str]) -> str:
    """``source`` as it may be shown in a report: a database URL without its password."""
    text = str(source)
    if is_web_url(text):
        return text.split("#")[0]
    if is_database_url(text):
        from eduguard.discovery.connectors.database import parse_url

        try:
            return parse_url(text).display()
        except SourceError:
            return text.split("@")[-1].split("?")[0]
    return text
