"""What a signed agreement document really is: its content checked against its extension.

The extension alone let any binary through as ``协议.pdf``. Each allowed type is recognised by
its signature (magic bytes), and the container formats by their required parts: DOCX and OFD
(GB/T 33190) are ZIP archives, checked from the central directory only (nothing is
decompressed, so a ZIP bomb costs nothing here).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Collection
from pathlib import Path

from eduguard.errors import PayloadTooLarge, ValidationFailed

_PDF_SEARCH = 1024  # PDF readers accept the header anywhere in the first KiB
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97–2003 (.doc): an OLE2 compound file


def _zip_names(content: bytes) -> set[str] | None:
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def _is_pdf(content: bytes) -> bool:
    return b"%PDF-" in content[:_PDF_SEARCH]


def _is_png(content: bytes) -> bool:
    return content.startswith(b"\x89PNG\r\n\x1a\n")


def _is_jpeg(content: bytes) -> bool:
    return content.startswith(b"\xff\xd8\xff")


def _is_docx(content: bytes) -> bool:
    names = _zip_names(content)
    return names is not None and "[Content_Types].xml" in names and "word/document.xml" in names


def _is_ofd(content: bytes) -> bool:
    names = _zip_names(content)
    return names is not None and "OFD.xml" in names


def _is_doc(content: bytes) -> bool:
    return content.startswith(_OLE2)


# Extension → (what it must be, the check). The extensions are the allowed ones.
KINDS: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    ".pdf": ("PDF", _is_pdf),
    ".png": ("PNG 图片", _is_png),
    ".jpg": ("JPEG 图片", _is_jpeg),
    ".jpeg": ("JPEG 图片", _is_jpeg),
    ".docx": ("Word（DOCX）文档", _is_docx),
    ".doc": ("Word 97–2003（DOC）文档", _is_doc),
    ".ofd": ("OFD 版式文档", _is_ofd),
}
ALLOWED_SUFFIXES = frozenset(KINDS)


def check_content(suffix: str, content: bytes) -> None:
    """Refuse a document whose content is not what its extension says (nothing is stored)."""
    kind, matches = KINDS[suffix]
    if not matches(content):
        raise ValidationFailed(
            "document_content_mismatch",
            f"协议文件内容与扩展名 {suffix} 不符：不是有效的{kind}文件，未保存",
            f"the document's content does not match its {suffix} extension (not a valid "
            f"{suffix[1:].upper()} file); nothing was stored",
        )


TEXT_SUFFIXES = frozenset({".txt", ".log", ".json", ".csv"})


def check_upload(
    filename: str,
    content: bytes,
    *,
    what: str,
    code: str,
    suffixes: Collection[str],
    max_bytes: int,
) -> tuple[str, str]:
    """The stored name and suffix of an evidence file (a drill's records, a processor's
    confirmation letter), or a Chinese refusal naming ``what`` it is: empty, too large, a type
    not in ``suffixes``, or content that is not what the extension says (a text file that is
    not UTF-8, a binary renamed .pdf). Codes: ``{code}_empty``, ``_too_large``, ``_type``,
    ``_content``."""
    if not content:
        raise ValidationFailed(f"{code}_empty", f"{what}为空")
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            f"{code}_too_large", f"{what}超过 {max_bytes >> 20} MB", "evidence file too large"
        )
    safe = Path(filename.replace("\\", "/")).name[:200] or "evidence"
    suffix = Path(safe).suffix.lower()
    if suffix not in suffixes:
        allowed = "、".join(sorted(suffixes))
        raise ValidationFailed(
            f"{code}_type", f"不支持的{what}类型：{suffix or '无扩展名'}（支持 {allowed}）"
        )
    if suffix in TEXT_SUFFIXES:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = "\x00"
        if "\x00" in text:
            raise ValidationFailed(
                f"{code}_content", f"{safe} 不是 UTF-8 文本文件（内容与扩展名不符）"
            )
        return safe, suffix
    kind, matches = KINDS[suffix]
    if not matches(content):
        raise ValidationFailed(
            f"{code}_content", f"{what}内容与扩展名 {suffix} 不符：不是有效的{kind}文件，未保存"
        )
    return safe, suffix
