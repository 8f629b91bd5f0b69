"""The pseudonymisation key: 32 random bytes kept outside the database.

From the ``EDUGUARD_PSEUDONYM_KEY`` setting (hex), else ``EDUGUARD_HOME/keys/pseudonym.key``,
created on first use with mode 0600 (folder 0700). Every table masked with the same key gets
the same pseudonyms, so joins survive; a new key breaks linkage with earlier releases, which is
what a recipient-specific key is for.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from eduguard.errors import ConfigurationError

KEY_BYTES = 32
KEY_FILE = "pseudonym.key"


def load_pseudonym_key(keys_dir: Path, from_setting: str | None = None) -> bytes:
    """The key given as a setting (hex), else the key file (created if absent)."""
    if from_setting:
        try:
            key = bytes.fromhex(from_setting.strip())
        except ValueError:
            key = b""
        if len(key) < 16:
            raise ConfigurationError(
                "pseudonym_key_invalid",
                "EDUGUARD_PSEUDONYM_KEY 应为至少 32 位十六进制字符（16 字节以上）",
                "EDUGUARD_PSEUDONYM_KEY must be at least 32 hex characters",
            )
        return key
    path = keys_dir / KEY_FILE
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_bytes(KEY_BYTES).hex())
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (ValueError, UnicodeDecodeError):
        key = b""
    if len(key) < 16:
        raise ConfigurationError(
            "pseudonym_key_invalid",
            f"假名化密钥文件已损坏：{path}",
            f"the pseudonymisation key file is damaged: {path}",
        )
    return key
