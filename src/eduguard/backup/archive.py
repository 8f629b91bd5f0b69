"""The database backup file (``.egbak``): a tar of three members, checked offline.

- ``manifest.json`` — what the backup holds: created-at, the eduguard version, the database
  dialect (and PostgreSQL schema), the Alembic revision, every table's row count, the audit
  log's last event (id and hash), the payload's size and SM3 digest, and the SM3 digest of the
  keys file made with it (which is a separate file: keys never travel with the data);
- ``manifest.sig`` — an Ed25519 signature of the manifest by the platform's audit signing key
  (``HOME/keys/audit-signing.key``; checked with its public half);
- the payload — ``database.sqlite`` (SQLite's online backup) or ``database.pgdump``
  (``pg_dump --format=custom``).

:func:`verify` reads the file without restoring anything: the members, the signature, the SM3
digest of the payload, and (SQLite) the payload's own integrity check and row counts, or
(PostgreSQL) ``pg_restore --list`` reading the dump's table of contents. Any problem is a
:class:`~eduguard.backup.keyfile.BackupInvalid` with a Chinese message.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from eduguard.backup.keyfile import BackupInvalid

FORMAT = "eduguard-backup/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PAYLOADS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
CHUNK = 1 << 20


def sm3_file(path: Path) -> str:
    digest = hashes.Hash(hashes.SM3())
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.finalize().hex()


def sm3_bytes(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def canonical(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def write(
    target: Path, manifest: dict[str, Any], payload: Path, signing: Ed25519PrivateKey
) -> None:
    """Write the backup file (temp file + link: an existing file is never overwritten)."""
    body = canonical(manifest)
    signature = base64.b64encode(signing.sign(body)) + b"\n"
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as archive:
                for name, data in ((MANIFEST, body), (SIGNATURE, signature)):
                    info = tarfile.TarInfo(name)
                    info.size, info.mode = len(data), 0o600
                    archive.addfile(info, io.BytesIO(data))
                info = tarfile.TarInfo(manifest["payload"]["name"])
                info.size, info.mode = payload.stat().st_size, 0o600
                with payload.open("rb") as source:
                    archive.addfile(info, source)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@dataclass
class Verified:
    """A backup file that passed :func:`verify`."""

    path: Path
    manifest: dict[str, Any]
    signature_checked: bool
    notes: list[str] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        return str(self.manifest["dialect"])

    @property
    def tables(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.manifest["tables"].items()}


def _broken(detail: str) -> BackupInvalid:
    return BackupInvalid(
        "backup_invalid", f"备份文件无效：{detail}", f"the backup file is not valid: {detail}"
    )


@contextlib.contextmanager
def _open(path: Path) -> Iterator[tarfile.TarFile]:
    if not path.is_file():
        raise _broken(f"文件不存在：{path}")
    try:
        archive = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError):
        raise _broken("不是 eduguard 备份文件，或文件已损坏（无法读取归档结构）") from None
    try:
        yield archive
    finally:
        archive.close()


def _members(archive: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    try:
        members = archive.getmembers()
    except (tarfile.TarError, OSError):
        raise _broken("归档结构已损坏（文件被截断或改动）") from None
    found: dict[str, tarfile.TarInfo] = {}
    for member in members:
        if not member.isfile() or member.name in found:
            raise _broken(f"含有不应有的条目 {member.name[:60]!r}")
        found[member.name] = member
    return found


def _read_member(archive: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> bytes:
    if member.size > limit:
        raise _broken(f"{member.name} 过大")
    handle = archive.extractfile(member)
    if handle is None:
        raise _broken(f"无法读取 {member.name}")
    try:
        return handle.read()
    except (tarfile.TarError, OSError):
        raise _broken(f"{member.name} 已损坏") from None


def read_manifest(path: Path) -> tuple[dict[str, Any], bytes, bytes]:
    """(manifest, its canonical bytes as stored, the signature) — the members checked."""
    with _open(path) as archive:
        members = _members(archive)
        if MANIFEST not in members or SIGNATURE not in members:
            raise _broken("缺少清单（manifest.json）或其签名")
        body = _read_member(archive, members[MANIFEST], MAX_MANIFEST_BYTES)
        signature = _read_member(archive, members[SIGNATURE], 1024)
        try:
            manifest = json.loads(body)
        except ValueError:
            raise _broken("清单不是有效的 JSON（被改动）") from None
        _check_shape(manifest)
        expected = {MANIFEST, SIGNATURE, manifest["payload"]["name"]}
        if set(members) != expected:
            raise _broken("归档中的条目与清单不符")
    return manifest, body, signature


def _check_shape(manifest: Any) -> None:
    try:
        assert isinstance(manifest, dict)
        if manifest["format"] != FORMAT:
            raise _broken(f"格式 {str(manifest['format'])[:40]} 不受支持（应为 {FORMAT}）")
        assert manifest["dialect"] in PAYLOADS
        assert manifest["payload"]["name"] == PAYLOADS[manifest["dialect"]]
        int(manifest["payload"]["size"])
        assert len(str(manifest["payload"]["sm3"])) == 64
        assert isinstance(manifest["tables"], dict)
        assert all(int(v) >= 0 for v in manifest["tables"].values())
        assert isinstance(manifest["audit"], dict)
    except (AssertionError, KeyError, TypeError, ValueError):
        raise _broken("清单缺少必需的项目或格式不对（被改动）") from None


def check_signature(body: bytes, signature: bytes, public: Ed25519PublicKey) -> None:
    try:
        public.verify(base64.b64decode(signature.strip(), validate=True), body)
    except (InvalidSignature, ValueError):
        raise _broken("清单签名不符：清单被改动，或备份不是用这一审计签名密钥生成的") from None


def extract_payload(path: Path, manifest: dict[str, Any], folder: Path) -> Path:
    """Copy the payload out to ``folder`` checking its size and SM3 digest on the way."""
    name = str(manifest["payload"]["name"])
    target = folder / name
    digest = hashes.Hash(hashes.SM3())
    size = 0
    with _open(path) as archive:
        member = _members(archive)[name]
        handle = archive.extractfile(member)
        if handle is None:
            raise _broken(f"无法读取 {name}")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            try:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            except (tarfile.TarError, OSError):
                raise _broken(f"{name} 已损坏（文件被截断）") from None
    if size != int(manifest["payload"]["size"]) or digest.finalize().hex() != str(
        manifest["payload"]["sm3"]
    ):
        raise _broken(f"{name} 的大小或 SM3 摘要与清单不符：数据库备份内容被改动或损坏")
    return target


def sqlite_counts(database: Path) -> dict[str, int]:
    """Row count of every table of a SQLite file (opened read-only)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # noqa: S608
            for name in names
        }
    finally:
        connection.close()


