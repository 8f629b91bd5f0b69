"""compliance: item 4's published collection rules as a per-system fact (where, since when)

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-02 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("compliance_facts") as batch:
        batch.add_column(sa.Column("collection_rules_ref", sa.String(200), nullable=True))
        batch.add_column(sa.Column("collection_rules_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("compliance_facts") as batch:
        batch.drop_column("collection_rules_date")
        batch.drop_column("collection_rules_ref")
