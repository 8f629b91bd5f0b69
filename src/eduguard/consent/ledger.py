"""The consent ledger's hash chain, on the audit log's helpers (``eduguard.audit.chain``: SM3
from OpenSSL, the one UTC time format, the raw-previous-hash input of chain format 2).

Each subject has its own chain: ``hash = SM3(bytes.fromhex(prev_hash) ‖ canonical)`` where
*canonical* is the compact JSON array ``["consent/1", subject reference, seq, purpose, action,
rules version, rules SM3, terms hash, given by, guardian, verification, channel, time,
recorded by]``. The subject row keeps the head (last sequence and hash), so a row changed,
removed, inserted or reordered anywhere in a subject's chain is found by :func:`verify_chain`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from eduguard.audit.chain import GENESIS_HASH, format_time, hash_input, sm3_hex

FORMAT = "consent/1"
GENESIS = GENESIS_HASH


@dataclass(frozen=True)
class Entry:
    """What a ledger row states (the values that are hashed)."""

    reference: str
    seq: int
    purpose_id: int
    action: str
    rules_version_id: int | None
    rules_sm3: str
    terms_hash: str
    given_by: str
    guardian_id: int | None
    verification: str
    channel: str
    at: datetime
    recorded_by: str


def canonical(entry: Entry) -> bytes:
    values = [
        FORMAT,
        entry.reference,
        entry.seq,
        entry.purpose_id,
        entry.action,
        entry.rules_version_id,
        entry.rules_sm3,
        entry.terms_hash,
        entry.given_by,
        entry.guardian_id,
        entry.verification,
        entry.channel,
        format_time(entry.at),
        entry.recorded_by,
    ]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: Entry, prev_hash: str) -> str:
    data = hash_input(canonical(entry), prev_hash, 2)
    if data is None:
        raise ValueError("prev_hash is not 64 hex digits")
    return sm3_hex(data)


@dataclass(frozen=True)
class Broken:
    seq: int
    problem: str  # "hash" | "link" | "sequence" | "head"


def verify_chain(
    rows: Iterable[tuple[Entry, str, str]], head_seq: int, head_hash: str
) -> Broken | None:
    """The first break of a subject's chain — rows as (entry, prev_hash, hash) in ``seq``
    order — or None when every row hashes, links and numbers up to the subject's head."""
    expected_prev, expected_seq = GENESIS, 1
    for entry, prev_hash, stored in rows:
        if entry.seq != expected_seq:
            return Broken(entry.seq, "sequence")
        if prev_hash != expected_prev:
            return Broken(entry.seq, "link")
        try:
            computed = entry_hash(entry, prev_hash)
        except ValueError:
            return Broken(entry.seq, "hash")
        if computed != stored:
            return Broken(entry.seq, "hash")
        expected_prev, expected_seq = stored, expected_seq + 1
    if expected_seq - 1 != head_seq or expected_prev != head_hash:
        return Broken(expected_seq, "head")
    return None
