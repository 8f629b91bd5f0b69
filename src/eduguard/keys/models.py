"""Data encryption keys, stored only wrapped by the master key (which never enters the database)."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eduguard.db.base import Base, TimestampMixin


class KeyState(enum.StrEnum):
    active = "active"  # encrypts new values
    retiring = "retiring"  # a rotation is moving its values to the active key
    retired = "retired"  # no value used it when the rotation finished


class DataKey(TimestampMixin, Base):
    """A data key (DEK): random 16 bytes, SM4-GCM wrapped by the master key, bound to its id."""

    __tablename__ = "data_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    wrapped_key: Mapped[str] = mapped_column(Text)
    master_fingerprint: Mapped[str] = mapped_column(String(32))
    state: Mapped[KeyState] = mapped_column(
        Enum(KeyState, native_enum=False, length=20), default=KeyState.active, index=True
    )
