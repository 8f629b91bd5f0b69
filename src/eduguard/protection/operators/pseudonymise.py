"""``pseudonymise`` — 基于密码技术的假名 (GB/T 37964-2019 A.5.3): keyed HMAC-SM3.

The same value gives the same pseudonym in every table masked with the same key, so joins on
the pseudonymised column still work; without the key a pseudonym cannot be recomputed from a
guessed value (an unkeyed hash of an ID number can: there are only ~10¹¹ plausible ones).
Values are trimmed before hashing (``" 138… "`` and ``"138…"`` are one person); ``domain``
separates pseudonyms of different uses of one key. The key is 32 random bytes in
``EDUGUARD_HOME/keys/pseudonym.key`` (see :mod:`eduguard.protection.keys`), never in a database.

HMAC (RFC 2104) over SM3 (GB/T 32905) from OpenSSL through ``hashlib``: the key's inner and
outer pads are hashed once and the two states copied per value, which halves the cost of
``hmac.new``. Hashing is the one place that loops in Python, over the column's *distinct*
values (OpenSSL offers no batch HMAC); the results are joined back vectorised.

>>> from eduguard.protection.operators.base import Context
>>> context = Context("CN_RESIDENT_ID", pseudonym_key=bytes(32))
>>> a, b, c = Pseudonymise().apply(pl.Series(["110101", " 110101", "110102"]), context).to_list()
>>> a == b != c, len(a)
(True, 16)
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import polars as pl

from eduguard.protection.operators.base import Context, Operator, OperatorError, as_text, register

_BLOCK = 64  # SM3 block size in bytes
_CACHE_LIMIT = 2_000_000


class HmacSm3:
    """HMAC-SM3 with the pads precomputed: ``digest(message)`` per value."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise OperatorError("假名化密钥至少 16 字节")
        if len(key) > _BLOCK:
            key = hashlib.new("sm3", key).digest()
        padded = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.new("sm3", bytes(byte ^ 0x36 for byte in padded))
        self._outer = hashlib.new("sm3", bytes(byte ^ 0x5C for byte in padded))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


@register
class Pseudonymise(Operator):
    name: ClassVar[str] = "pseudonymise"
    label: ClassVar[str] = "假名化"
    allowed: ClassVar[frozenset[str]] = frozenset({"length", "prefix", "domain"})

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        length = params.get("length", 16)
        if isinstance(length, bool) or not isinstance(length, int) or not 8 <= length <= 64:
            raise OperatorError("算子“pseudonymise”的参数 length 应为 8 到 64 之间的整数")
        self.length = length
        self.prefix = str(params.get("prefix", ""))
        self.domain = str(params.get("domain", ""))
        self._cache: dict[bytes, dict[str, str]] = {}

    def apply(self, values: pl.Series, context: Context) -> pl.Series:
        if context.pseudonym_key is None:
            raise OperatorError(
                "假名化需要密钥（EDUGUARD_PSEUDONYM_KEY 或 HOME/keys/pseudonym.key）"
            )
        trimmed = as_text(values).str.strip_chars()
        distinct = trimmed.drop_nulls().unique()
        known = self._cache.setdefault(context.pseudonym_key, {})
        missing = [value for value in distinct.to_list() if value not in known]
        if missing:
            if len(known) + len(missing) > _CACHE_LIMIT:  # bound memory on very large columns
                known.clear()
                missing = distinct.to_list()
            hasher = HmacSm3(context.pseudonym_key)
            domain = self.domain.encode() + b"\x00" if self.domain else b""
            for value in missing:  # per distinct value: OpenSSL has no batch HMAC
                digest = hasher.hexdigest(domain + value.encode())
                known[value] = self.prefix + digest[: self.length]
        lookup = pl.DataFrame(
            {"v": distinct, "p": [known[value] for value in distinct.to_list()]},
            schema={"v": pl.String, "p": pl.String},
        )
        frame = pl.DataFrame({"v": trimmed})
        joined = frame.join(lookup, on="v", how="left", maintain_order="left")
        return joined["p"].alias(values.name)
