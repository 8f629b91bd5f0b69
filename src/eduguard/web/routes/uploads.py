"""Read an uploaded file with a hard size limit (never more than limit + 1 bytes in memory)."""

from __future__ import annotations

from starlette.datastructures import UploadFile

from eduguard.errors import PayloadTooLarge


async def read_limited(upload: UploadFile | None, limit: int) -> tuple[str, bytes] | None:
    if upload is None or not upload.filename:
        return None
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(
            "document_too_large",
            f"上传文件超过大小上限 {limit} 字节",
            f"uploaded file exceeds the {limit}-byte limit",
        )
    return upload.filename, content


def size_text(limit: int) -> str:
    """A byte limit as people read it: 10 MB, 64 KB."""
    return f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit >> 10} KB"
