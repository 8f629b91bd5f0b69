"""``.zip`` archives of attachments (a notice's 附件.zip): each member read like a file, bounded.

Before anything is extracted the archive's directory is checked: at most
:data:`MAX_MEMBERS` members, each at most :data:`MAX_MEMBER_BYTES` and all together at most
:data:`MAX_TOTAL_BYTES` once expanded, no member with an abnormal compression ratio — a zip bomb
is refused whole. Members are extracted one at a time under a generated name into a private
temporary folder (a member's own path, ``../../etc/passwd`` included, is never used as a path)
that lives until the process ends, so tables read lazily still find their file. Table names are
``附件.zip/名单.xlsx:公示``. A zip inside the zip, an encrypted member and a member no reader
knows are each reported, never silently left out.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from eduguard.discovery.connectors.documents import check_size, too_large
from eduguard.discovery.sources import FailedTable, SkippedFile, SourceError, TableSource

MAX_MEMBERS = 1000
MAX_MEMBER_BYTES = 100 << 20
MAX_TOTAL_BYTES = 1 << 30
MAX_RATIO = 200  # expanded/compressed, for members over 1 MB (real documents: ~1-20)
_RATIO_FROM = 1 << 20

_workdir: Path | None = None


def _scratch() -> Path:
    """A private folder for extracted members, removed when the process ends."""
    global _workdir
    if _workdir is None or not _workdir.exists():
        _workdir = Path(tempfile.mkdtemp(prefix="eduguard-zip-"))
        atexit.register(shutil.rmtree, _workdir, True)
    return _workdir


def _bomb(name: str, why: str) -> SourceError:
    return SourceError(
        "zip_bomb",
        f"压缩包“{name}”{why}，疑似压缩炸弹，未解压、未扫描",
        f"{name}: {why} (a zip bomb?): not extracted",
    )


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as shown: decoded GBK when the archive was made on a Chinese Windows."""
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: zipfile decoded it as cp437
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gb18030")
    # shown without ``..``, ``.`` and a leading ``/``: it names the member, it is never a path
    parts = [part for part in name.replace("\\", "/").split("/") if part not in ("", ".", "..")]
    return "/".join(parts)


def check_archive_listing(members: list[zipfile.ZipInfo], name: str) -> None:
    files = [member for member in members if not member.is_dir()]
    if len(files) > MAX_MEMBERS:
        raise _bomb(name, f"有 {len(files)} 个文件，超过上限 {MAX_MEMBERS} 个")
    total = sum(member.file_size for member in files)
    if total > MAX_TOTAL_BYTES:
        # a member's own size is checked as it comes: one large member fails alone
        raise _bomb(
            name, f"解压后共 {total / (1 << 20):,.0f} MB，超过上限 {MAX_TOTAL_BYTES >> 20} MB"
        )
    for member in files:
        if member.file_size > _RATIO_FROM and member.file_size > MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise _bomb(name, f"中的“{_member_name(member)}”压缩比异常")


def open_zip(
    path: Path,
    name: str,
    open_member: Callable[[Path, str], Iterator[TableSource | FailedTable]],
    supported: frozenset[str],
    skipped: bool = False,
) -> Iterator[TableSource | FailedTable]:
    """Every member of ``path`` that a reader knows, through ``open_member(path, name)``; with
    ``skipped``, the others as :class:`SkippedFile` s with the reason."""
    try:
        check_size(path, name)
        archive = zipfile.ZipFile(path)
    except SourceError as error:
        yield FailedTable(name, error)
        return
    except (OSError, zipfile.BadZipFile) as error:
        yield FailedTable(
            name,
            SourceError(
                "unreadable_file",
                f"无法打开压缩包“{name}”（文件损坏或不是 zip 格式）：{error}",
                f"cannot open the archive {name}: {error}",
            ),
        )
        return
    with archive:
        members = archive.infolist()
        try:
            check_archive_listing(members, name)
        except SourceError as error:
            yield FailedTable(name, error)
            return
        found = False
        folder: Path | None = None  # this archive's own folder in the scratch space
        for index, member in enumerate(members):
            if member.is_dir():
                continue
            shown = f"{name}/{_member_name(member)}"
            suffix = PurePosixPath(_member_name(member)).suffix.lower()
            hidden = any(
                part.startswith((".", "~$", "__MACOSX"))
                for part in PurePosixPath(_member_name(member)).parts
            )
            if hidden or suffix not in supported:
                found = True
                if not skipped:
                    continue
                if hidden:  # resource forks and lock files of the machine that zipped it
                    reason, code = "是隐藏文件或临时文件", "hidden_file"
                elif suffix in (".zip", ".rar", ".7z"):
                    reason, code = "是压缩包中的压缩包，未展开", "unsupported_format"
                else:
                    reason, code = f"的格式“{suffix or '无扩展名'}”无法读取", "unsupported_format"
                yield SkippedFile(
                    shown,
                    SourceError(
                        code,
                        f"“{shown}”{reason}，未扫描",
                        f"{shown}: not scanned",
                    ),
                )
                continue
            if member.flag_bits & 0x1:
                found = True
                yield FailedTable(
                    shown,
                    SourceError(
                        "encrypted_file",
                        f"“{shown}”已加密，需要密码才能解压，未扫描",
                        f"{shown} is encrypted",
                    ),
                )
                continue
            found = True
            if member.file_size > MAX_MEMBER_BYTES:
                yield FailedTable(shown, too_large(shown, member.file_size, MAX_MEMBER_BYTES))
                continue
            # the declared size bounds what is read: zipfile stops at file_size bytes
            if folder is None:
                folder = Path(tempfile.mkdtemp(prefix="members-", dir=_scratch()))
            target = folder / f"{index}{suffix}"
            try:
                with archive.open(member) as source, target.open("wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
            except (OSError, zipfile.BadZipFile, EOFError, RuntimeError) as error:
                target.unlink(missing_ok=True)
                yield FailedTable(
                    shown,
                    SourceError(
                        "unreadable_file",
                        f"无法解压“{shown}”：{error}",
                        f"cannot extract {shown}: {error}",
                    ),
                )
                continue
            yield from open_member(target, shown)
        if not found:
            yield FailedTable(
                name, SourceError("empty_archive", f"压缩包“{name}”中没有文件", f"{name} is empty")
            )
