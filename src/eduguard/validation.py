"""pydantic validation errors explained in Chinese (the English message is pydantic's own)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, StringConstraints, ValidationError

from eduguard.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

# pydantic error types → Chinese explanations (the English message is pydantic's own).
VALIDATION_ZH = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "enum": "不是允许的取值",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "JSON 格式错误",
    "model_attributes_type": "请求体应为 JSON 对象",
    "dict_type": "请求体应为 JSON 对象",
    "value_error": "取值不正确",
    "list_type": "应为列表",
    "too_long": "条目过多",
}


def validation_details(errors: Sequence[Any], lang: str) -> list[dict[str, Any]]:
    details = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
        message = error.get("msg", "")
        if lang != "en":
            zh = VALIDATION_ZH.get(error.get("type", ""), "取值不正确")
            ctx_error = error.get("ctx", {}).get("error")
            message = f"{zh}：{ctx_error}" if ctx_error else zh
        details.append({"field": ".".join(location), "message": message})
    return details


def validated(model: type[M], values: dict[str, Any], what: str = "输入") -> M:
    """Validate or raise ValidationFailed with per-field Chinese details."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        details = validation_details(exc.errors(), "zh")
        text = "；".join(f"{d['field']}：{d['message']}" for d in details)
        raise ValidationFailed(
            "validation_failed", f"{what}不正确：{text}", details=details
        ) from None


# Control characters in names (ESC, NUL, bidi overrides …) reach terminals, exports and logs:
# refused at the door. Unicode categories Cc and Cf, and the line/paragraph separators; a
# single-line name refuses tab and line breaks too, a multi-line text keeps tab, LF and CR.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_MULTILINE_KEPT = frozenset("\t\n\r")


def _refuse(value: str, kept: frozenset[str]) -> str:
    for char in value:
        if char not in kept and unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise ValueError(
                f"不能包含控制字符（U+{ord(char):04X}）"
                f"(control characters are not allowed: U+{ord(char):04X})"
            )
    return value


def refuse_control_characters(value: str) -> str:
    """For single-line names: no control character at all (tab and newlines included)."""
    return _refuse(value, frozenset())


def refuse_control_characters_multiline(value: str) -> str:
    """For free text: tab, LF and CR allowed, every other control character refused."""
    return _refuse(value, _MULTILINE_KEPT)


# Markers for ``Annotated[str, <constraints>, SingleLine]`` (the constraints first, so their
# errors keep their own Chinese explanation).
SingleLine = AfterValidator(refuse_control_characters)
MultiLine = AfterValidator(refuse_control_characters_multiline)
# The reusable name type: a trimmed single-line name of 1–200 characters.
SingleLineName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine
]
