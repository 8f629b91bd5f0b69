"""公示前检查 in the console: upload the document about to be posted, read the verdict, download
the de-identified copy.

The uploaded file is written to a folder of its own under ``EDUGUARD_HOME/publish`` (a random
name), checked, its de-identified copy made when the format allows, and deleted before the
response is sent: the original is never kept. What stays — the verdict, the reasons (types,
counts and locations, never values) and the copy, which holds nothing unmasked — is kept for
:data:`KEEP_SECONDS` for its owner only, then removed. The check, the download and the delete
are audited without content (not even the file name, which may name a person).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from eduguard.access.policy import Principal
from eduguard.audit import service as audit_service
from eduguard.errors import EduguardError, NotFound
from eduguard.web.deps import DbSession, language, permission
from eduguard.web.flash import see_other
from eduguard.web.render import page
from eduguard.web.routes.uploads import read_limited

router = APIRouter(include_in_schema=False)
Checker = Annotated[Principal, permission("publish:check")]
KEEP_SECONDS = 3600  # the verdict and the copy, for their owner
ACCEPTED = (
    ".xlsx", ".xlsm", ".xls", ".csv", ".tsv", ".txt", ".docx", ".pdf", ".html", ".htm", ".md",
    ".pptx",
)  # fmt: skip
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
OBJECT_TYPE = "publish_check"


def _root(request: Request) -> Path:
    return Path(request.app.state.settings.home) / "publish"


def _purge(root: Path) -> None:
    """Remove every check older than :data:`KEEP_SECONDS`."""
    if not root.is_dir():
        return
    now = time.time()
    for folder in root.iterdir():
        with contextlib.suppress(OSError):
            if now - folder.stat().st_mtime > KEEP_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)


def _load(request: Request, token: str, caller: Principal) -> tuple[Path, dict[str, Any]]:
    """The caller's own check (anyone else's, an expired or a malformed one: not found)."""
    missing = NotFound("publish_check_not_found", "检查结果不存在或已过期（结果保留 1 小时）")
    if not _TOKEN.match(token):
        raise missing
    folder = _root(request) / token
    try:
        meta = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise missing from None
    if meta.get("owner") != caller.user_id or time.time() - meta["created"] > KEEP_SECONDS:
        raise missing
    return folder, meta


def _run_check(folder: Path, filename: str, content: bytes) -> dict[str, Any]:
    """Check the upload in ``folder``, write the copy, delete the upload; the result to keep."""
    from eduguard.protection.publish import check_file
    from eduguard.protection.publish_fix import FixUnsupported, can_fix, fixed_name, write_fixed

    suffix = Path(filename).suffix.lower()
    upload = folder / f"upload{suffix}"
    try:
        upload.write_bytes(content)
        check = check_file(upload, Path(filename).name)
        fixed: str | None = None
        fix_note: str | None = None
        fix_note_en: str | None = None
        if check.verdict != "publishable" and can_fix(check):
            target = folder / ("copy" + Path(fixed_name(filename)).suffix)
            try:
                write_fixed(check, upload, target)
                fixed = fixed_name(Path(filename).name)
            except FixUnsupported as error:
                fix_note, fix_note_en = error.message_zh, error.message_en
        elif check.verdict != "publishable":
            unsupported = FixUnsupported(check.format)
            fix_note, fix_note_en = unsupported.message_zh, unsupported.message_en
    finally:
        upload.unlink(missing_ok=True)  # the original is never kept
    result = check.to_dict()
    result.pop("tables")
    pi_types = sorted(
        {code for part in check.parts for column in part.report.columns for code in column.pi_types}
    )
    return {
        **result,
        "fixed": fixed,
        "fix_note": fix_note,
        "fix_note_en": fix_note_en,
        "pi_types": pi_types,
    }


@router.get("/publish-check", include_in_schema=False)
def publish_form(request: Request, caller: Checker) -> HTMLResponse:
    settings = request.app.state.settings
    return page(
        request,
        "publish_check.html",
        result=None,
        accepted=",".join(ACCEPTED),
        max_upload_mb=settings.max_upload_bytes // (1 << 20),
    )


@router.post("/publish-check", include_in_schema=False)
async def publish_upload(request: Request, caller: Checker, session: DbSession) -> Response:
    form = await request.form()
    settings = request.app.state.settings
    try:
        upload = form.get("file")
        errors: list[str] = []
        try:
            document = await read_limited(
                upload if isinstance(upload, UploadFile) else None, settings.max_upload_bytes
            )
        except EduguardError as exc:
            document, errors = None, [exc.message(language(request))]
        if document is None and not errors:
            errors.append("请选择要检查的文件")
        if document is not None and Path(document[0]).suffix.lower() not in ACCEPTED:
            errors.append(
                "不支持该文件格式：请上传 Excel（.xlsx/.xls）、Word（.docx）、PDF、网页（.html）、"
                "CSV 或文本文件"
            )
        if errors or document is None:
            return page(
                request,
                "publish_check.html",
                status_code=422,
                errors=errors,
                result=None,
                accepted=",".join(ACCEPTED),
                max_upload_mb=settings.max_upload_bytes // (1 << 20),
            )
        root = _root(request)
        _purge(root)
        token = secrets.token_hex(16)
        folder = root / token
        folder.mkdir(parents=True, mode=0o700)
        try:
            result = await run_in_threadpool(_run_check, folder, document[0], document[1])
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        meta = {**result, "owner": caller.user_id, "created": time.time()}
        (folder / "result.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
        audit_service.record(
            session,
            action="publish.check",
            object_type=OBJECT_TYPE,
            object_id=token,
            fields=result["pi_types"],
            row_count=result["subjects"],
            reason=f"结论：{result['verdict_label']}（{len(result['reasons'])} 条处理意见，原文件已删除）",
        )
        return see_other(
            request,
            f"/publish-check/{token}",
            f"检查完成：{result['verdict_label']}",
            f"Check finished: {result['verdict_label_en']}",
        )
    finally:
        await form.close()


@router.get("/publish-check/{token}", include_in_schema=False)
def publish_result(request: Request, token: str, caller: Checker) -> HTMLResponse:
    _folder, meta = _load(request, token, caller)
    settings = request.app.state.settings
    return page(
        request,
        "publish_check.html",
        result=meta,
        token=token,
        accepted=",".join(ACCEPTED),
        max_upload_mb=settings.max_upload_bytes // (1 << 20),
    )


@router.get("/publish-check/{token}/download", include_in_schema=False)
def publish_download(
    request: Request, token: str, caller: Checker, session: DbSession
) -> FileResponse:
    folder, meta = _load(request, token, caller)
    copies = sorted(folder.glob("copy.*"))
    if not meta.get("fixed") or not copies:
        raise NotFound("publish_copy_not_found", "该文件没有可下载的脱敏副本")
    audit_service.record(
        session,
        action="publish.download",
        object_type=OBJECT_TYPE,
        object_id=token,
        fields=meta.get("pi_types", []),
        row_count=meta.get("subjects"),
    )
    media = {
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".csv": "text/csv; charset=utf-8",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }.get(copies[0].suffix, "application/octet-stream")
    return FileResponse(copies[0], media_type=media, filename=str(meta["fixed"]))


@router.post("/publish-check/{token}/delete", include_in_schema=False)
def publish_delete(request: Request, token: str, caller: Checker, session: DbSession) -> Response:
    folder, _meta = _load(request, token, caller)
    shutil.rmtree(folder, ignore_errors=True)
    audit_service.record(session, action="publish.delete", object_type=OBJECT_TYPE, object_id=token)
    return see_other(
        request,
        "/publish-check",
        "已删除检查结果和脱敏副本",
        "Check result and masked copy deleted",
    )
