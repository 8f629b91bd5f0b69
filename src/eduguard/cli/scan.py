"""``eduguard scan SOURCE``: discover and grade the personal information in a data source.

Contract: ../shared/contracts/scan-report.md. stdout carries the report and nothing else (so
``--format json`` pipes cleanly); the progress bar and every message go to stderr. Exit codes:
0 when every table was scanned, 1 when any table failed (the report lists it), 2 for a usage
error, 3 when every table was scanned but files of the folder were skipped (no reader for their
type, hidden: the report's ``skipped`` lists each with its reason).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from eduguard.source_urls import CrawlLimits
from eduguard.source_urls import is_url as is_database_url

if TYPE_CHECKING:  # the scanner (polars …) is imported when a scan runs, not for --help
    from eduguard.classification import Rules
    from eduguard.discovery.render import ReportFormat
    from eduguard.discovery.report import ScanReport

EXIT_OK = 0
EXIT_TABLE_FAILED = 1
EXIT_USAGE = 2
EXIT_FILES_SKIPPED = 3
ENGINES = ("local", "spark")
LANGUAGES = ("zh", "en")
# Equal to eduguard.discovery's (tests/core/test_cli_lazy.py), here so --help imports no scanner.
DEFAULT_SAMPLE_ROWS = 10_000  # discovery.api.DEFAULT_SAMPLE
FORMATS = ("table", "json", "xlsx", "html")  # discovery.render.FORMATS

_MESSAGES: dict[str, dict[str, str]] = {
    "bad_format": {
        "zh": "不支持的输出格式“{value}”，可选：table、json、xlsx、html",
        "en": "unknown format {value!r}: choose table, json, xlsx or html",
    },
    "bad_sample": {
        "zh": "--sample 应为正整数或 all，而不是“{value}”",
        "en": "--sample takes a positive integer or 'all', not {value!r}",
    },
    "bad_engine": {
        "zh": "不支持的扫描引擎“{value}”，可选：local、spark",
        "en": "unknown engine {value!r}: choose local or spark",
    },
    "spark_missing": {  # "\\[" keeps Rich from reading [spark] as markup
        "zh": "Spark 引擎需要 PySpark：请先安装 pip install 'eduguard\\[spark]'（并安装 Java 17），"
        "或使用 --engine local",
        "en": "the Spark engine needs PySpark: pip install 'eduguard\\[spark]' (and Java 17), "
        "or use --engine local",
    },
    "spark_only": {
        "zh": "{value} 只能与 --engine spark 一起使用",
        "en": "{value} works only with --engine spark",
    },
    "bad_lang": {"zh": "--lang 应为 zh 或 en", "en": "--lang takes zh or en"},
    "no_source": {
        "zh": "找不到数据源“{value}”：请给出文件、文件夹或数据库地址（如 sqlite:///school.db）",
        "en": "no such source {value!r}: give a file, a folder or a database URL",
    },
    "no_rules": {"zh": "找不到规则文件“{value}”", "en": "no such rules file {value!r}"},
    "bad_output": {
        "zh": "无法写入输出文件“{value}”：目录不存在",
        "en": "cannot write {value!r}: the folder does not exist",
    },
    "xlsx_needs_output": {
        "zh": "xlsx 格式需要用 --output 指定输出文件",
        "en": "--format xlsx needs --output FILE",
    },
    "written": {"zh": "报告已写入 {value}", "en": "report written to {value}"},
    "failed_tables": {
        "zh": "{value} 个表未能扫描，详见报告",
        "en": "{value} table(s) could not be scanned: see the report",
    },
    "skipped_files": {
        "zh": "{value} 个文件未扫描（格式无法读取或为隐藏文件），详见报告",
        "en": "{value} file(s) were not scanned (no reader, or hidden): see the report",
    },
    "write_failed": {"zh": "写入“{value}”失败", "en": "writing {value!r} failed"},
}


def _message(key: str, lang: str, value: object = "") -> str:
    return _MESSAGES[key]["en" if lang == "en" else "zh"].format(value=value)


def _usage_error(err: Console, key: str, lang: str, value: object = "") -> typer.Exit:
    prefix = "error: " if lang == "en" else "错误："
    err.print(f"[bold red]{prefix}[/]{_message(key, lang, value)}", highlight=False)
    return typer.Exit(EXIT_USAGE)


def _is_spark_url(source: str) -> bool:
    """A ``jdbc:`` URL or a filesystem URL (``hdfs://``, ``s3a://``, ``file:/`` …)."""
    return source.startswith(("jdbc:", "file:")) or "://" in source


def parse_sample(value: str | None) -> int | None:
    """``all`` → ``None`` (every row); a positive integer → that many rows; else ``ValueError``."""
    if value is None:
        return DEFAULT_SAMPLE_ROWS
    if value.strip().lower() in ("all", "全部"):
        return None
    rows = int(value.replace("_", "").replace(",", ""))
    if rows < 1:
        raise ValueError(value)
    return rows


def _validate(
    err: Console,
    source: str,
    report_format: str,
    output: Path | None,
    sample: str | None,
    rules: Path | None,
    engine: str,
    lang: str,
) -> tuple[ReportFormat, int | None]:
    if lang not in LANGUAGES:
        raise _usage_error(err, "bad_lang", "zh")
    if report_format not in FORMATS:
        raise _usage_error(err, "bad_format", lang, report_format)
    try:
        sample_rows = parse_sample(sample)
    except ValueError:
        raise _usage_error(err, "bad_sample", lang, sample) from None
    if engine not in ENGINES:
        raise _usage_error(err, "bad_engine", lang, engine)
    if engine == "spark" and importlib.util.find_spec("pyspark") is None:
        raise _usage_error(err, "spark_missing", lang)
    if engine == "spark" and _is_spark_url(source):
        pass  # a Hadoop filesystem or JDBC URL: Spark reports what it cannot read
    elif not is_database_url(source) and not Path(source).expanduser().exists():
        raise _usage_error(err, "no_source", lang, source)
    if rules is not None and not rules.exists():
        raise _usage_error(err, "no_rules", lang, rules)
    if output is not None and not output.expanduser().resolve().parent.is_dir():
        raise _usage_error(err, "bad_output", lang, output)
    if report_format == "xlsx" and output is None and sys.stdout.isatty():
        raise _usage_error(err, "xlsx_needs_output", lang)
    return cast("ReportFormat", report_format), sample_rows


class RowRateColumn(ProgressColumn):
    """Rows per second of the current table (blank until Rich has measured a speed)."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.unit = "rows/s" if lang == "en" else "行/秒"

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None or not task.fields.get("rows"):
            return Text("")
        return Text(f"{speed:,.0f} {self.unit}", style="progress.data.speed")


class ScanProgressBar:
    """A Rich progress bar on stderr over tables and rows; drawn only on a terminal.

    It is the engine's ``ProgressCallback``: called after each batch with (table, rows read,
    rows expected or None — a CSV's are estimated from its size). Rows show a rate and the
    time left when the total is known.
    """

    def __init__(self, err: Console, lang: str) -> None:
        self.lang = lang
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RowRateColumn(lang),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        label = "tables" if lang == "en" else "已扫描表"
        self.tables = self.progress.add_task(label, total=None)
        self.rows = self.progress.add_task("", total=None, visible=False, rows=True)
        self.current: str | None = None

    def __enter__(self) -> ScanProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.progress.stop()

    def __call__(self, table: str, rows: int, expected: int | None) -> None:
        if table != self.current:
            if self.current is not None:
                self.progress.advance(self.tables)
            self.current = table
            self.progress.reset(self.rows)  # the rate and time left are per table
        unit = "rows" if self.lang == "en" else "行"
        self.progress.update(
            self.rows,
            description=f"{table}（{unit}）",
            completed=rows,
            total=max(expected, rows) if expected else None,
            visible=True,
        )


def _load_rules(err: Console, rules: Path | None, lang: str) -> Rules | None:
    if rules is None:
        return None
    from eduguard.classification import load_rules
    from eduguard.classification.rules import RulesError

    try:
        return load_rules(rules)
    except RulesError as error:
        prefix = "error: " if lang == "en" else "错误："
        err.print(f"[bold red]{prefix}[/]{error.message(lang)}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None


def _run_scan(
    source: str,
    sample_rows: int | None,
    rules: Rules | None,
    err: Console,
    lang: str,
    crawl: CrawlLimits | None = None,
) -> ScanReport:
    from eduguard.discovery import api

    with ScanProgressBar(err, lang) as progress:
        return api.scan(source, sample=sample_rows, rules=rules, progress=progress, crawl=crawl)


def _run_spark_scan(
    source: str,
    sample_rows: int | None,
    rules: Rules | None,
    master: str | None,
    table: str | None,
    err: Console,
    lang: str,
) -> ScanReport:
    from eduguard.discovery import spark

    with ScanProgressBar(err, lang) as progress:
        report = spark.scan(
            source, master=master, sample=sample_rows, rules=rules, table=table, progress=progress
        )
    if not _is_spark_url(source) or source.startswith("file:"):
        report.source = source
    return report


def _emit(report: ScanReport, report_format: ReportFormat, output: Path | None) -> None:
    from eduguard.discovery.render import render_bytes, render_table

    if output is not None:
        output.expanduser().write_bytes(render_bytes(report, report_format))
    elif report_format == "table":
        render_table(report, Console(highlight=False))
    else:
        stream = sys.stdout.buffer
        stream.write(render_bytes(report, report_format))
        stream.flush()


def scan(
    source: Annotated[
        str,
        typer.Argument(
            help="文件、文件夹或数据库地址，如 students.csv、exports/、sqlite:///school.db"
        ),
    ],
    report_format: Annotated[
        str, typer.Option("--format", "-f", help="报告格式：table、json、xlsx、html")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="把报告写入文件（默认输出到终端）")
    ] = None,
    sample: Annotated[
        str | None,
        typer.Option(
            "--sample", help=f"每个表读取的行数，或 all 读取全部（默认 {DEFAULT_SAMPLE_ROWS}）"
        ),
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="自定义分类分级规则文件（复制默认规则后修改）")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="扫描引擎：local（默认）或 spark")
    ] = "local",
    lang: Annotated[str, typer.Option("--lang", help="提示信息语言：zh 或 en")] = "zh",
    master: Annotated[
        str | None,
        typer.Option(
            "--master",
            help="Spark 集群地址（仅 --engine spark），如 spark://host:7077；默认 local[*]",
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option("--table", help="JDBC 数据源中要扫描的表（仅 --engine spark；默认全部表）"),
    ] = None,
    max_pages: Annotated[
        int,
        typer.Option("--max-pages", min=1, max=100_000, help="扫描网站时最多抓取的页面和附件数"),
    ] = 200,
    max_depth: Annotated[
        int, typer.Option("--max-depth", min=0, max=20, help="扫描网站时从起始页起跟随链接的层数")
    ] = 3,
) -> None:
    """扫描数据源，发现并分级其中的个人信息（scan a source for personal information）。"""
    err = Console(stderr=True, highlight=False)
    report_format_checked, sample_rows = _validate(
        err, source, report_format, output, sample, rules, engine, lang
    )
    if engine != "spark" and (master is not None or table is not None):
        raise _usage_error(err, "spark_only", lang, "--master" if master else "--table")
    loaded_rules = _load_rules(err, rules, lang)
    if engine == "spark":
        report = _run_spark_scan(source, sample_rows, loaded_rules, master, table, err, lang)
    else:
        crawl = CrawlLimits(max_pages=max_pages, max_depth=max_depth)
        report = _run_scan(source, sample_rows, loaded_rules, err, lang, crawl)
        from eduguard.discovery.connectors import describe_source

        report.source = describe_source(source)
    try:
        _emit(report, report_format_checked, output)
    except OSError as error:
        err.print(f"[bold red]{_message('write_failed', lang, output)}[/]：{error}")
        raise typer.Exit(EXIT_TABLE_FAILED) from None
    if output is not None:
        err.print(_message("written", lang, output))
    failed = sum(table.error is not None for table in report.tables)
    if report.skipped:
        err.print(f"[yellow]{_message('skipped_files', lang, len(report.skipped))}[/]")
    if failed:
        err.print(f"[yellow]{_message('failed_tables', lang, failed)}[/]")
        raise typer.Exit(EXIT_TABLE_FAILED)
    if report.skipped:
        raise typer.Exit(EXIT_FILES_SKIPPED)


def register(app: typer.Typer) -> None:
    """Add ``scan`` to the root ``eduguard`` command."""
    app.command(name="scan")(scan)
