"""The Ed25519 key that signs checkpoints. It lives outside the database, under
``EDUGUARD_HOME/keys`` (created on first use, mode 0600); the public key is exported next to it
so an auditor can verify with the public half only."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from eduguard.audit.chain import sm3_hex
from eduguard.errors import ConfigurationError

PRIVATE_KEY_FILE = "audit-signing.key"
PUBLIC_KEY_FILE = "audit-signing.pub"


def _public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signing_key(keys_dir: Path) -> Ed25519PrivateKey:
    """Load the signing key, creating it (0600) and its public file on first use."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = keys_dir / PRIVATE_KEY_FILE
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return signing_key(keys_dir)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        (keys_dir / PUBLIC_KEY_FILE).write_bytes(_public_pem(key.public_key()))
        return key
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigurationError(
            "audit_key_invalid",
            f"审计签名密钥不是 Ed25519 私钥：{path}",
            f"audit signing key is not an Ed25519 private key: {path}",
        )
    public_path = keys_dir / PUBLIC_KEY_FILE
    if not public_path.exists():
        public_path.write_bytes(_public_pem(loaded.public_key()))
    return loaded


def public_key(keys_dir: Path) -> Ed25519PublicKey | None:
    """The verification key: the exported public file (or the private key's half)."""
    public_path = keys_dir / PUBLIC_KEY_FILE
    if public_path.exists():
        loaded = serialization.load_pem_public_key(public_path.read_bytes())
        if not isinstance(loaded, Ed25519PublicKey):
            raise ConfigurationError(
                "audit_key_invalid",
                f"审计公钥不是 Ed25519 公钥：{public_path}",
                f"audit public key is not Ed25519: {public_path}",
            )
        return loaded
    if (keys_dir / PRIVATE_KEY_FILE).exists():
        return signing_key(keys_dir).public_key()
    return None


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sm3_hex(raw)[:16]
