"""Domain exceptions with a stable code and an HTTP status.

One handler (``eduguard.web.errors``) renders every one as
``{"error": {"code", "message", "details"}}``; the CLI prints the Chinese message.
"""

from __future__ import annotations

import secrets
import sysconfig
import traceback
from typing import Any


class EduguardError(Exception):
    """Base of every error a user may see. ``code`` is stable; messages are bilingual."""

    status_code = 400
    default_code = "error"

    def __init__(
        self,
        code: str | None = None,
        message_zh: str = "操作失败",
        message_en: str | None = None,
        details: Any = None,
    ) -> None:
        self.code = code or self.default_code
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.details = details
        super().__init__(self.message_zh)

    def message(self, language: str = "zh") -> str:
        return self.message_en if language == "en" else self.message_zh

    def to_dict(self, language: str = "zh") -> dict[str, Any]:
        return {
            "error": {"code": self.code, "message": self.message(language), "details": self.details}
        }


class ValidationFailed(EduguardError):
    status_code = 422
    default_code = "validation_failed"


class NotFound(EduguardError):
    status_code = 404
    default_code = "not_found"


class Conflict(EduguardError):
    status_code = 409
    default_code = "conflict"


class NotAuthenticated(EduguardError):
    status_code = 401
    default_code = "not_authenticated"


class PermissionDenied(EduguardError):
    status_code = 403
    default_code = "permission_denied"


class PayloadTooLarge(EduguardError):
    status_code = 413
    default_code = "payload_too_large"


class RateLimited(EduguardError):
    status_code = 429
    default_code = "rate_limited"


class ConfigurationError(EduguardError):
    status_code = 500
    default_code = "configuration_error"


_LIBRARY_DIRS = tuple(
    {sysconfig.get_paths()[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def _application_code(filename: str) -> bool:
    return not filename.startswith(_LIBRARY_DIRS) and "site-packages" not in filename


def failure_report(exc: BaseException) -> tuple[str, str]:
    """A new error id and a description of ``exc`` fit for a log: its type and where it was
    raised (the innermost frame of application code, and the innermost frame if elsewhere) —
    never its message or arguments, which may carry data values (SQL parameters, cell values).
    The id is shown to the user, who can quote it to the administrator."""
    error_id = secrets.token_hex(6)
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [frame for frame in frames if _application_code(frame.filename)]
    places = [
        frame for frame in (ours[-1] if ours else None, frames[-1] if frames else None) if frame
    ]
    where = []
    for frame in places:
        text = f"{'/'.join(frame.filename.replace(chr(92), '/').split('/')[-2:])}:{frame.lineno} in {frame.name}"
        if text not in where:
            where.append(text)
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    return error_id, f"{name} at {' ← '.join(where) or 'unknown place'}"
