"""Signed one-time consent links for people without accounts.

A link is ``/consent/l/<id>.<nonce>.<signature>``: ``nonce`` is 24 random bytes, the signature
HMAC-SHA256 under a key derived from the app secret (or, without one, from the keyring) over the
id, the nonce and the expiry. Only the SM3 of the nonce is stored. A link works until it expires
and only once: the submission marks it used by a guarded update (``… WHERE used_at IS NULL``) in
the transaction that records the decisions, so a replay — even two at the same moment — is
refused and changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from eduguard.audit.chain import sm3_hex
from eduguard.consent.models import ConsentLink
from eduguard.db.base import utcnow
from eduguard.errors import EduguardError

DEFAULT_DAYS = 14
WITHDRAWAL_DAYS = 365 * 3  # the ledger is kept ≥ 3 years; so is the way out


class LinkInvalid(EduguardError):
    status_code = 400

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(code, zh, en)


def forged() -> LinkInvalid:
    return LinkInvalid(
        "consent_link_invalid",
        "链接无效（可能不完整或被改动），未做任何修改；请使用学校发给您的原始链接，或联系学校重新发送",
        "the link is not valid; nothing was changed",
    )


def signing_key(secret: str, fallback: bytes) -> bytes:
    if secret:
        return hashlib.sha256(b"eduguard consent link\0" + secret.encode()).digest()
    return fallback


def _signature(key: bytes, link_id: int, nonce: str, expires_at: datetime) -> str:
    message = f"consent-link|{link_id}|{nonce}|{int(expires_at.timestamp())}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def create(
    session: Session,
    *,
    subject_id: int,
    guardian_id: int | None,
    system_id: int,
    key: bytes,
    by: str,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> tuple[ConsentLink, str]:
    moment = now or utcnow()
    nonce = secrets.token_urlsafe(24)
    link = ConsentLink(
        subject_id=subject_id,
        guardian_id=guardian_id,
        system_id=system_id,
        nonce_hash=sm3_hex(nonce.encode()),
        expires_at=(moment + timedelta(days=days)).replace(microsecond=0),
        created_by=by[:64],
        created_at=moment,
    )
    session.add(link)
    session.flush()
    return link, f"{link.id}.{nonce}.{_signature(key, link.id, nonce, link.expires_at)}"


def resolve(
    session: Session, token: str, *, key: bytes, now: datetime | None = None
) -> ConsentLink:
    """The link of ``token``, valid now; otherwise a clear error (forged, expired or used)."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 10 or len(token) > 200:
        raise forged()
    link = session.get(ConsentLink, int(parts[0]))
    if link is None or not hmac.compare_digest(link.nonce_hash, sm3_hex(parts[1].encode())):
        raise forged()
    if not hmac.compare_digest(parts[2], _signature(key, link.id, parts[1], link.expires_at)):
        raise forged()
    if (now or utcnow()) >= link.expires_at:
        raise LinkInvalid(
            "consent_link_expired",
            "链接已过期，未做任何修改；请联系学校重新发送",
            "the link has expired; nothing was changed",
        )
    if link.used_at is not None:
        raise used()
    return link


def used() -> LinkInvalid:
    return LinkInvalid(
        "consent_link_used",
        "此链接已使用过（每个链接只能提交一次），未做任何修改；如需更改或撤回，请使用提交后得到的撤回链接，"
        "或联系学校重新发送",
        "the link was already used; nothing was changed",
    )


def consume(session: Session, link: ConsentLink, *, now: datetime | None = None) -> None:
    """Mark the link used — exactly once, whichever of two simultaneous submissions wins."""
    done = session.execute(
        update(ConsentLink)
        .where(ConsentLink.id == link.id, ConsentLink.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise used()
