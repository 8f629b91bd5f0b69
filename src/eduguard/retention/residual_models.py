"""Table: what a holder of a residual copy said about a disposition run's data (issue #20 part 5).

The processors and recipients a dataset's information went to are read from the processing
register and the agreements (``retention.residuals``); each time someone records what a holder
confirmed — deleted, with the date of its letter and optionally the letter itself — or that it
has not confirmed, one row is added. The newest row per holder is its status; rows are never
changed, so the history of what was claimed stays. Kept apart from ``retention.models``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eduguard.db.base import Base, IdMixin, UTCDateTime, utcnow


class ResidualConfirmation(IdMixin, Base):
    """One statement about one holder's copy of a run's data."""

    __tablename__ = "retention_residual_confirmations"

    run_id: Mapped[int] = mapped_column(ForeignKey("retention_runs.id"), index=True)
    holder_key: Mapped[str] = mapped_column(String(40))  # recipient:12 / agreement:3 / operator:5
    holder_name: Mapped[str] = mapped_column(String(200))  # as it was named when recorded
    confirmed: Mapped[bool] = mapped_column(Boolean)  # True: the holder confirmed deletion
    confirmed_on: Mapped[date | None] = mapped_column(Date)  # the date of its confirmation
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_path: Mapped[str | None] = mapped_column(String(300))  # under uploads/
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
