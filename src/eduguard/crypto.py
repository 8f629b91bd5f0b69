"""SM4-GCM (OpenSSL through ``cryptography``) for fields, and the master key of envelope encryption.

Envelope encryption: the *master key* lives outside the database — ``EDUGUARD_MASTER_KEY`` (hex)
or the file ``HOME/keys/master.key`` (created on first use, mode 0600). It only wraps *data
keys* (DEKs), which are stored wrapped in the database (``eduguard.keys``) and encrypt fields.
Existing installs keep working: without a master key setting or file, the old field key
(``EDUGUARD_FIELD_KEY`` or ``HOME/keys/field.key``) is adopted as the master key, and the
``sm4gcm:v1:`` values it encrypted directly are still read until ``eduguard keys migrate``
(run by ``eduguard init``) rewrites them.

Every ciphertext is bound to a context (authenticated data), so a value copied from one column
or row into another does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from eduguard.errors import ConfigurationError, EduguardError

PREFIX = "sm4gcm:v1:"
KEY_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
MASTER_FILE = "master.key"
PENDING_MASTER_FILE = "master.key.next"
LEGACY_FILE = "field.key"


class DecryptionFailed(EduguardError):
    """The ciphertext was altered, bound to another context, or made with another key."""

    status_code = 500

    def __init__(self, detail: str = "ciphertext does not verify") -> None:
        super().__init__(
            "decryption_failed",
            "加密字段无法解密（密文被改动或被复制到别处，或密钥不对）",
            f"an encrypted field does not decrypt ({detail})",
        )


def seal_bytes(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """SM4-GCM: a fresh 12-byte nonce, then ciphertext, then the 16-byte tag."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + body + encryptor.tag


def open_bytes(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionFailed("ciphertext too short")
    nonce, body, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionFailed("ciphertext does not verify") from exc


def b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionFailed("ciphertext is not base64") from exc


class FieldCipher:
    """One SM4 key encrypting strings under a context. A data key of the keyring uses it; so
    did the single field key of installs before envelope encryption (``sm4gcm:v1:``)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("SM4 keys are 16 bytes")
        self._key = key

    def encrypt_raw(self, plaintext: str, context: str) -> str:
        return base64.b64encode(
            seal_bytes(self._key, plaintext.encode(), context.encode())
        ).decode()

    def decrypt_raw(self, body: str, context: str) -> str:
        return open_bytes(self._key, b64decode(body), context.encode()).decode()

    def encrypt(self, plaintext: str, context: str) -> str:
        return PREFIX + self.encrypt_raw(plaintext, context)

    def decrypt(self, token: str, context: str) -> str:
        if not token.startswith(PREFIX):
            raise DecryptionFailed("unknown ciphertext format")
        return self.decrypt_raw(token[len(PREFIX) :], context)

    def derive(self, label: bytes) -> bytes:
        """A 32-byte key for one other use (HMAC-SM3 of ``label`` under this key)."""
        mac = hmac.HMAC(self._key, hashes.SM3())
        mac.update(b"eduguard derived key\0" + label)
        return mac.finalize()


def fingerprint(key: bytes) -> str:
    """A public name for a key (HMAC-SM3 of a constant under the key): shows which master key
    wrapped a data key without revealing anything about the key."""
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(b"eduguard master key fingerprint")
    return mac.finalize().hex()[:16]


@dataclass(frozen=True)
class MasterKey:
    """The key that wraps data keys. ``origin`` says where it came from (for messages)."""

    key: bytes
    origin: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)

    def wrap(self, dek_id: str, dek: bytes) -> str:
        aad = f"eduguard:dek:{dek_id}".encode()
        return base64.b64encode(seal_bytes(self.key, dek, aad)).decode()

    def unwrap(self, dek_id: str, wrapped: str) -> bytes:
        aad = f"eduguard:dek:{dek_id}".encode()
        return open_bytes(self.key, b64decode(wrapped), aad)


def parse_key_hex(text: str, origin: str) -> MasterKey:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigurationError(
            "master_key_invalid",
            f"主密钥格式错误（应为 32 位十六进制字符，即 16 字节 SM4 密钥）：{origin}",
            f"the master key must be 32 hex characters (a 16-byte SM4 key): {origin}",
        )
    return MasterKey(key, origin)


def new_key_hex() -> str:
    return secrets.token_bytes(KEY_BYTES).hex()


def write_key_file(path: Path, key_hex: str, *, replace: bool = False) -> None:
    """Write a key file with mode 0600 (temp file + rename; never over an existing file unless
    ``replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key_hex + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # fails if the file appeared meanwhile: never overwrite
    finally:
        temporary.unlink()


@dataclass(frozen=True)
class MasterKeySource:
    """Where the master key comes from: a setting (hex) or a file in the keys directory."""

    keys_dir: Path
    from_env: str | None = None
    legacy_env: str | None = None

    @property
    def file_path(self) -> Path:
        return self.keys_dir / MASTER_FILE

    @property
    def pending_path(self) -> Path:
        return self.keys_dir / PENDING_MASTER_FILE

    @property
    def legacy_path(self) -> Path:
        return self.keys_dir / LEGACY_FILE

    @property
    def from_file(self) -> bool:
        """True when the master key is a file eduguard may replace (``keys rotate``)."""
        return not self.from_env and not self.legacy_env

    def active_file(self) -> Path:
        """The file holding the master key: master.key, or an old install's field.key."""
        if not self.file_path.exists() and self.legacy_path.exists():
            return self.legacy_path
        return self.file_path

    def load(self) -> MasterKey:
        """The master key; a new random one is written to master.key on first use."""
        if self.from_env:
            return parse_key_hex(self.from_env, "EDUGUARD_MASTER_KEY")
        if self.legacy_env:
            return parse_key_hex(self.legacy_env, "EDUGUARD_FIELD_KEY")
        path = self.active_file()
        if not path.exists():
            with contextlib.suppress(FileExistsError):  # another process made it first
                write_key_file(path, new_key_hex())
        return parse_key_hex(path.read_text(), str(path))

    def candidates(self) -> list[MasterKey]:
        """The master key, then a key a master rotation wrote but has not installed yet.

        The pending file is read *before* master.key: a rotation writes it before its commit and
        renames it over master.key after, so whoever saw the commit finds the new key in one of
        the two even while the rename happens."""
        pending = None
        if self.from_file:
            with contextlib.suppress(FileNotFoundError):
                pending = parse_key_hex(self.pending_path.read_text(), str(self.pending_path))
        current = self.load()
        return [current] if pending is None else [current, pending]
