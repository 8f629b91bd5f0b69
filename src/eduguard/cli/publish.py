"""``eduguard publish-check FILE... [--fix OUTPUT]``: 公示前检查 — may these documents be posted?

Each file gets a verdict (可以发布 / 需确认 / 需处理), each reason with where it is and what to
do. ``--fix`` writes a de-identified copy (.xlsx, .docx, .csv) beside the verdict: one file's copy to
OUTPUT (a file, or a folder), several files' copies into the folder OUTPUT. stdout carries the
result (``--format json`` pipes cleanly). Exit codes: 0 every file may be published, 4 some file
must be fixed (a leak, something sensitive or hidden, a file that could not be read), 5 nothing
to fix but some file concerns children and needs a person's confirmation, 2 a usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from eduguard.protection.policy import Policy
    from eduguard.protection.publish import PublishCheck

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FIX = 4
EXIT_CONFIRM = 5
_MARKS = {"publishable": "[green]✔[/]", "confirm": "[yellow]![/]", "fix": "[red]✘[/]"}


def _usage(err: Console, message: str) -> typer.Exit:
    err.print(f"[bold red]错误：[/]{message}", highlight=False)
    return typer.Exit(EXIT_USAGE)


def _targets(files: list[Path], fix: Path | None, err: Console) -> list[Path | None]:
    if fix is None:
        return [None] * len(files)
    fix = fix.expanduser()
    if len(files) > 1 or fix.is_dir():
        if not fix.is_dir():
            raise _usage(err, f"检查多个文件时 --fix 应为已存在的文件夹：{fix}")
        from eduguard.protection.publish_fix import fixed_name

        return [fix / fixed_name(path.name) for path in files]
    if not fix.resolve().parent.is_dir():
        raise _usage(err, f"无法写入“{fix}”：目录不存在")
    if fix.resolve() == files[0].resolve():
        raise _usage(err, "--fix 不能覆盖原文件")
    return [fix]


def _load_policy(policy: Path | None, err: Console) -> Policy | None:
    if policy is None:
        return None
    from eduguard.protection.policy import PolicyError, load_policy

    try:
        return load_policy(policy)
    except PolicyError as error:
        raise _usage(err, error.message("zh")) from None


def _print(console: Console, check: PublishCheck, fixed: str | None) -> None:
    console.print(
        f"{_MARKS[check.verdict]} [bold]{check.name}[/]：{check.verdict_label()}", highlight=False
    )
    for reason in check.reasons:
        mark = {"fix": "  ✘", "confirm": "  !", "advice": "  ·"}[reason.severity]
        console.print(f"{mark} {reason.message}", highlight=False, markup=False)
        if reason.where:
            shown = "、".join(reason.where[:8]) + (
                " 等" if reason.count > len(reason.where[:8]) else ""
            )
            console.print(f"      位置：{shown}", highlight=False, markup=False)
        console.print(f"      处理：{reason.action}", highlight=False, markup=False)
    if fixed:
        console.print(f"  → 脱敏副本：{fixed}", highlight=False, markup=False)


def publish_check(
    files: Annotated[
        list[Path], typer.Argument(help="要发布的文件（Excel、Word、PDF、网页、CSV…）")
    ],
    fix: Annotated[
        Path | None,
        typer.Option(
            "--fix", help="生成脱敏副本（.xlsx、.docx、.csv）：一个文件时为输出文件或文件夹"
        ),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="脱敏策略文件（默认：公示脱敏策略）")
    ] = None,
    report_format: Annotated[
        str, typer.Option("--format", "-f", help="输出格式：table 或 json")
    ] = "table",
) -> None:
    """公示前检查：文件能否发布、哪里要处理，并可生成脱敏副本（check documents before posting）。"""
    err = Console(stderr=True, highlight=False)
    if report_format not in ("table", "json"):
        raise _usage(err, f"不支持的输出格式“{report_format}”，可选：table、json")
    missing = [str(path) for path in files if not path.expanduser().is_file()]
    if missing:
        raise _usage(err, f"找不到文件：{'、'.join(missing)}")
    targets = _targets(files, fix, err)
    loaded = _load_policy(policy, err)
    from eduguard.protection.publish import check_file
    from eduguard.protection.publish_fix import FixUnsupported, write_fixed

    results: list[dict[str, object]] = []
    verdicts: set[str] = set()
    console = Console(highlight=False)
    for path, target in zip(files, targets, strict=True):
        check = check_file(path.expanduser(), path.name)
        fixed: str | None = None
        note: str | None = None
        if target is not None:
            try:
                write_fixed(check, path.expanduser(), target, loaded)
                fixed = str(target)
            except FixUnsupported as error:
                note = error.message_zh
            except OSError as error:
                note = f"写入“{target}”失败：{error}"
        verdicts.add(check.verdict)
        if report_format == "json":
            results.append({**check.to_dict(), "fixed": fixed, "fix_error": note})
        else:
            _print(console, check, fixed)
            if note:
                console.print(f"  [yellow]未生成脱敏副本：[/]{note}", highlight=False)
    if report_format == "json":
        sys.stdout.write(json.dumps({"documents": results}, ensure_ascii=False, indent=2) + "\n")
    if "fix" in verdicts:
        raise typer.Exit(EXIT_FIX)
    if "confirm" in verdicts:
        raise typer.Exit(EXIT_CONFIRM)


def register(app: typer.Typer) -> None:
    app.command(name="publish-check")(publish_check)
