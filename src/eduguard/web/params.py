"""Bounded integers for path and query parameters, shared by every route.

An unbounded ``int`` reached the database: 2^63 raised OverflowError in the SQLite driver and
anything above 2^31 − 1 is out of range for PostgreSQL's INTEGER keys, both answered 500. The
bounds make FastAPI answer 422 (validation_failed) before any work is done.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from annotated_types import Ge, Le

from eduguard.errors import ValidationFailed
from eduguard.validation import MAX_ID, MAX_INTEGER

MAX_EVENT_ID = MAX_INTEGER  # audit event ids are BIGINT

Id = Annotated[int, Ge(1), Le(MAX_ID)]
"""A row id in a path (``/systems/{system_id}``) or a query (``?unit_id=``, as ``Id | None``)."""
OptionalId = Id | None
EventId = Annotated[int, Ge(1), Le(MAX_EVENT_ID)]
"""An audit event id."""


def decode_base64(text: str, field: str = "content_base64") -> bytes:
    """A file sent in a JSON body as base64; anything else is a 400 naming the field."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            "invalid_base64", f"{field} 不是有效的 base64 编码", f"{field} is not valid base64"
        ) from None
