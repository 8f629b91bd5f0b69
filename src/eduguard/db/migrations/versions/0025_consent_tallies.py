"""consent tallies: the worker's last count of the ledger per consent-based purpose, read by
the dashboard instead of folding the whole ledger on every load (issue #18 part 9)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "subjects_mark",
    "guardians_mark",
    "events_mark",
    "milliseconds",
    "subjects",
    "valid",
    "needs_reconsent",
    "refused",
    "withdrawn",
    "undecided",
    "tampered",
)


def upgrade() -> None:
    op.create_table(
        "consent_tallies",
        sa.Column("purpose_id", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terms_hash", sa.String(length=64), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.ForeignKeyConstraint(
            ["purpose_id"],
            ["processing_purposes.id"],
            name=op.f("fk_consent_tallies_purpose_id_processing_purposes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("purpose_id", name=op.f("pk_consent_tallies")),
    )


def downgrade() -> None:
    op.drop_table("consent_tallies")
