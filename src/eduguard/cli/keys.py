"""``eduguard keys``: status, migrate, rotate (data key or master key)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import capture as audit_capture
from eduguard.audit import checkpoints as audit_checkpoints
from eduguard.audit.service import Actor
from eduguard.cli.common import SafeTable, console, fail, friendly_errors, open_engine
from eduguard.config import Settings, get_settings
from eduguard.crypto import MasterKey, new_key_hex, parse_key_hex
from eduguard.db.engine import make_session_factory
from eduguard.keys import flows, service
from eduguard.keys.keyring import Keyring

keys_app = typer.Typer(help="字段加密密钥 (envelope keys)", no_args_is_help=True)
STATE_LABELS = {"active": "使用中", "retiring": "轮换中（待退役）", "retired": "已退役"}
BatchSize = Annotated[
    int,
    typer.Option("--batch-size", min=1, max=100_000, help="每批重新加密的字段数（每批一个事务）"),
]


@contextmanager
def _factory(settings: Settings) -> Iterator[tuple[sessionmaker[Session], Keyring]]:
    engine = open_engine(settings)
    keyring = Keyring(settings.master_key_source())
    factory = make_session_factory(engine, keyring)
    audit_capture.install(factory, audit_checkpoints.CheckpointPolicy.from_settings(settings))
    try:
        yield factory, keyring
    finally:
        engine.dispose()


def _progress(column: str, count: int) -> None:
    console.print(f"  {column}：重新加密 {count} 个字段")


def print_status(status: service.Status) -> None:
    table = SafeTable(title="数据密钥（由主密钥加密保存）")
    for heading in ("ID", "状态", "主密钥指纹", "创建时间", "保护字段数"):
        table.add_column(heading)
    for key in status.keys:
        table.add_row(
            key.id,
            STATE_LABELS[key.state.value],
            key.master_fingerprint,
            f"{key.created_at:%Y-%m-%d %H:%M}",
            str(key.fields),
        )
    console.print(table)
    columns = "，".join(f"{name} {count}" for name, count in status.by_column.items())
    console.print(f"加密字段：{columns}")
    if status.legacy_v1 or status.plaintext:
        console.print(
            f"[yellow]待迁移[/]：旧格式密文 {status.legacy_v1} 个，明文 {status.plaintext} 个"
            "（运行 eduguard keys migrate）"
        )
    if status.rotating:
        console.print("[yellow]有未完成的数据密钥轮换[/]：运行 eduguard keys rotate 继续")


@keys_app.command("status")
@friendly_errors
def status_command() -> None:
    """列出数据密钥、状态、主密钥指纹及各自保护的字段数。"""
    settings = get_settings()
    with _factory(settings) as (factory, keyring), factory() as session:
        console.print(f"当前主密钥指纹：{keyring.master.fingerprint}（{keyring.master.origin}）")
        keyring.check_master(session)
        print_status(service.status(session))


@keys_app.command("migrate")
@friendly_errors
def migrate_command(batch_size: BatchSize = service.DEFAULT_BATCH) -> None:
    """加密升级前以明文或旧格式保存的字段（eduguard init 会自动运行）。"""
    settings = get_settings()
    with _factory(settings) as (factory, keyring):
        count = flows.migrate(
            factory, keyring, batch_size=batch_size, actor=Actor.cli(), progress=_progress
        )
    console.print(f"已迁移 {count} 个字段到信封加密")


def _new_master(path: Path | None, generate: bool, settings: Settings) -> MasterKey:
    if path is not None:
        if not path.is_file():
            raise fail(f"主密钥文件不存在：{path}")
        return parse_key_hex(path.read_text(encoding="utf-8"), str(path))
    if not settings.master_key_source().from_file:
        raise fail(
            "主密钥来自环境变量，无法自动替换：请用 --master 指定新主密钥文件，"
            "完成后把 EDUGUARD_MASTER_KEY 改为该文件中的值"
        )
    assert generate
    return parse_key_hex(new_key_hex(), "新生成的主密钥")


@keys_app.command("rotate")
@friendly_errors
def rotate_command(
    master: Annotated[
        Path | None,
        typer.Option("--master", help="新主密钥文件（32 位十六进制）：用它重新加密所有数据密钥"),
    ] = None,
    generate_master: Annotated[
        bool, typer.Option("--generate-master", help="生成新主密钥并替换 HOME/keys/master.key")
    ] = False,
    batch_size: BatchSize = service.DEFAULT_BATCH,
) -> None:
    """轮换密钥：缺省生成新数据密钥并分批重新加密全部字段（可中断后续跑）；
    --master / --generate-master 只轮换主密钥（重新包装数据密钥，不改字段）。"""
    settings = get_settings()
    if master is not None and generate_master:
        raise fail("--master 与 --generate-master 只能选一个")
    with _factory(settings) as (factory, keyring):
        if master is not None or generate_master:
            result = flows.rotate_master(
                factory, keyring, _new_master(master, generate_master, settings), actor=Actor.cli()
            )
            console.print(
                f"已用新主密钥（指纹 {result.new_fingerprint}）重新包装 {result.rewrapped} 个数据密钥；"
                f"旧主密钥指纹 {result.old_fingerprint}"
            )
            if result.installed is not None:
                console.print(f"新主密钥已写入 {result.installed}（权限 0600）")
            else:
                console.print(
                    "[yellow]请把 EDUGUARD_MASTER_KEY 改为新主密钥并重启服务[/]"
                    "（运行中的进程已缓存数据密钥，可继续工作）"
                )
            return
        rotation = flows.rotate_data_key(
            factory, keyring, batch_size=batch_size, actor=Actor.cli(), progress=_progress
        )
    resumed = "（继续上次未完成的轮换）" if rotation.resumed else ""
    console.print(
        f"数据密钥已轮换{resumed}：新密钥 {rotation.target}，重新加密 {rotation.rewritten} 个字段，"
        f"退役 {len(rotation.retired)} 个旧密钥"
    )
