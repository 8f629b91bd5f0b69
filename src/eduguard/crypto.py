"""Field encryption with SM4-GCM (OpenSSL through ``cryptography``), key kept outside the database.

The key lives in ``EDUGUARD_HOME/keys/field.key`` (created on first use, mode 0600), or comes
from the ``EDUGUARD_FIELD_KEY`` setting (hex) for deployments that inject secrets. Ciphertexts carry a
version prefix and are bound to a context string (authenticated data), so a value copied from
one column or row into another does not decrypt.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from eduguard.errors import ConfigurationError

PREFIX = "sm4gcm:v1:"
KEY_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionFailed(Exception):
    """The ciphertext was altered, bound to another context, or made with another key."""


class FieldCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("SM4 keys are 16 bytes")
        self._key = key

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(context.encode())
        body = encryptor.update(plaintext.encode()) + encryptor.finalize()
        return PREFIX + base64.b64encode(nonce + body + encryptor.tag).decode()

    def decrypt(self, token: str, context: str) -> str:
        if not token.startswith(PREFIX):
            raise DecryptionFailed("unknown ciphertext format")
        raw = base64.b64decode(token[len(PREFIX) :])
        nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(context.encode())
        try:
            return (decryptor.update(body) + decryptor.finalize()).decode()
        except InvalidTag as exc:
            raise DecryptionFailed("ciphertext does not verify") from exc


def load_field_cipher(keys_dir: Path, from_env: str | None = None) -> FieldCipher:
    """The platform's field key: given (``EDUGUARD_FIELD_KEY``), else the key file (created
    if absent, mode 0600)."""
    if from_env:
        try:
            return FieldCipher(bytes.fromhex(from_env))
        except ValueError as exc:
            raise ConfigurationError(
                "field_key_invalid", "EDUGUARD_FIELD_KEY 应为 32 位十六进制字符（16 字节 SM4 密钥）"
            ) from exc
    path = keys_dir / "field.key"
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES).hex())
    try:
        return FieldCipher(bytes.fromhex(path.read_text().strip()))
    except ValueError as exc:
        raise ConfigurationError("field_key_invalid", f"字段加密密钥文件已损坏：{path}") from exc
