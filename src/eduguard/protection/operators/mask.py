"""``mask`` — 屏蔽 (GB/T 37964-2019 A.4.2): hide part of a value, keep the part users recognise.

The conventions users expect, per type:

=============== ======================= =================================
type            example                 masked
=============== ======================= =================================
PERSON_NAME     张三 / 李小明 / 欧阳娜娜    张* / 李*明 / 欧**娜
CN_RESIDENT_ID  11010119900307123X      110101********123X
MOBILE_PHONE    13812345678             138****5678 (+86 prefix kept)
BANK_CARD       6222021234567890123     ***************0123
EMAIL           zhang.san@school.example z***@school.example
=============== ======================= =================================

Other types keep their first and last character. ``keep_start`` / ``keep_end`` / ``char``
override the convention. A value too short to hide anything under the rule is masked whole,
so the rule never leaves a short value readable.

>>> from eduguard.protection.operators.base import Context
>>> Mask().apply(pl.Series(["张三", "李小明", None]), Context("PERSON_NAME")).to_list()
['张*', '李*明', None]
>>> Mask().apply(pl.Series(["13812345678"]), Context("MOBILE_PHONE")).to_list()
['138****5678']
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from eduguard.protection.operators.base import (
    Context,
    Operator,
    OperatorError,
    on_text,
    register,
)

# (keep_start, keep_end) per type; PERSON_NAME is special-cased (张* for two characters)
KEEP: dict[str, tuple[int, int]] = {
    "CN_RESIDENT_ID": (6, 4),
    "MOBILE_PHONE": (3, 4),
    "BANK_CARD": (0, 4),
    "LANDLINE_PHONE": (4, 2),
    "PASSPORT": (1, 3),
    "TRAVEL_PERMIT": (1, 3),
    "STUDENT_REG_NO": (2, 4),
    "STUDENT_NO": (2, 2),
    "STAFF_NO": (1, 2),
    "EXAM_REG_NO": (2, 4),
    "TEACHER_CERT_NO": (4, 4),
    "ADDRESS": (6, 0),
    "LICENSE_PLATE": (2, 1),
    "SOCIAL_ACCOUNT": (2, 2),
    "IP_ADDRESS": (0, 0),
}
DEFAULT_KEEP = (1, 1)
_MOBILE = r"^(\+?(?:86|0086)?[\s-]?1[3-9]\d)\s*-?\d{4}\s*-?(\d{4})$"
_EMAIL = r"^([^@\s])[^@]*(@.+)$"
_IPV4 = r"^(\d{1,3}\.\d{1,3})\.\d{1,3}\.\d{1,3}$"


def _stars(count: pl.Expr, char: str) -> pl.Expr:
    return pl.lit(char * 512).str.slice(0, count.clip(lower_bound=0))


def keep_ends(value: pl.Expr, keep_start: pl.Expr, keep_end: pl.Expr, char: str) -> pl.Expr:
    """``keep_start`` characters, then one ``char`` per hidden character, then ``keep_end``.

    When nothing would be hidden the whole value is masked.
    """
    length = value.str.len_chars().cast(pl.Int64)  # UInt32 would wrap below zero
    hidden = length - keep_start - keep_end
    return (
        pl.when(value.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(hidden >= 1)
        .then(
            pl.concat_str(
                value.str.slice(0, keep_start),
                _stars(hidden, char),
                value.str.slice(length - keep_end, keep_end),
            )
        )
        .otherwise(_stars(length, char))
    )


@register
class Mask(Operator):
    name: ClassVar[str] = "mask"
    label: ClassVar[str] = "屏蔽"
    allowed: ClassVar[frozenset[str]] = frozenset({"keep_start", "keep_end", "char"})

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        for key in ("keep_start", "keep_end"):
            value = params.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise OperatorError(f"算子“mask”的参数 {key} 应为非负整数")
        char = params.get("char", "*")
        if not isinstance(char, str) or len(char) != 1:
            raise OperatorError("算子“mask”的参数 char 应为一个字符")
        self.char = char

    def apply(self, values: pl.Series, context: Context) -> pl.Series:
        return on_text(values, lambda value: self.expression(value, context))

    def expression(self, value: pl.Expr, context: Context) -> pl.Expr:
        char = self.char
        pi_type = context.pi_type
        if "keep_start" in self.params or "keep_end" in self.params:
            start = int(self.params.get("keep_start", 0))
            end = int(self.params.get("keep_end", 0))
            return keep_ends(value, pl.lit(start), pl.lit(end), char)
        if pi_type == "PERSON_NAME":
            trimmed = value.str.strip_chars()
            two_or_less = trimmed.str.len_chars() <= 2
            end_kept = pl.when(two_or_less).then(0).otherwise(1)
            return keep_ends(trimmed, pl.lit(1), end_kept, char)
        if pi_type == "MOBILE_PHONE":
            return self._pattern(value, _MOBILE, f"${{1}}{char * 4}${{2}}", KEEP[pi_type])
        if pi_type == "EMAIL":
            return self._pattern(value, _EMAIL, f"${{1}}{char * 3}${{2}}", DEFAULT_KEEP)
        if pi_type == "IP_ADDRESS":
            return self._pattern(value, _IPV4, f"${{1}}.{char}.{char}", KEEP[pi_type])
        start, end = KEEP.get(pi_type or "", DEFAULT_KEEP)
        return keep_ends(value.str.strip_chars(), pl.lit(start), pl.lit(end), self.char)

    def _pattern(
        self, value: pl.Expr, pattern: str, replacement: str, fallback: tuple[int, int]
    ) -> pl.Expr:
        trimmed = value.str.strip_chars()
        return (
            pl.when(trimmed.str.contains(pattern))
            .then(trimmed.str.replace(pattern, replacement))
            .otherwise(keep_ends(trimmed, pl.lit(fallback[0]), pl.lit(fallback[1]), self.char))
        )
