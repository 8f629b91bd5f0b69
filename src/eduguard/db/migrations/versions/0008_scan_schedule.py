"""catalog: scheduled scans per data source, a heartbeat for runs (stale-run recovery)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("catalog_sources", sa.Column("scan_every_days", sa.Integer(), nullable=True))
    op.add_column(
        "catalog_scan_runs",
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("catalog_scan_runs") as batch:
        batch.drop_column("heartbeat_at")
    with op.batch_alter_table("catalog_sources") as batch:
        batch.drop_column("scan_every_days")
