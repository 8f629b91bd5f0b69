"""The keys backup: every file of ``HOME/keys`` (master key, pseudonym key, audit signing key …)
in one file of its own, encrypted with a key derived from a passphrase the operator supplies.

Never in the database backup's file, and never written in the clear: a thief of the database
backup gets sealed columns it cannot open. Format (``eduguard-keys/1``)::

    EGKEYS1\\n
    {"format": …, "backup_id": …, "created_at": …, "kdf": {"name": "scrypt", …}, "files": […]}\\n
    SM4-GCM(nonce ‖ ciphertext ‖ tag) of a tar of the files

The key is scrypt(passphrase, salt) (16 bytes, an SM4 key); the cipher is the platform's own
SM4-GCM (:func:`eduguard.crypto.seal_bytes`), bound to the header as authenticated data, so a
changed header, a wrong passphrase and a changed byte of the ciphertext all fail the same way.
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from eduguard.crypto import KEY_BYTES, DecryptionFailed, open_bytes, seal_bytes
from eduguard.errors import ValidationFailed

MAGIC = b"EGKEYS1\n"
FORMAT = "eduguard-keys/1"
MIN_PASSPHRASE = 12
MAX_KEYS_BYTES = 16 * 1024 * 1024  # a keys directory is a few small files
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1


class BackupInvalid(ValidationFailed):
    """A backup or keys file that is broken, altered, of another format, or the wrong one."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code, message_zh + "；未做任何修改", message_en + "; nothing was changed")


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationFailed(
            "backup_passphrase_short",
            f"密钥备份口令至少 {MIN_PASSPHRASE} 个字符",
            f"the keys backup passphrase needs at least {MIN_PASSPHRASE} characters",
        )


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(passphrase.encode())


def key_files(keys_dir: Path) -> list[Path]:
    """The files of the keys directory a backup carries (temporary files left out)."""
    if not keys_dir.is_dir():
        return []
    return sorted(
        p for p in keys_dir.iterdir() if p.is_file() and not p.is_symlink() and p.name[0] != "."
    )


def pack(keys_dir: Path, passphrase: str, *, backup_id: str, created_at: str) -> bytes:
    """The encrypted keys file's bytes."""
    check_passphrase(passphrase)
    files = key_files(keys_dir)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in files:
            data = path.read_bytes()
            info = tarfile.TarInfo(path.name)
            info.size, info.mode = len(data), 0o600
            archive.addfile(info, io.BytesIO(data))
    salt = secrets.token_bytes(16)
    header: dict[str, Any] = {
        "format": FORMAT,
        "backup_id": backup_id,
        "created_at": created_at,
        "kdf": {
            "name": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": "SM4-GCM",
        "files": [p.name for p in files],
    }
    line = json.dumps(header, ensure_ascii=False, sort_keys=True).encode() + b"\n"
    key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return MAGIC + line + seal_bytes(key, buffer.getvalue(), MAGIC + line)


@dataclass(frozen=True)
class KeysBackup:
    header: dict[str, Any]
    files: dict[str, bytes]  # file name → content

    @property
    def backup_id(self) -> str:
        return str(self.header.get("backup_id", ""))


def _broken(detail: str) -> BackupInvalid:
    return BackupInvalid(
        "keys_backup_invalid",
        f"密钥备份文件无法读取：{detail}",
        f"the keys backup cannot be read: {detail}",
    )


def read_header(blob: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    """(header, the header line, the sealed body) — readable without the passphrase."""
    if not blob.startswith(MAGIC):
        raise _broken("不是 eduguard 密钥备份文件（文件头不符）")
    end = blob.find(b"\n", len(MAGIC))
    if end < 0:
        raise _broken("文件头不完整")
    line = blob[len(MAGIC) : end + 1]
    try:
        header = json.loads(line)
        kdf = header["kdf"]
        if header["format"] != FORMAT or kdf["name"] != "scrypt":
            raise ValueError("format")
        int(kdf["n"]), int(kdf["r"]), int(kdf["p"]), base64.b64decode(kdf["salt"])
    except (ValueError, KeyError, TypeError):
        raise _broken("文件头已损坏或格式不受支持") from None
    return header, line, blob[end + 1 :]


def unpack(blob: bytes, passphrase: str) -> KeysBackup:
    """Decrypt and read a keys file; a wrong passphrase or any changed byte is refused."""
    header, line, body = read_header(blob)
    kdf = header["kdf"]
    n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    if not (2**10 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
        raise _broken("密钥派生参数超出范围")
    try:
        key = _derive(passphrase, base64.b64decode(kdf["salt"]), n, r, p)
        plain = open_bytes(key, body, MAGIC + line)
    except DecryptionFailed:
        raise BackupInvalid(
            "keys_backup_passphrase",
            "密钥备份口令不正确，或密钥备份文件被改动",
            "wrong passphrase for the keys backup, or the file was altered",
        ) from None
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as archive:
            for member in archive.getmembers():
                name = member.name
                if not member.isfile() or "/" in name or name.startswith("."):
                    raise _broken(f"含有不允许的条目 {name[:60]!r}")
                handle = archive.extractfile(member)
                assert handle is not None
                files[name] = handle.read()
    except tarfile.TarError:
        raise _broken("内容已损坏") from None
    return KeysBackup(header, files)


def read_file(path: Path, passphrase: str) -> KeysBackup:
    if not path.is_file():
        raise _broken(f"文件不存在：{path}")
    if path.stat().st_size > MAX_KEYS_BYTES:
        raise _broken("文件过大，不是密钥备份")
    return unpack(path.read_bytes(), passphrase)


def conflicts(keys: KeysBackup, keys_dir: Path) -> list[str]:
    """Files of ``keys_dir`` the backup would replace with different content."""
    return sorted(
        name
        for name, data in keys.files.items()
        if (keys_dir / name).is_file() and (keys_dir / name).read_bytes() != data
    )


def install(keys: KeysBackup, keys_dir: Path) -> list[Path]:
    """Write the backup's key files into ``keys_dir`` (mode 0600, each temp file + rename)."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = []
    for name, data in keys.files.items():
        target = keys_dir / name
        temporary = keys_dir / f".{name}.{secrets.token_hex(4)}.restore"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        written.append(target)
    return written
