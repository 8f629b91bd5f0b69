"""``--format table``: the report in a terminal, summary first, then one table per source table.

Only columns holding personal information are listed per table (a school database has
thousands of columns); the others are counted. Failed tables are listed with their reason.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from eduguard import exports
from eduguard.discovery.render.labels import level_label, pi_type_label, pi_types_text
from eduguard.discovery.render.summary import is_highlighted, is_personal, summarise
from eduguard.discovery.report import ScanReport, TableReport

_HIGHLIGHT = "bold red"


def _shown(text: str) -> str:
    """Names and comments come from the scanned system: controls escaped (ESC as ``\\x1b``)."""
    return exports.escape_controls(text, keep="\n")


_MINORS = "bold magenta"


def _summary_panel(report: ScanReport) -> Panel:
    summary = summarise(report)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("数据源", Text(_shown(report.source)))
    grid.add_row("扫描时间", report.scanned_at)
    failed = f"，失败 {summary.tables_failed} 个" if summary.tables_failed else ""
    grid.add_row("扫描表数", f"{summary.tables} 个{failed}")
    if report.skipped:
        grid.add_row("未扫描文件", Text(f"{len(report.skipped)} 个（见下）", style=_HIGHLIGHT))
    grid.add_row(
        "含个人信息",
        f"{summary.tables_personal} 个表、{summary.columns_personal} 个字段（共 {summary.columns} 个字段）",
    )
    grid.add_row(
        "敏感个人信息",
        Text(
            f"{summary.columns_sensitive} 个字段",
            style=_HIGHLIGHT if summary.columns_sensitive else "",
        ),
    )
    grid.add_row(
        "未成年人信息",
        Text(
            f"{summary.tables_minors} 个表、{summary.columns_minors} 个字段",
            style=_MINORS if summary.tables_minors else "",
        ),
    )
    grid.add_row("最高级别", level_label(summary.highest_level))
    if summary.pi_type_counts:
        found = "、".join(
            f"{pi_type_label(code)} {count}" for code, count in summary.pi_type_counts
        )
        grid.add_row("发现类型", found)
    return Panel(grid, title="扫描摘要", title_align="left", border_style="cyan")


def _table_view(table: TableReport) -> RenderableType:
    heading = Text(_shown(table.name), style="bold")
    if table.comment:
        heading.append(f"（{_shown(table.comment)}）")
    facts = [f"级别：{level_label(table.level)}", f"抽样 {table.rows_sampled} 行"]
    if table.row_count is not None:
        facts.append(f"共 {table.row_count} 行")
    elif table.row_count_estimate is not None:
        facts.append(f"共约 {table.row_count_estimate} 行（按文件大小估算）")
    if table.subjects is not None:
        facts.append(f"约 {table.subjects} 人")
    heading.append("  " + "；".join(facts), style="dim")
    if table.minors:
        heading.append("  含未成年人信息", style=_MINORS)
    if table.error is not None:
        return Group(
            heading,
            Text(
                _shown(f"  失败 [{table.error.get('code')}]：{table.error.get('message')}"),
                style=_HIGHLIGHT,
            ),
        )
    notes = [Text(f"  {_shown(line)}", style=_HIGHLIGHT) for line in table.proposals]
    secret = [
        column.name for column in table.columns if (column.category or "").startswith("secret")
    ]
    if secret:
        names = "、".join(_shown(name) for name in secret)
        notes.append(Text(f"  涉密（国家秘密）— 不按一般数据分级：{names}", style=_HIGHLIGHT))
    head: RenderableType = Group(heading, *notes) if notes else heading
    personal = [column for column in table.columns if is_personal(column)]
    if not personal:
        return Group(head, Text(f"  {len(table.columns)} 个字段均未发现个人信息", style="dim"))
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    grid.add_column("字段", overflow="fold", ratio=2, min_width=8)
    grid.add_column("个人信息类型", overflow="fold", ratio=2, min_width=8)
    grid.add_column("级别 / 分类", overflow="fold", ratio=2, min_width=10)
    grid.add_column("置信度", justify="right", min_width=4)
    grid.add_column("依据", overflow="fold", ratio=5)
    for column in personal:
        style = _HIGHLIGHT if is_highlighted(column) else ""
        field = Text(_shown(column.name), style=style)
        if column.comment:
            field.append(f"\n{_shown(column.comment)}", style="dim")
        kinds = Text(pi_types_text(column.pi_types), style=style)
        if column.sensitive:
            kinds.append(" 敏感", style=_HIGHLIGHT)
        if column.minors:
            kinds.append(" 未成年人", style=_MINORS)
        grading = Text(level_label(column.level))
        if column.category:
            grading.append(f"\n{column.category}", style="dim")
        grid.add_row(
            field,
            kinds,
            grading,
            f"{column.confidence:.0%}",
            Text(_shown("\n".join(f"· {line}" for line in column.evidence))),
        )
    rest = len(table.columns) - len(personal)
    parts: list[RenderableType] = [head, grid]
    if rest:
        parts.append(Text(f"  其余 {rest} 个字段未发现个人信息", style="dim"))
    parts.extend(_document_lines(table))
    return Group(*parts)


def _document_lines(table: TableReport) -> list[RenderableType]:
    """A document's verdict and where its unmasked personal information is."""
    if table.document is None:
        return []
    lines: list[RenderableType] = []
    if table.hidden:
        hidden = "；".join(f"{key} {'、'.join(value)}" for key, value in table.hidden.items())
        lines.append(Text(_shown(f"  隐藏内容：{hidden}"), style=_HIGHLIGHT))
    for finding in table.findings:
        if not finding["unmasked"]:
            continue
        where = "、".join(finding["where"][:5])
        more = "等" if finding["unmasked"] > 5 else ""
        label = pi_type_label(finding["pi_type"])
        lines.append(
            Text(_shown(f"  未脱敏{label} {finding['unmasked']} 处：{where}{more}"), style="yellow")
        )
    verdict = "含未脱敏的个人信息" if table.leak else "未发现未脱敏的直接标识"
    lines.append(Text(f"  结论：{verdict}", style=_HIGHLIGHT if table.leak else "green"))
    return lines


def render_table(report: ScanReport, console: Console) -> None:
    """Print the report on ``console``."""
    console.print(_summary_panel(report))
    for table in report.tables:
        console.print(_table_view(table))
        console.print()
    if report.skipped:
        console.print(Text("未扫描的文件", style="bold"))
        for entry in report.skipped:
            console.print(Text(_shown(f"  [{entry['code']}] {entry['message']}"), style=_HIGHLIGHT))
