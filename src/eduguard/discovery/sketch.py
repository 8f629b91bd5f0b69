"""A bounded sketch of a column's values as keyed hashes: for finding the same people collected
by several systems (一数一源) without keeping any value.

Each distinct normalised value (the identifier form of :attr:`Values.compact`: upper-cased,
without spaces, dashes or a leading +86) is hashed with HMAC-SM3 under a key that lives outside
the database; the first 8 bytes of the MAC are read as an unsigned 64-bit number and only the
``k`` smallest numbers are kept (a bottom-k / KMV sketch, at most ``8·k`` bytes).

Why this is safe to store: HMAC-SM3 is a pseudo-random function of the value for whoever lacks
the key, so a stored number says nothing about the value, and an attacker with the database but
not the key cannot test guesses (an *unkeyed* SM3/SHA-256 of an ID number could be reversed by
trying the ~10¹¹ plausible numbers). Only numbers from one key are comparable, so the key's
fingerprint (:func:`key_id`) is stored with the sketch; a new key makes old sketches
incomparable, never wrong. The 64-bit truncation keeps collisions negligible (≈ n²/2⁶⁵).

>>> sketch = KeyedSketch(bytes(32), k=4)
>>> sketch.add(pl.Series(["a", "b", "a"]))
>>> len(sketch.hashes()), sketch.exact
(2, True)
>>> sketch.add(pl.Series([str(n) for n in range(100)]))
>>> len(sketch.hashes()), sketch.exact
(4, False)
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

SKETCH_K = 1024
"""Values kept per column: standard error of a Jaccard estimate ≤ 1/(2·√k) ≈ 1.6 %."""
# Identifying types only: a gender or nationality column overlaps everywhere and says nothing.
SKETCHED_TYPES = frozenset(
    {
        "CN_RESIDENT_ID", "STUDENT_REG_NO", "STUDENT_NO", "STAFF_NO", "EXAM_REG_NO", "PASSPORT",
        "TRAVEL_PERMIT", "MOBILE_PHONE", "EMAIL", "PERSON_NAME", "BANK_CARD",
    }
)  # fmt: skip
_BLOCK = 64  # SM3 block size
_LABEL = b"eduguard/catalog-overlap-sketch/v1"


def derive_key(master: bytes) -> bytes:
    """The sketch key, derived from a master key (the pseudonymisation key) for this use only,
    so a sketch value never equals a pseudonym made with the same master key."""
    return _Hmac(master).digest(_LABEL)


def key_id(key: bytes) -> str:
    """A public fingerprint of ``key``: sketches are compared only with equal fingerprints."""
    return _Hmac(key).digest(b"key-id")[:8].hex()


class _Hmac:
    """HMAC-SM3 (RFC 2104 over GB/T 32905) with the key pads hashed once."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("sketch keys are at least 16 bytes")
        if len(key) > _BLOCK:
            key = hashlib.new("sm3", key).digest()
        padded = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.new("sm3", bytes(byte ^ 0x36 for byte in padded))
        self._outer = hashlib.new("sm3", bytes(byte ^ 0x5C for byte in padded))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


class KeyedSketch:
    """The ``k`` smallest 64-bit keyed hashes of the distinct values added so far."""

    def __init__(self, key: bytes, k: int = SKETCH_K) -> None:
        self.k = k
        self.key_id = key_id(key)
        self._mac = _Hmac(key)
        self._kept = np.empty(0, dtype=np.uint64)
        self.exact = True  # every distinct value seen is kept (fewer than k)

    def add(self, values: pl.Series) -> None:
        """Add a batch of normalised, non-empty strings."""
        distinct = values.unique().to_list()
        if not distinct:
            return
        mac = self._mac
        fresh = np.fromiter(
            (int.from_bytes(mac.digest(v.encode("utf-8"))[:8], "big") for v in distinct),
            dtype=np.uint64,
            count=len(distinct),
        )
        merged = np.union1d(self._kept, fresh)
        if merged.size > self.k:
            self.exact = False
            merged = merged[: self.k]
        self._kept = merged

    def hashes(self) -> np.ndarray:
        return self._kept

    def distinct(self) -> int:
        """Distinct values seen: exact below ``k``, else the KMV estimate (k−1)/U₍ₖ₎."""
        if self.exact:
            return int(self._kept.size)
        return round((self.k - 1) / ((float(self._kept[-1]) + 1.0) / 2.0**64))

    def to_bytes(self) -> bytes:
        """Ascending big-endian unsigned 64-bit numbers."""
        return self._kept.astype(">u8").tobytes()
