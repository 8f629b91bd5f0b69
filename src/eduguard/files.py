"""Uploaded files kept by content: ``HOME/uploads/<folder>/<sha256><suffix>``, written to a
temporary file in the same folder and renamed into place, so a reader never sees half a file and
the same content is stored once (agreements, collection minutes, recovery-drill evidence)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Stored:
    relative: str  # below the uploads directory, as the database keeps it
    sha256: str


def store(uploads_dir: Path, folder: str, content: bytes, suffix: str) -> Stored:
    """Keep ``content`` under ``uploads_dir/folder`` named by its SHA-256 (atomic; idempotent)."""
    digest = hashlib.sha256(content).hexdigest()
    target_dir = uploads_dir / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    relative = f"{folder}/{digest}{suffix}"
    target = uploads_dir / relative
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return Stored(relative, digest)
