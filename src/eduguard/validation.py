"""pydantic validation errors explained in Chinese (the English message is pydantic's own)."""

from __future__ import annotations

import re
import types
import typing
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticKnownError

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
    "bool_type": "必须是 true 或 false",
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


# ----------------------------------------------------------------- strict request bodies

MAX_ID = 2**31 - 1  # row ids are INTEGER (int4 on PostgreSQL)
MAX_INTEGER = 2**63 - 1  # what any integer column holds (BIGINT, SQLite's INTEGER)
# A row id in a request body: bounded, so 2^31 answers 422 rather than a database overflow.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?")


def _kinds(annotation: Any) -> set[str]:
    """What scalar types an annotation accepts ("int", "bool", "date"; "list:int" …)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kinds(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_kinds(arg) for arg in typing.get_args(annotation)))
    if origin in (list, set, frozenset, tuple):
        args = [arg for arg in typing.get_args(annotation) if arg is not Ellipsis]
        return {f"list:{kind}" for arg in args for kind in _kinds(arg) if ":" not in kind}
    if annotation is bool:
        return {"bool"}
    if annotation is int:
        return {"int"}
    if annotation in (date, datetime):
        return {"date"}
    return set()


def _wrong_type(kinds: set[str], value: Any, prefix: str = "") -> str | None:
    """The pydantic error type when ``value`` may not stand for a field of ``kinds``."""
    if f"{prefix}int" in kinds and isinstance(value, bool | float) and f"{prefix}bool" not in kinds:
        return "int_type"  # false is not 0, 1.0 is not an id
    if f"{prefix}bool" in kinds and isinstance(value, int | float) and not isinstance(value, bool):
        return "bool_type"  # 1 is not true
    if f"{prefix}date" in kinds and (
        isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value))
    ):
        return "date_type"  # 0 is not 1970-01-01: dates are written YYYY-MM-DD
    return None


def _out_of_range(key: str, value: Any) -> InitErrorDetails | None:
    """Ids (``*_id``, ``*_ids``) are 1 … 2^31 − 1, any integer fits a 64-bit column: beyond,
    the database would fail (500) instead of the request (422)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    low, high = (1, MAX_ID) if key.endswith(("_id", "_ids")) else (-MAX_INTEGER, MAX_INTEGER)
    if value < low:
        return InitErrorDetails(type="greater_than_equal", loc=(key,), input=value, ctx={"ge": low})
    if value > high:
        return InitErrorDetails(type="less_than_equal", loc=(key,), input=value, ctx={"le": high})
    return None


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields refused, and the type coercions JSON clients
    must not rely on refused — an int field takes no bool (``false`` is not 0) or float, a bool
    field no number, a date field no number (``0`` is not 1970-01-01); ids (``*_id``,
    ``*_ids``) are 1 … 2^31 − 1 and other integers fit 64 bits. Strings still parse as before
    (``"3"``, ``"2024-09-01"``, ``"on"``): console forms send nothing else."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _strict_types(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        errors: list[InitErrorDetails] = []
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key not in data:
                continue
            value, kinds = data[key], _kinds(field.annotation)
            wrong = _wrong_type(kinds, value)
            if wrong is not None:
                errors.append(InitErrorDetails(type=wrong, loc=(key,), input=value))
            elif "int" in kinds and (bad := _out_of_range(key, value)) is not None:
                errors.append(bad)
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    wrong = _wrong_type(kinds, item, "list:")
                    if wrong is not None:
                        errors.append(InitErrorDetails(type=wrong, loc=(key, index), input=item))
                    elif "list:int" in kinds and (bad := _out_of_range(key, item)) is not None:
                        errors.append({**bad, "loc": (key, index)})
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data


def _strict_date(value: Any) -> Any:
    if _wrong_type({"date"}, value) is not None:
        raise PydanticKnownError("date_type")
    return value


def _strict_int(value: Any) -> Any:
    if _wrong_type({"int"}, value) is not None:
        raise PydanticKnownError("int_type")
    return value


Day = Annotated[date, BeforeValidator(_strict_date)]
"""A date parameter outside a :class:`RequestModel` (a form field): YYYY-MM-DD, not a number."""
Integer = Annotated[int, BeforeValidator(_strict_int)]
"""An integer parameter outside a :class:`RequestModel`: not a bool, not a float."""
