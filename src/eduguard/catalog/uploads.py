"""Files uploaded as data sources: the format read from the content, a name eduguard makes.

An uploaded CSV, Excel workbook or Parquet file is stored in eduguard's managed folder
(``EDUGUARD_HOME/sources``, :attr:`eduguard.config.Settings.source_uploads_dir`) in a folder
of its own named by random hex, as the user's base name reduced to safe characters with the
suffix of the format its *content* shows — the user's path is never used. That folder is the one place inside the home the scanner may
read (``SourcePolicy.managed``); a location typed by hand still may not point there.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from eduguard.errors import ValidationFailed

# The suffixes the console accepts, each with the format its content must show.
ACCEPTED = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".parquet": "parquet",
}
FORMAT_LABELS = {
    "csv": "CSV",
    "tsv": "TSV",
    "xlsx": "Excel（.xlsx）",
    "xls": "Excel 97-2003（.xls）",
    "parquet": "Parquet",
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PARQUET_MAGIC = b"PAR1"
TEXT_ENCODINGS = ("utf-8", "gb18030")  # GB18030 reads every GBK file
_TEXT_HEAD = 64 * 1024


@dataclass(frozen=True)
class StoredUpload:
    path: Path
    format: str
    size: int


def _refused(suffix: str, shown: str) -> ValidationFailed:
    expected = FORMAT_LABELS.get(ACCEPTED.get(suffix, ""), suffix or "（无扩展名）")
    return ValidationFailed(
        "upload_content_mismatch",
        f"文件内容不是 {expected} 格式（{shown}），请上传 CSV、Excel 或 Parquet 文件",
        f"the file's content is not {expected}",
    )


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in TEXT_ENCODINGS:
        try:
            head.decode(encoding)
        except UnicodeDecodeError as error:
            # A multi-byte character cut off by the head's end is not a decoding failure.
            if error.start >= len(head) - 4 and len(head) == _TEXT_HEAD:
                return True
            continue
        return True
    return False


def _is_xlsx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def detect_format(filename: str, content: bytes) -> str:
    """The format of an upload (csv, tsv, xlsx, xls, parquet) — the file name's suffix must
    be an accepted one *and* the content must be of that format; anything else raises."""
    suffix = Path(filename).suffix.lower()
    expected = ACCEPTED.get(suffix)
    if expected is None:
        raise ValidationFailed(
            "upload_type_unsupported",
            f"不支持的文件类型“{suffix or '（无扩展名）'}”：请上传 CSV、Excel（.xlsx/.xls）或 Parquet 文件",
            f"unsupported file type {suffix or '(none)'}",
        )
    if not content.strip():
        raise ValidationFailed("upload_empty", "上传的文件是空的", "the uploaded file is empty")
    if expected in ("csv", "tsv"):
        if content.startswith((b"PK\x03\x04", OLE_MAGIC, PARQUET_MAGIC)):
            raise _refused(suffix, "看起来是表格或二进制文件，扩展名不符")
        if not _is_text(content[:_TEXT_HEAD]):
            raise _refused(suffix, "不是 UTF-8 或 GBK 编码的文本")
        return expected
    if expected == "xlsx" and not (content.startswith(b"PK\x03\x04") and _is_xlsx(content)):
        raise _refused(suffix, "不是 Excel 工作簿")
    if expected == "xls" and not content.startswith(OLE_MAGIC):
        raise _refused(suffix, "不是 Excel 97-2003 工作簿")
    if expected == "parquet" and not (
        len(content) >= 12 and content.startswith(PARQUET_MAGIC) and content.endswith(PARQUET_MAGIC)
    ):
        raise _refused(suffix, "不是 Parquet 文件")
    return expected


def store(folder: Path, filename: str, content: bytes) -> StoredUpload:
    """Check ``content`` (:func:`detect_format`) and write it into ``folder`` under a new
    random name (0600, written to a temporary name and renamed: never a half file)."""
    fmt = detect_format(filename, content)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    own = folder / secrets.token_hex(16)  # one new folder per upload: names never collide
    own.mkdir(mode=0o700)
    target = own / safe_name(filename, fmt)
    temporary = own / f".{secrets.token_hex(8)}.part"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        own.rmdir()
        raise
    return StoredUpload(target.resolve(), fmt, len(content))


SUFFIXES = {"csv": ".csv", "tsv": ".tsv", "xlsx": ".xlsx", "xls": ".xls", "parquet": ".parquet"}
_UNSAFE = re.compile(r"[^\w\-.（）()]+")


def safe_name(filename: str, fmt: str) -> str:
    """The stored file's name: the user's base name with only letters (CJK too), digits and
    ``-_.()`` kept, no leading dot, at most 80 characters, and the suffix of the *detected*
    format (the scanner picks its reader by suffix) — the user's path is never used."""
    stem = _UNSAFE.sub("_", Path(display_name(filename)).stem).strip("._") or "upload"
    return f"{stem[:80]}{SUFFIXES[fmt]}"


def remove(stored: StoredUpload) -> None:
    """Remove an upload whose registration failed (its file and its own folder)."""
    stored.path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        stored.path.parent.rmdir()


def display_name(filename: str) -> str:
    """The user's file name without any folder part (for the source's default name)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:200] or "上传的文件"
