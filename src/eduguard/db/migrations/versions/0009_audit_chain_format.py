"""audit: chain_format per event (format 2 hashes about half the bytes; old events stay 1)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every event already written keeps format 1 (its hash is what it is); the writer labels
    # new events 2. A constant default: no table rewrite on PostgreSQL, no trigger fired.
    op.add_column(
        "audit_events",
        sa.Column("chain_format", sa.SmallInteger(), nullable=False, server_default=sa.text("1")),
    )


def downgrade() -> None:
    bind = op.get_bind()
    newer = bind.execute(sa.text("SELECT count(*) FROM audit_events WHERE chain_format <> 1"))
    if newer.scalar_one():
        raise RuntimeError(
            "audit_events holds format-2 events: without chain_format they could not be "
            "verified; refusing to downgrade"
        )
    op.drop_column("audit_events", "chain_format")
