"""``eduguard backup``: create, verify and restore the platform's own database and keys.

The database backup (``.egbak``) and the keys backup (``.egkeys``, encrypted with a passphrase
the operator supplies) are two files; keep them in different places. See docs/backup.md for
the restore drill.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from eduguard.audit import service as audit_service
from eduguard.backup import archive, keyfile, platform
from eduguard.cli import backup_systems
from eduguard.cli.common import SafeTable, console, db_session, fail, friendly_errors, open_engine
from eduguard.config import Settings, get_settings

backup_app = typer.Typer(help="平台备份与恢复 (platform backup and restore)", no_args_is_help=True)
backup_systems.register(backup_app)  # policy … / drill …: the information systems' backups

PassphraseFile = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help="密钥备份口令所在文件（第一行）；缺省在终端输入",
        exists=False,
    ),
]
KeysFile = Annotated[
    Path | None, typer.Option("--keys", help="与数据库备份同时生成的密钥备份文件（.egkeys）")
]
AsJson = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    if path is not None:
        if not path.is_file():
            raise fail(f"口令文件不存在：{path}")
        lines = path.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    value: str = typer.prompt(
        "密钥备份口令", hide_input=True, confirmation_prompt="再输入一次" if confirm else False
    )
    return value


def _master_in_env(settings: Settings) -> bool:
    return settings.master_key is not None or settings.field_key is not None


@backup_app.command("create")
@friendly_errors
def create_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="备份文件输出目录")] = Path(
        "backups"
    ),
    passphrase_file: PassphraseFile = None,
    as_json: AsJson = False,
) -> None:
    """备份数据库（SQLite 在线备份 / PostgreSQL pg_dump）和密钥目录（单独加密的文件）。"""
    settings = get_settings()
    open_engine(settings).dispose()  # the database exists and is current
    passphrase = _passphrase(passphrase_file, confirm=True)
    created = platform.create(
        settings.effective_database_url,
        settings.keys_dir,
        output,
        passphrase,
        master_in_env=_master_in_env(settings),
    )
    manifest = created.manifest
    with db_session(settings) as session:
        audit_service.record(
            session,
            action="platform_backup.create",
            object_type="platform_backup",
            object_id=str(manifest["backup_id"])[:32],
            row_count=sum(int(v) for v in manifest["tables"].values()),
            reason=f"平台备份 {created.backup.name}（SM3 {manifest['payload']['sm3'][:16]}…）",
        )
    if as_json:
        console.print_json(
            json.dumps(
                {"backup": str(created.backup), "keys": str(created.keys), "manifest": manifest},
                ensure_ascii=False,
            )
        )
        return
    console.print(f"[green]数据库备份[/]：{created.backup}")
    console.print(f"[green]密钥备份（已加密）[/]：{created.keys}")
    console.print(
        f"{len(manifest['tables'])} 张表、{sum(manifest['tables'].values())} 行，"
        f"数据库版本 {manifest['alembic_revision']}，审计事件 {manifest['audit']['events']} 条；"
        f"SM3 {manifest['payload']['sm3']}"
    )
    if not manifest["master_key_in_keys_file"]:
        console.print(
            "[yellow]主密钥来自环境变量（EDUGUARD_MASTER_KEY），不在密钥备份中：请另行保管[/]"
        )
    console.print("请把两个文件分开存放（密钥备份与数据库备份不要放在同一位置）。")


@backup_app.command("verify")
@friendly_errors
def verify_command(
    backup: Annotated[Path, typer.Argument(help="数据库备份文件（.egbak）")],
    keys: KeysFile = None,
    passphrase_file: PassphraseFile = None,
    as_json: AsJson = False,
) -> None:
    """离线校验备份文件（清单签名、SM3 摘要、表行数），不恢复任何数据；损坏或被改动时退出 1。"""
    settings = get_settings()
    unpacked = None
    if keys is not None:
        unpacked = keyfile.read_file(keys, _passphrase(passphrase_file, confirm=False))
    verified = archive.verify(backup, platform.public_key(settings.keys_dir, unpacked))
    if keys is not None:
        platform.check_keys_match(verified, keys.read_bytes())
    manifest = verified.manifest
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "ok": True,
                    "signature_checked": verified.signature_checked,
                    "keys_checked": keys is not None,
                    "notes": verified.notes,
                    "manifest": manifest,
                },
                ensure_ascii=False,
            )
        )
        return
    console.print(f"[green]备份文件完好[/]：{backup}")
    console.print(
        f"生成于 {manifest['created_at']}，{manifest['dialect']}，数据库版本 "
        f"{manifest['alembic_revision']}，{len(manifest['tables'])} 张表、"
        f"{sum(manifest['tables'].values())} 行，审计事件 {manifest['audit']['events']} 条"
    )
    console.print(
        "清单签名：已验证" if verified.signature_checked else "清单签名：未验证（无审计公钥）"
    )
    if keys is not None:
        console.print(f"密钥备份：口令正确，含 {len(unpacked.files) if unpacked else 0} 个密钥文件")
    for note in verified.notes:
        console.print(f"[yellow]{note}[/]")


@backup_app.command("restore")
@friendly_errors
def restore_command(
    backup: Annotated[Path, typer.Argument(help="数据库备份文件（.egbak）")],
    keys: KeysFile = None,
    passphrase_file: PassphraseFile = None,
    target: Annotated[
        str | None,
        typer.Option("--target", help="恢复到的数据库 URL；缺省为当前配置的数据库"),
    ] = None,
    keys_dir: Annotated[
        Path | None, typer.Option("--keys-dir", help="密钥恢复到的目录；缺省为 HOME/keys")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="目标数据库非空或已有不同密钥时仍覆盖")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """校验备份后恢复到目标数据库，再核对：数据库版本、各表行数与清单一致，审计哈希链完好。"""
    settings = get_settings()
    passphrase = _passphrase(passphrase_file, confirm=False) if keys is not None else None
    report = platform.restore(
        backup,
        target or settings.effective_database_url,
        keys_backup=keys,
        passphrase=passphrase,
        keys_dir=keys_dir or settings.keys_dir,
        force=force,
        master_source=settings.master_key_source() if _master_in_env(settings) else None,
    )
    if as_json:
        console.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        console.print(f"已恢复到 {report.target}")
        if report.keys_installed:
            console.print(f"已恢复密钥文件：{'、'.join(report.keys_installed)}")
        table = SafeTable(title="恢复后核对")
        for heading in ("项目", "结果", "说明"):
            table.add_column(heading)
        names = {
            "alembic_revision": "数据库版本",
            "row_counts": "各表行数",
            "audit_chain": "审计哈希链",
            "master_key": "主密钥",
        }
        for check in report.checks:
            table.add_row(
                names.get(check.name, check.name), "通过" if check.ok else "不通过", check.detail
            )
        console.print(table)
    if not report.ok:
        console.print("[bold red]恢复后的核对未通过[/]：请勿启用该数据库，保留现场并排查")
        raise typer.Exit(1)