def _check_sqlite_payload(database: Path, manifest: dict[str, Any]) -> None:
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            connection.close()
        counts = sqlite_counts(database)
    except sqlite3.DatabaseError:
        raise _broken("数据库备份不是有效的 SQLite 文件") from None
    if result != "ok":
        raise _broken(f"SQLite 完整性检查未通过：{str(result)[:120]}")
    if counts != {str(k): int(v) for k, v in manifest["tables"].items()}:
        raise _broken("备份中各表的行数与清单不符")


def _check_pg_payload(dump: Path) -> None:
    program = shutil.which("pg_restore")
    if program is None:
        raise _broken("找不到 pg_restore（PostgreSQL 客户端），无法检查 PostgreSQL 备份")
    done = subprocess.run(  # noqa: S603 - the client found on PATH, a path argument
        [program, "--list", str(dump)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise _broken("pg_restore 无法读取数据库备份的目录（备份被改动或损坏）")


def verify(path: Path, public: Ed25519PublicKey | None, *, keep: Path | None = None) -> Verified:
    """Check a backup file offline. ``keep``: a folder to leave the checked payload in (for a
    restore); otherwise it is checked in a temporary folder and removed."""
    manifest, body, signature = read_manifest(path)
    notes = []
    if public is not None:
        check_signature(body, signature, public)
    else:
        notes.append("未找到审计公钥，清单签名未验证（SM3 摘要已验证）")
    folder = keep or Path(tempfile.mkdtemp(prefix="eduguard-verify-"))
    try:
        payload = extract_payload(path, manifest, folder)
        if manifest["dialect"] == "sqlite":
            _check_sqlite_payload(payload, manifest)
        else:
            _check_pg_payload(payload)
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return Verified(path, manifest, public is not None, notes)
