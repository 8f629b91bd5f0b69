"""``eduguard mask SOURCE --output PATH``: a de-identified copy of a data source, and its report.

Exit codes: 0 done; 1 the source could not be read or the copy not written (nothing is left
half-written); 2 a usage error or a bad policy (nothing was read).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from eduguard.cli.common import error_text, friendly_errors
from eduguard.config import get_settings
from eduguard.discovery.connectors import is_database_url
from eduguard.errors import EduguardError
from eduguard.protection.job import Deidentification, MaskJob, report_path, run
from eduguard.protection.keys import load_pseudonym_key
from eduguard.protection.policy import PolicyError, load_policy
from eduguard.protection.writers import FORMATS, OutputFormat

EXIT_FAILED = 1
EXIT_USAGE = 2


def _usage(err: Console, message: str) -> typer.Exit:
    err.print(error_text(message), highlight=False)
    return typer.Exit(EXIT_USAGE)


def _format(output: Path, given: str | None) -> OutputFormat:
    wanted = given or output.suffix.lower().lstrip(".") or "csv"
    for chosen in FORMATS:
        if chosen == wanted:
            return chosen
    raise ValueError(wanted)


def mask(
    source: Annotated[str, typer.Argument(help="文件、文件夹或数据库地址（只读，不会被修改）")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="脱敏副本：文件；多表来源时为文件夹")
    ],
    policy: Annotated[
        Path | None, typer.Option("--policy", help="脱敏策略文件（缺省为内置默认策略）")
    ] = None,
    output_format: Annotated[
        str | None, typer.Option("--format", "-f", help="csv、parquet 或 xlsx（缺省按扩展名）")
    ] = None,
    k: Annotated[int | None, typer.Option("--k", min=2, help="k-匿名：每个等价类至少 k 条")] = None,
    l_diversity: Annotated[
        int, typer.Option("--l", min=1, help="l-多样性：每个等价类至少 l 个不同的敏感值")
    ] = 1,
    quasi: Annotated[
        str | None, typer.Option("--quasi", help="准标识符列，逗号分隔（与 --k 同用）")
    ] = None,
    sensitive: Annotated[
        str | None, typer.Option("--sensitive", help="敏感属性列（--l 大于 1 时必填）")
    ] = None,
    sampling_fraction: Annotated[
        float, typer.Option("--sampling-fraction", help="数据占总体的比例，用于估计记者攻击风险")
    ] = 1.0,
    seed: Annotated[int | None, typer.Option("--seed", help="噪声、置换的随机种子")] = None,
    table: Annotated[
        list[str] | None, typer.Option("--table", help="只处理这些表（可重复；缺省为全部）")
    ] = None,
) -> None:
    """生成脱敏副本与报告（mask a copy of a source; the source is never changed）。"""
    err = Console(stderr=True, highlight=False)
    if not is_database_url(source) and not Path(source).expanduser().exists():
        raise _usage(err, f"找不到数据源“{source}”")
    try:
        chosen_format = _format(output, output_format)
    except ValueError as error:
        raise _usage(err, f"不支持的输出格式“{error}”，可选：csv、parquet、xlsx") from None
    deidentify = None
    if k is not None or quasi:
        columns = [name.strip() for name in (quasi or "").split(",") if name.strip()]
        if k is None or not columns:
            raise _usage(err, "k-匿名需要同时给出 --k 与 --quasi")
        if l_diversity > 1 and not sensitive:
            raise _usage(err, "--l 大于 1 时需要用 --sensitive 指定敏感属性列")
        if not 0 < sampling_fraction <= 1:
            raise _usage(err, "--sampling-fraction 应在 (0, 1] 之间")
        deidentify = Deidentification(columns, k, l_diversity, sensitive, sampling_fraction)
    try:
        loaded = load_policy(policy)
    except PolicyError as error:
        err.print(error_text(error.message_zh), highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    settings = get_settings()
    try:
        secret = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
        key = load_pseudonym_key(settings.keys_dir, secret)
        report = run(
            MaskJob(
                source,
                loaded,
                output,
                chosen_format,
                key,
                deidentify=deidentify,
                seed=seed,
                tables_wanted=table or None,
            )
        )
    except EduguardError as error:
        err.print(error_text(f"{error.message_zh}（{error.code}）"), highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    except OSError as error:  # disk full, permission denied: nothing was left behind
        err.print(error_text(f"写入失败，未留下任何输出：{error.strerror or error}"))
        raise typer.Exit(EXIT_FAILED) from None
    for entry in report["tables"]:
        changed = sum(column["rows_changed"] > 0 for column in entry["columns"])
        err.print(f"{entry['table']}：{entry['rows']} 行，{changed} 列已脱敏 → {entry['output']}")
        model = entry.get("k_anonymity")
        if model:
            err.print(
                f"  k={model['k_achieved']} l={model['l_achieved']} "
                f"等价类 {model['equivalence_classes']}，抑制 {model['records_suppressed']} 条，"
                f"NCP {model['information_loss']['ncp']}，"
                f"最大重识别风险 {model['risk']['prosecutor_max']}"
            )
    err.print(f"报告：{report_path(output)}")


def _mean_spec(err: Console, spec: str) -> tuple[str, float, float]:
    column, _, bounds = spec.partition(":")
    low, _, high = bounds.partition(":")
    try:
        return column, float(low), float(high)
    except ValueError:
        raise _usage(err, f"--mean 应写作 列:下界:上界（如 cj:0:150），而不是“{spec}”") from None


def dp_stats(
    source: Annotated[str, typer.Argument(help="文件或数据库地址（只读）")],
    epsilon: Annotated[
        float, typer.Option("--epsilon", help="本次发布的隐私预算 ε（各统计量平分）")
    ] = 1.0,
    count: Annotated[bool, typer.Option("--count", help="发布总行数")] = False,
    mean: Annotated[
        list[str] | None, typer.Option("--mean", help="列:下界:上界，发布均值（可重复）")
    ] = None,
    by: Annotated[
        list[str] | None, typer.Option("--by", help="列:类别1,类别2，发布各类别计数（可重复）")
    ] = None,
    table: Annotated[str | None, typer.Option("--table", help="表名（多表来源时必填）")] = None,
) -> None:
    """发布差分隐私统计量（计数、均值、分类计数），输出 JSON 并注明 ε。"""
    import json

    import polars as pl

    from eduguard.discovery.connectors import open_source
    from eduguard.discovery.sources import FailedTable, SourceError
    from eduguard.protection import dp

    err = Console(stderr=True, highlight=False)
    if epsilon <= 0:
        raise _usage(err, "--epsilon 应为正数")
    means = [_mean_spec(err, spec) for spec in mean or []]
    groups = [(spec.partition(":")[0], spec.partition(":")[2].split(",")) for spec in by or []]
    wanted = int(count) + len(means) + len(groups)
    if wanted == 0:
        raise _usage(err, "请至少给出 --count、--mean 或 --by 之一")
    tables = [t for t in open_source(source) if table is None or t.name == table]
    if len(tables) != 1 or isinstance(tables[0], FailedTable):
        raise _usage(err, "请用 --table 指定一个可读取的表")
    try:
        frame = pl.concat(list(tables[0].batches()), how="diagonal")
    except SourceError as error:
        err.print(error_text(error.message_zh), highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    names = [name for name, _, _ in means] + [name for name, _ in groups]
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise _usage(err, f"表中没有列：{'、'.join(missing)}")
    share = epsilon / wanted
    try:
        dp.dp_count(pl.Series(["probe"]), 1.0)
    except dp.OpenDPMissing as error:
        err.print(error_text(error), highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    releases = []
    if count:
        releases.append(dp.dp_count(frame.to_series(0).alias("*"), share))
    releases += [dp.dp_mean(frame[name], share, low, high) for name, low, high in means]
    releases += [dp.dp_counts_by(frame[name], cats, share) for name, cats in groups]
    body = {
        "epsilon_total": epsilon,
        "composition": "sequential: ε split evenly over the statistics",
        "releases": [release.to_dict() for release in releases],
    }
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    """Add ``mask`` and ``dp-stats`` to the root ``eduguard`` command."""
    # friendly_errors: an unexpected failure is one Chinese line with its type, never a traceback
    app.command(name="mask")(friendly_errors(mask))
    app.command(name="dp-stats")(friendly_errors(dp_stats))
