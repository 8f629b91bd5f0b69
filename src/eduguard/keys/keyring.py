"""The keyring: seals and opens field values with data keys wrapped by the master key.

A value is stored as ``sm4gcm:v2:<data key id>:<base64(nonce | ciphertext | tag)>``, its
authenticated data binding it to table, column, row id and data key. Data keys are read through
the caller's session (same transaction, no second connection) and kept unwrapped in memory by
id — a data key never changes once made, and a master rotation only rewraps it.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from sqlalchemy import Table, event, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from eduguard.crypto import DecryptionFailed, FieldCipher, MasterKey, MasterKeySource
from eduguard.db.base import utcnow
from eduguard.db.sealed import TOKEN_PREFIX, SealedSpec
from eduguard.errors import ConfigurationError
from eduguard.keys.models import DataKey, KeyState

V2 = "sm4gcm:v2:"
V1 = "sm4gcm:v1:"
ACTIVE_KEY = "eduguard.keys.active"
DATA_KEYS: Table = DataKey.__table__  # type: ignore[assignment]


def token_key_id(token: str) -> str | None:
    """The data key id of a v2 value; None for older formats."""
    if not token.startswith(V2):
        return None
    return token[len(V2) :].partition(":")[0]


def _aad(spec: SealedSpec, row_id: int, key_id: str) -> str:
    return f"eduguard:v2|{spec.table}|{spec.column}|{row_id}|{key_id}"


def master_mismatch(key_id: str, expected: str, current: MasterKey) -> ConfigurationError:
    return ConfigurationError(
        "master_key_mismatch",
        f"主密钥不正确：数据密钥 {key_id} 由指纹为 {expected} 的主密钥保护，"
        f"当前主密钥（{current.origin}）指纹为 {current.fingerprint}。"
        "请检查 EDUGUARD_MASTER_KEY 或 HOME/keys/master.key；未做任何修改",
        f"wrong master key: data key {key_id} is wrapped by master {expected}, the current "
        f"master ({current.origin}) is {current.fingerprint}; nothing was changed",
    )


class Keyring:
    """Seals and opens values. The master key is read when the keyring is made — before any
    data key is read from the database — and re-read when a data key names a master key not
    in memory; keys once read stay known. So a process starting during a master rotation finds
    the right key whichever side of the commit its database reads fall on."""

    def __init__(self, source: MasterKeySource) -> None:
        self.source = source
        self._masters: list[MasterKey] = source.candidates()
        self._ciphers: dict[str, FieldCipher] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ master key

    def masters(self, *, reload: bool = False) -> list[MasterKey]:
        """The current master key first, then others this process has read."""
        with self._lock:
            if reload:
                fresh = self.source.candidates()
                known = {key.fingerprint for key in fresh}
                self._masters = fresh + [k for k in self._masters if k.fingerprint not in known]
            return list(self._masters)

    @property
    def master(self) -> MasterKey:
        return self.masters()[0]

    def reload_master(self) -> None:
        """Re-read the master key (after a master rotation in this process). Unwrapped data keys
        stay: a master rotation does not change them."""
        self.masters(reload=True)

    def unwrap(self, key_id: str, wrapped: str, fingerprint: str) -> bytes:
        """The data key, unwrapped by the master key that wrapped it. A master key file replaced
        by a rotation in another process is re-read once."""
        for reload in (False, True):
            for master in self.masters(reload=reload):
                if master.fingerprint == fingerprint:
                    try:
                        return master.unwrap(key_id, wrapped)
                    except DecryptionFailed as exc:
                        raise ConfigurationError(
                            "data_key_corrupt",
                            f"数据密钥 {key_id} 无法用主密钥解开（数据库中的密钥已被改动）",
                            f"data key {key_id} does not unwrap (altered in the database)",
                        ) from exc
        raise master_mismatch(key_id, fingerprint, self.master)

    def check_master(self, session: Session) -> int:
        """Unwrap every data key with the current master key (a wrong one raises, having
        changed nothing). Returns how many data keys there are."""
        rows = session.connection().execute(select(DATA_KEYS)).all()
        for row in rows:
            self.unwrap(row.id, row.wrapped_key, row.master_fingerprint)
        return len(rows)

    # ------------------------------------------------------------ data keys

    def cipher(self, session: Session, key_id: str) -> FieldCipher:
        cached = self._ciphers.get(key_id)
        if cached is not None:
            return cached
        row = (
            session.connection()
            .execute(
                select(DATA_KEYS.c.wrapped_key, DATA_KEYS.c.master_fingerprint).where(
                    DATA_KEYS.c.id == key_id
                )
            )
            .one_or_none()
        )
        if row is None:
            raise DecryptionFailed(f"unknown data key {key_id}")
        cipher = FieldCipher(self.unwrap(key_id, row.wrapped_key, row.master_fingerprint))
        self._ciphers[key_id] = cipher
        return cipher

    def create_key(self, session: Session, state: KeyState = KeyState.active) -> str:
        """A new random data key, wrapped by the master key, inserted in the session's
        transaction. Refused (nothing written) when existing keys show the master is wrong."""
        self.check_master(session)
        key_id = secrets.token_hex(8)
        material = secrets.token_bytes(16)
        now = utcnow()
        session.connection().execute(
            insert(DATA_KEYS).values(
                id=key_id,
                wrapped_key=self.master.wrap(key_id, material),
                master_fingerprint=self.master.fingerprint,
                state=state,
                created_at=now,
                updated_at=now,
            )
        )
        self._ciphers[key_id] = FieldCipher(material)
        if state == KeyState.active:
            session.info[ACTIVE_KEY] = key_id
        return key_id

    def active_key(self, session: Session) -> str:
        """The newest active data key (made if there is none), fixed for the transaction."""
        cached = session.info.get(ACTIVE_KEY)
        if isinstance(cached, str):
            return cached
        key_id = (
            session.connection()
            .execute(
                select(DATA_KEYS.c.id)
                .where(DATA_KEYS.c.state == KeyState.active)
                .order_by(DATA_KEYS.c.created_at.desc(), DATA_KEYS.c.id.desc())
                .limit(1)
            )
            .scalar_one_or_none()
        )
        if key_id is None:
            return self.create_key(session)
        session.info[ACTIVE_KEY] = key_id
        return str(key_id)

    def derived_key(self, session: Session, label: bytes) -> bytes:
        """A stable key for keyed references (e.g. consent subjects' HMAC): derived from the
        oldest data key, which is never deleted and never changes (a master rotation only
        rewraps it; a data-key rotation retires it but keeps it). Made if there is none."""
        key_id = (
            session.connection()
            .execute(
                select(DATA_KEYS.c.id).order_by(DATA_KEYS.c.created_at, DATA_KEYS.c.id).limit(1)
            )
            .scalar_one_or_none()
        )
        if key_id is None:
            key_id = self.create_key(session)
        return self.cipher(session, str(key_id)).derive(label)

    # ------------------------------------------------------------ values

    def seal(
        self,
        session: Session,
        spec: SealedSpec,
        row_id: int,
        plaintext: str,
        key_id: str | None = None,
    ) -> str:
        """``plaintext`` encrypted with ``key_id``, by default the active data key."""
        key_id = key_id or self.active_key(session)
        body = self.cipher(session, key_id).encrypt_raw(plaintext, _aad(spec, row_id, key_id))
        return f"{V2}{key_id}:{body}"

    def open(self, session: Session, spec: SealedSpec, row_id: int, token: str) -> str:
        if token.startswith(V2):
            key_id, _sep, body = token[len(V2) :].partition(":")
            return self.cipher(session, key_id).decrypt_raw(body, _aad(spec, row_id, key_id))
        if token.startswith(V1) and spec.legacy_context is not None:
            legacy = FieldCipher(self.master.key)  # an old install's field key is its master
            return legacy.decrypt(token, spec.legacy_context.format(id=row_id))
        if spec.legacy_plaintext and not token.startswith(TOKEN_PREFIX):
            return token  # stored before the column was sealed; `keys migrate` encrypts it
        raise DecryptionFailed(f"unknown ciphertext format in {spec.name}")


def _forget_active_key(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(ACTIVE_KEY, None)


def _install() -> Any:
    if not event.contains(Session, "after_transaction_end", _forget_active_key):
        event.listen(Session, "after_transaction_end", _forget_active_key)


_install()
