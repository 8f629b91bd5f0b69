"""Which text encoding a delimited file uses, decided from a sample of its head.

Chinese school exports come as UTF-8, UTF-8 with a BOM (Excel's "CSV UTF-8"), or GBK/GB18030
(Excel's default "CSV" on a Chinese Windows). The order of the checks matters:

1. a BOM decides (UTF-8, UTF-16);
2. NUL bytes or a known binary signature mean the file is not text at all;
3. a strict UTF-8 decode that succeeds means UTF-8 (GBK text almost never decodes as UTF-8);
4. otherwise charset-normalizer proposes an encoding; the GB family is read as GB18030, its
   superset, so a rare character outside GBK does not become an error.

A file that none of these can decode is refused with ``encoding_unknown``: garbage text would
make every detector silently miss.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import charset_normalizer

from eduguard.discovery.sources import SourceError

SAMPLE_BYTES = 1 << 20
_ACCEPTED = {"big5", "big5hkscs", "cp950", "utf_16", "utf_16_le", "utf_16_be", "latin_1", "cp1252"}
_BINARY_SIGNATURES = (
    b"PK\x03\x04",  # zip: xlsx, docx, ... renamed
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\xd0\xcf\x11\xe0",  # OLE: xls, doc
    b"\x7fELF",
    b"SQLite format 3",
    b"PAR1",
)


def _normalise(name: str) -> str:
    return codecs.lookup(name).name.replace("-", "_")


def _trim_to_line(sample: bytes) -> bytes:
    """Drop a last, possibly cut, line so a multi-byte character is never split."""
    cut = sample.rfind(b"\n")
    return sample[: cut + 1] if cut > 0 else sample


def detect_encoding(path: Path, sample_bytes: int = SAMPLE_BYTES) -> str:
    """The Python codec name to read ``path`` with: ``utf-8``, ``gb18030``, ``utf-16`` …

    Raises :class:`SourceError` (``empty_file``, ``binary_file``, ``encoding_unknown``,
    ``unreadable_file``).
    """
    try:
        with path.open("rb") as handle:
            sample = handle.read(sample_bytes)
            at_end = not handle.read(1)
    except OSError as error:
        raise SourceError(
            "unreadable_file",
            f"无法读取文件“{path.name}”：{error.strerror or error}",
            f"cannot read {path.name}: {error}",
        ) from error
    return detect_sample(sample, at_end=at_end, name=path.name)


def detect_sample(sample: bytes, *, at_end: bool, name: str) -> str:
    """:func:`detect_encoding` of bytes already read (an upload): ``sample`` is the file's head,
    ``at_end`` whether it is the whole file, ``name`` the file's name for the messages."""
    if not sample.strip():
        raise SourceError("empty_file", f"文件“{name}”是空的", f"{name} is empty")
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"  # pyarrow skips the UTF-8 BOM itself
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample.startswith(_BINARY_SIGNATURES) or b"\x00" in sample:
        raise SourceError(
            "binary_file",
            f"文件“{name}”是二进制文件，不是文本表格（可能是改了扩展名的其他文件）",
            f"{name} is a binary file, not delimited text",
        )
    text_sample = sample if at_end else _trim_to_line(sample)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(text_sample, final=at_end)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    # Mainland school data: GB18030 first (it refuses Western 8-bit text), then whatever
    # charset-normalizer proposes (Big5, UTF-16 without a BOM, Windows-1252 ...).
    best = charset_normalizer.from_bytes(text_sample).best()
    proposed = _normalise(best.encoding) if best is not None else None
    candidates = ["gb18030"]
    if proposed in _ACCEPTED:
        candidates.append(proposed)
    for candidate in candidates:
        try:
            codecs.getincrementaldecoder(candidate)().decode(text_sample, final=at_end)
        except UnicodeDecodeError:
            continue
        return candidate
    raise SourceError(
        "encoding_unknown",
        f"无法识别文件“{name}”的编码（不是 UTF-8，也不是 GBK/GB18030），请另存为 UTF-8 后重试",
        f"cannot tell the encoding of {name}: neither UTF-8 nor GBK/GB18030",
    )
