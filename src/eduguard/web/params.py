"""Bounded integers for path and query parameters, shared by every route.

An unbounded ``int`` reached the database: 2^63 raised OverflowError in the SQLite driver and
anything above 2^31 − 1 is out of range for PostgreSQL's INTEGER keys, both answered 500. The
bounds make FastAPI answer 422 (validation_failed) before any work is done.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

from eduguard.validation import MAX_ID, MAX_INTEGER

MAX_EVENT_ID = MAX_INTEGER  # audit event ids are BIGINT

Id = Annotated[int, Ge(1), Le(MAX_ID)]
"""A row id in a path (``/systems/{system_id}``) or a query (``?unit_id=``, as ``Id | None``)."""
OptionalId = Id | None
EventId = Annotated[int, Ge(1), Le(MAX_EVENT_ID)]
"""An audit event id."""
