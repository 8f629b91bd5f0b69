"""retention: holds on one subject of a dataset (the column and the keyed hash of its value,
never the value) and the rows a run leaves out because of them (issue #20 part 2); the
manifest indexed by (run, batch) so marking a batch done does not scan the whole run

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("retention_holds") as batch:
        batch.add_column(sa.Column("subject_column", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("subject_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("retention_runs") as batch:
        batch.add_column(sa.Column("held_rows", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_retention_manifest_run_batch", "retention_manifest", ["run_id", "batch"])


def downgrade() -> None:
    op.drop_index("ix_retention_manifest_run_batch", table_name="retention_manifest")
    with op.batch_alter_table("retention_runs") as batch:
        batch.drop_column("held_rows")
    with op.batch_alter_table("retention_holds") as batch:
        batch.drop_column("subject_hash")
        batch.drop_column("subject_column")
