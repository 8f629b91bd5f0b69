"""The canonical serialisation and SM3: the fast path equals the specification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from eduguard.audit.chain import (
    CANONICAL_KEYS,
    GENESIS_HASH,
    canonical,
    canonical_reference,
    canonical_v2,
    event_hash,
    format_time,
    hash_input,
    sm3_hex,
)


def test_sm3_matches_the_standard_test_vector() -> None:
    # GB/T 32905-2016, example 1: SM3("abc").
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


@pytest.mark.parametrize(
    "text",
    ["普通文本", 'quote " and \\ backslash', "控制\x00字符\x1f\n\t\r", "\u2028emoji😀", ""],
)
def test_fast_canonical_equals_sorted_key_compact_json(text: str) -> None:
    row = [text] * len(CANONICAL_KEYS)
    row[CANONICAL_KEYS.index("id")] = 42
    row[CANONICAL_KEYS.index("row_count")] = None
    row[CANONICAL_KEYS.index("user_id")] = -3
    assert canonical(row) == canonical_reference(row)
    assert list(CANONICAL_KEYS) == sorted(CANONICAL_KEYS)


@pytest.mark.parametrize(
    "text",
    ["普通文本", 'quote " and \\ backslash', "控制\x00字符\x1f\n\t\r", "\u2028emoji😀", ""],
)
def test_format_2_is_the_json_array_of_the_values_without_prev_hash(text: str) -> None:
    row: list[str | int | None] = [text] * len(CANONICAL_KEYS)
    row[CANONICAL_KEYS.index("id")] = 42
    row[CANONICAL_KEYS.index("row_count")] = None
    row[CANONICAL_KEYS.index("prev_hash")] = "ab" * 32
    assert canonical_v2(row) == canonical_reference(row, 2)
    assert canonical_v2(row).startswith(b"[2,")
    assert b"ab" * 32 not in canonical_v2(row)
    # The previous hash is hashed as its 32 raw bytes in front.
    assert event_hash(row, 2) == sm3_hex(bytes.fromhex("ab" * 32) + canonical_v2(row))
    assert event_hash(row, 1) == sm3_hex(canonical(row))
    assert event_hash(row) == event_hash(row, 2)


def test_format_2_hashes_fewer_bytes_than_format_1() -> None:
    row: list[str | int | None] = ["data_operator"] * len(CANONICAL_KEYS)
    row[CANONICAL_KEYS.index("prev_hash")] = GENESIS_HASH
    assert len(hash_input(canonical_v2(row), GENESIS_HASH, 2) or b"") < len(canonical(row)) * 0.7


@pytest.mark.parametrize(("prev_hash", "chain_format"), [("zz" * 32, 2), ("ab", 2), ("0" * 64, 3)])
def test_nothing_is_hashed_for_a_bad_prev_hash_or_an_unknown_format(
    prev_hash: str, chain_format: int
) -> None:
    assert hash_input(b"[2]", prev_hash, chain_format) is None


def test_time_has_one_textual_form_whatever_the_zone() -> None:
    moment = datetime(2026, 5, 1, 8, 0, 0, 5, tzinfo=UTC)
    beijing = moment.astimezone(timezone(timedelta(hours=8)))
    assert format_time(moment) == format_time(beijing) == "2026-05-01T08:00:00.000005Z"


def test_genesis_is_64_zero_hex_digits() -> None:
    assert len(GENESIS_HASH) == 64
    assert set(GENESIS_HASH) == {"0"}


def test_the_c_loop_s_sm3_equals_openssl_s() -> None:
    """The C loop hashes with libgcrypt, the writer with OpenSSL: the same SM3 for every length
    around the block boundaries (55/56/64 bytes) and for long inputs."""
    import random

    from eduguard.audit import _chaincheck, _chaincheck_pg

    generator = random.Random(20211)
    assert _chaincheck.sm3_hex(b"abc") == _chaincheck_pg.sm3_hex(b"abc") == sm3_hex(b"abc")
    for length in [*range(0, 300), 4096, 1 << 20]:
        data = generator.randbytes(length)
        assert _chaincheck.sm3_hex(data) == _chaincheck_pg.sm3_hex(data) == sm3_hex(data), length
