"""The platform's own backup: create, restore, and check a restored database.

``create`` takes a consistent snapshot — SQLite's online backup API (the server keeps writing
meanwhile), or on PostgreSQL ``pg_dump --snapshot`` of a REPEATABLE READ transaction that also
counts the rows, so the manifest's counts are those of the dump — then writes two files: the
database backup (:mod:`eduguard.backup.archive`) and the keys backup
(:mod:`eduguard.backup.keyfile`), encrypted with the operator's passphrase.

``restore`` verifies the backup file first (nothing is touched if it fails), refuses a target
database that already holds tables unless forced, restores (SQLite: a checked copy renamed into
place; PostgreSQL: ``pg_restore --single-transaction``, all or nothing), installs the keys if a
keys backup is given, and then checks the restored database (:func:`check_restored`): the
Alembic revision and every table's row count equal the manifest, the audit chain verifies and
ends at the manifest's last event, and the master key opens every data key.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from eduguard import __version__
from eduguard.audit import keys as audit_keys
from eduguard.audit import verify as audit_verify
from eduguard.backup import archive, keyfile
from eduguard.backup.keyfile import BackupInvalid
from eduguard.crypto import MasterKeySource
from eduguard.db.engine import make_engine
from eduguard.errors import Conflict, ValidationFailed
from eduguard.keys.keyring import Keyring

SUFFIX = ".egbak"
KEYS_SUFFIX = ".egkeys"


# ---------------------------------------------------------------- database helpers


def _url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it (never
    on a command line, which other users can read)."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tables(connection: Connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    return [str(name) for name in connection.execute(text(sql)).scalars()]


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def counts(connection: Connection) -> dict[str, int]:
    found = {}
    for name in _tables(connection):
        sql = f"SELECT count(*) FROM {_quote(connection, name)}"  # noqa: S608 - a quoted name
        found[name] = int(connection.execute(text(sql)).scalar_one())
    return found


def _audit_tail(connection: Connection) -> dict[str, Any]:
    row = connection.execute(
        text("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
    ).first()
    total = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    return {
        "events": int(total),
        "last_event_id": int(row[0]) if row else None,
        "last_hash": str(row[1]) if row else None,
    }


def _revision(connection: Connection) -> str | None:
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if found is None else str(found)


def _sqlite_path(url: URL) -> Path:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise ValidationFailed(
            "backup_sqlite_path", "只能备份或恢复到 SQLite 文件（不支持内存数据库）"
        )
    return Path(database)


def _snapshot_facts(connection: Connection) -> dict[str, Any]:
    return {
        "alembic_revision": _revision(connection),
        "tables": counts(connection),
        "audit": _audit_tail(connection),
    }


# ---------------------------------------------------------------- create


@dataclass(frozen=True)
class Created:
    backup: Path
    keys: Path
    manifest: dict[str, Any]


def _data_key_master(connection: Connection) -> str | None:
    return connection.execute(
        text("SELECT master_fingerprint FROM data_keys ORDER BY created_at DESC LIMIT 1")
    ).scalar()


def _snapshot_sqlite(url: URL, folder: Path) -> tuple[Path, dict[str, Any]]:
    path = _sqlite_path(url)
    if not path.is_file():  # sqlite3.connect would create an empty database
        raise ValidationFailed("backup_database_missing", f"数据库文件不存在：{path}")
    source = sqlite3.connect(path)
    target_path = folder / archive.PAYLOADS["sqlite"]
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)  # the online backup API: a consistent copy while others write
    finally:
        target.close()
        source.close()
    engine = create_engine(f"sqlite:///{target_path}")
    try:
        with engine.connect() as connection:
            facts = _snapshot_facts(connection)
            facts["master_key_fingerprint"] = _data_key_master(connection)
    finally:
        engine.dispose()
    # SQLite's backup leaves the copy in the source's journal mode; a restored file is opened
    # by eduguard, which sets WAL again.
    return target_path, facts


def _snapshot_pg(url: URL, folder: Path) -> tuple[Path, dict[str, Any]]:
    program = shutil.which("pg_dump")
    if program is None:
        raise ValidationFailed(
            "backup_pg_dump_missing", "找不到 pg_dump（请安装 PostgreSQL 客户端）"
        )
    target = folder / archive.PAYLOADS["postgresql"]
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
            connection.begin(),
        ):
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            schema = str(connection.execute(text("SELECT current_schema()")).scalar_one())
            facts = _snapshot_facts(connection)
            facts["schema"] = schema
            facts["master_key_fingerprint"] = _data_key_master(connection)
            # An extension (pg_trgm) lives outside the schema: named, pg_dump includes it.
            extensions = [
                str(name)
                for name in connection.execute(
                    text("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")
                ).scalars()
            ]
            facts["extensions"] = extensions
            conninfo, env = libpq(url)
            done = subprocess.run(  # noqa: S603 - fixed program and options
                [
                    program,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--schema={schema}",
                    *(f"--extension={name}" for name in extensions),
                    "--no-owner",
                    "--no-privileges",
                    f"--file={target}",
                    f"--dbname={conninfo}",
                ],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if done.returncode != 0:
                raise ValidationFailed(
                    "backup_pg_dump_failed",
                    f"pg_dump 失败：{done.stderr.strip()[:300]}",
                    f"pg_dump failed: {done.stderr.strip()[:300]}",
                )
    finally:
        engine.dispose()
    return target, facts


def create(
    database_url: str, keys_dir: Path, output: Path, passphrase: str, *, master_in_env: bool
) -> Created:
    """Back up the database and (separately) the keys directory into ``output``."""
    keyfile.check_passphrase(passphrase)
    url = _url(database_url)
    dialect = url.get_backend_name()
    if dialect not in archive.PAYLOADS:
        raise ValidationFailed("backup_dialect", f"不支持备份 {dialect} 数据库")
    output.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)
    backup_id = uuid.uuid4().hex
    base = f"eduguard-{now:%Y%m%dT%H%M%SZ}-{backup_id[:8]}"
    backup_path, keys_path = output / f"{base}{SUFFIX}", output / f"{base}{KEYS_SUFFIX}"
    signing = audit_keys.signing_key(keys_dir)  # before the keys are packed: it is one of them
    with tempfile.TemporaryDirectory(prefix=".eduguard-backup-", dir=output) as tmp:
        folder = Path(tmp)
        if dialect == "sqlite":
            payload, facts = _snapshot_sqlite(url, folder)
        else:
            payload, facts = _snapshot_pg(url, folder)
        created_at = now.isoformat().replace("+00:00", "Z")
        keys_blob = keyfile.pack(keys_dir, passphrase, backup_id=backup_id, created_at=created_at)
        manifest: dict[str, Any] = {
            "format": archive.FORMAT,
            "backup_id": backup_id,
            "created_at": created_at,
            "eduguard_version": __version__,
            "dialect": dialect,
            "schema": facts.pop("schema", None),
            **facts,
            "payload": {
                "name": payload.name,
                "size": payload.stat().st_size,
                "sm3": archive.sm3_file(payload),
            },
            "keys_file": {"name": keys_path.name, "sm3": archive.sm3_bytes(keys_blob)},
            "master_key_in_keys_file": not master_in_env,
        }
        _write_new(keys_path, keys_blob)
        try:
            archive.write(backup_path, manifest, payload, signing)
        except BaseException:
            keys_path.unlink(missing_ok=True)
            raise
    return Created(backup_path, keys_path, manifest)


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


# ---------------------------------------------------------------- verify and restore


def public_key(keys_dir: Path | None, keys: keyfile.KeysBackup | None) -> Ed25519PublicKey | None:
    """The audit public key: from the keys backup when given, else the keys directory."""
    if keys is not None and audit_keys.PUBLIC_KEY_FILE in keys.files:
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, audit_keys.PUBLIC_KEY_FILE).write_bytes(
                keys.files[audit_keys.PUBLIC_KEY_FILE]
            )
            return audit_keys.public_key(Path(tmp))
    if keys_dir is not None and (keys_dir / audit_keys.PUBLIC_KEY_FILE).is_file():
        return audit_keys.public_key(keys_dir)
    return None


def check_keys_match(verified: archive.Verified, keys_blob: bytes) -> None:
    expected = verified.manifest.get("keys_file") or {}
    if archive.sm3_bytes(keys_blob) != expected.get("sm3"):
        raise BackupInvalid(
            "keys_backup_mismatch",
            "密钥备份文件与数据库备份不是同一次生成的（SM3 摘要与清单不符）",
            "the keys backup was not made with this database backup (SM3 differs)",
        )


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    target: str
    checks: list[Check] = field(default_factory=list)
    keys_installed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "target": self.target,
            "keys_installed": self.keys_installed,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


def _with_schema(url: URL, schema: str | None) -> URL:
    """The restored schema first on the search path (a dump of a schema other than public)."""
    if url.get_backend_name() != "postgresql" or not schema or schema == "public":
        return url
    if "options" in url.query:
        return url
    return url.update_query_dict({"options": f"-csearch_path={schema}"})


def _is_empty(url: URL, schema: str | None) -> bool:
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return True
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                found = connection.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                ).fetchone()[0]
            finally:
                connection.close()
        except sqlite3.DatabaseError:
            return False
        return int(found) == 0
    engine = make_engine(_with_schema(url, schema).render_as_string(hide_password=False))
    try:
        with engine.connect() as pg:
            return not _tables(pg)
    finally:
        engine.dispose()


@contextmanager
def _engine(url: URL) -> Iterator[Engine]:
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()


def _restore_sqlite(payload: Path, url: URL) -> None:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.restore")
    shutil.copyfile(payload, staged)
    staged.chmod(0o600)
    for suffix in ("-wal", "-shm", "-journal"):  # an old target's companions belong to it
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)


def _restore_pg(payload: Path, url: URL, *, force: bool) -> None:
    if shutil.which("pg_restore") is None:
        raise ValidationFailed(
            "backup_pg_restore_missing", "找不到 pg_restore（PostgreSQL 客户端）"
        )
    conninfo, env = libpq(url)
    command = ["pg_restore", "--single-transaction", "--exit-on-error", "--no-owner"]
    command += ["--no-privileges", f"--dbname={conninfo}"]
    if force:
        command += ["--clean", "--if-exists"]
    done = subprocess.run(  # noqa: S603 - fixed program and options
        [*command, str(payload)], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise ValidationFailed(
            "backup_pg_restore_failed",
            f"pg_restore 失败，目标数据库未被修改（单一事务）：{done.stderr.strip()[:300]}",
            f"pg_restore failed; the target is unchanged (one transaction): {done.stderr[:300]}",
        )


def restore(
    backup: Path,
    target_url: str,
    *,
    keys_backup: Path | None,
    passphrase: str | None,
    keys_dir: Path,
    force: bool = False,
    master_source: MasterKeySource | None = None,
) -> Report:
    """Verify ``backup``, restore it into ``target_url`` (and the keys into ``keys_dir``),
    then check the result. Every refusal happens before the target or the keys change."""
    url = _url(target_url)
    keys = None
    if keys_backup is not None:
        if passphrase is None:
            raise ValidationFailed("backup_passphrase_required", "恢复密钥备份需要口令")
        keys = keyfile.read_file(keys_backup, passphrase)
    with tempfile.TemporaryDirectory(prefix="eduguard-restore-") as tmp:
        verified = archive.verify(backup, public_key(keys_dir, keys), keep=Path(tmp))
        manifest = verified.manifest
        if keys is not None:
            assert keys_backup is not None
            check_keys_match(verified, keys_backup.read_bytes())
        if url.get_backend_name() != verified.dialect:
            raise ValidationFailed(
                "backup_dialect_mismatch",
                f"这是 {verified.dialect} 数据库的备份，不能恢复到 {url.get_backend_name()}",
            )
        schema = manifest.get("schema")
        if not force and not _is_empty(url, schema):
            raise Conflict(
                "backup_target_not_empty",
                "目标数据库已有数据表，拒绝覆盖；确认要覆盖请加 --force；未做任何修改",
                "the target database is not empty; use --force to overwrite; nothing changed",
            )
        if keys is not None and not force and keyfile.conflicts(keys, keys_dir):
            names = "、".join(keyfile.conflicts(keys, keys_dir))
            raise Conflict(
                "backup_keys_differ",
                f"密钥目录 {keys_dir} 中已有不同的密钥文件（{names}），拒绝覆盖；"
                "确认要覆盖请加 --force，或用 --keys-dir 指定新目录；未做任何修改",
                "the keys directory holds different key files; nothing changed",
            )
        payload = Path(tmp) / str(manifest["payload"]["name"])
        if verified.dialect == "sqlite":
            _restore_sqlite(payload, url)
        else:
            _restore_pg(payload, url, force=force)
    report = Report(url.render_as_string(hide_password=True))
    if keys is not None:
        report.keys_installed = [p.name for p in keyfile.install(keys, keys_dir)]
        if manifest.get("master_key_in_keys_file", True):
            master_source = MasterKeySource(keys_dir)
    report.checks = check_restored(
        url, manifest, keys_dir=keys_dir, public=public_key(keys_dir, keys), master=master_source
    )
    return report


def check_restored(
    url: URL,
    manifest: dict[str, Any],
    *,
    keys_dir: Path,
    public: Ed25519PublicKey | None,
    master: MasterKeySource | None,
) -> list[Check]:
    """Compare a restored database with its manifest and verify its audit chain."""
    checks: list[Check] = []
    with _engine(_with_schema(url, manifest.get("schema"))) as engine:
        with engine.connect() as connection:
            revision = _revision(connection)
            checks.append(
                Check(
                    "alembic_revision",
                    revision == manifest["alembic_revision"],
                    f"数据库版本 {revision}（清单 {manifest['alembic_revision']}）",
                )
            )
            found = counts(connection)
            expected = {str(k): int(v) for k, v in manifest["tables"].items()}
            differ = [
                f"{name}：{found.get(name, '缺失')}（清单 {expected.get(name, '无')}）"
                for name in sorted(set(found) | set(expected))
                if found.get(name) != expected.get(name)
            ]
            checks.append(
                Check(
                    "row_counts",
                    not differ,
                    f"{len(expected)} 张表、{sum(expected.values())} 行，与清单一致"
                    if not differ
                    else "行数不符：" + "；".join(differ[:10]),
                )
            )
            checks.append(_audit_check(connection, manifest, public))
        checks.append(_master_check(engine, manifest, master))
    return checks


def _audit_check(
    connection: Connection, manifest: dict[str, Any], public: Ed25519PublicKey | None
) -> Check:
    with tempfile.TemporaryDirectory() as tmp:
        if public is not None:
            from cryptography.hazmat.primitives import serialization

            Path(tmp, audit_keys.PUBLIC_KEY_FILE).write_bytes(
                public.public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
        result = audit_verify.verify(connection, keys_dir=Path(tmp), sink=None, fast=False)
    tail = _audit_tail(connection)
    want = manifest["audit"]
    if not result.ok:
        assert result.problem is not None
        return Check("audit_chain", False, f"审计日志校验失败：{result.problem.message_zh}")
    if (tail["last_event_id"], tail["last_hash"]) != (want["last_event_id"], want["last_hash"]):
        return Check(
            "audit_chain",
            False,
            f"审计日志末尾为事件 {tail['last_event_id']}，清单记录为事件 {want['last_event_id']}",
        )
    return Check(
        "audit_chain",
        True,
        f"哈希链完好：{result.events_checked} 条事件、{result.checkpoints_checked} 个签名检查点，"
        f"末尾事件 {tail['last_event_id'] or '-'} 与清单一致",
    )


def _master_check(
    engine: Engine, manifest: dict[str, Any], master: MasterKeySource | None
) -> Check:
    if master is None or (
        master.from_file and not master.active_file().exists()
    ):  # load() would create a new key: never here
        return Check(
            "master_key", True, "未提供主密钥，未检查数据密钥（恢复后用 eduguard keys status 检查）"
        )
    try:
        with Session(engine) as session:
            count = Keyring(master).check_master(session)
    except Exception as error:  # a wrong key: the ConfigurationError's Chinese message
        message = getattr(error, "message_zh", type(error).__name__)
        return Check("master_key", False, f"主密钥无法解开数据密钥：{message}")
    return Check("master_key", True, f"主密钥可解开全部 {count} 个数据密钥")
