"""retention: a batch's state in its own row (``retention_batches``) instead of on every
manifest row, so marking a batch done writes one row, not thousands; the manifest's own
run_id index dropped (the (run_id, key_hash) unique constraint leads with it); archive copies
sealed a batch at a time (``retention_archive_chunks``; rows archived before stay readable); a
plan's counts by subject class (``retention_runs.subject_classes``)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE = sa.Enum("pending", "done", name="manifeststate", native_enum=False, length=10)


def upgrade() -> None:
    op.create_table(
        "retention_batches",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("state", STATE, nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["retention_runs.id"],
            name=op.f("fk_retention_batches_run_id_retention_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", "batch", name=op.f("pk_retention_batches")),
    )
    # A batch's rows share one state (written ahead together, marked done together).
    op.execute(
        "INSERT INTO retention_batches (run_id, batch, state, rows)"
        " SELECT run_id, batch, min(state), count(*) FROM retention_manifest"
        " GROUP BY run_id, batch"
    )
    with op.batch_alter_table("retention_manifest") as batch:
        batch.drop_index("ix_retention_manifest_run_id")
        batch.drop_column("state")
    with op.batch_alter_table("retention_runs") as batch:
        batch.add_column(sa.Column("subject_classes", sa.Text(), nullable=True))
    op.create_table(
        "retention_archive_chunks",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["retention_runs.id"],
            name=op.f("fk_retention_archive_chunks_run_id_retention_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_archive_chunks")),
        sa.UniqueConstraint("run_id", "batch", name="uq_retention_archive_chunks_run"),
    )


def downgrade() -> None:
    op.drop_table("retention_archive_chunks")
    with op.batch_alter_table("retention_runs") as batch:
        batch.drop_column("subject_classes")
    with op.batch_alter_table("retention_manifest") as batch:
        batch.add_column(sa.Column("state", STATE, nullable=False, server_default="pending"))
        batch.create_index("ix_retention_manifest_run_id", ["run_id"], unique=False)
    op.execute(
        "UPDATE retention_manifest SET state = (SELECT b.state FROM retention_batches b"
        " WHERE b.run_id = retention_manifest.run_id AND b.batch = retention_manifest.batch)"
    )
    op.drop_table("retention_batches")
