"""Domain exceptions with a stable code and an HTTP status.

One handler (``eduguard.web.errors``) renders every one as
``{"error": {"code", "message", "details"}}``; the CLI prints the Chinese message.
"""

from __future__ import annotations

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
